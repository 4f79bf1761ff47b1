// Byte encodings for changelog records. Keys and values of every store go through a Serde, so the
// runtime can write them to a compacted changelog topic and read them back on restore.

/** Converts values to and from the bytes of a changelog record. */
export interface Serde<T> {
  serialize(value: T): Uint8Array;
  deserialize(bytes: Uint8Array): T;
  /**
   * Optional: the value as a fixed number of doubles. A store that has it keeps its values in one Float64Array
   * instead of an object (or boxed number) per value; `read(write(v))` must equal `v` for every value.
   */
  readonly float64Layout?: Float64Layout<T>;
}

/** A value stored as `lanes` doubles at `to[at…at + lanes)`. */
export interface Float64Layout<T> {
  readonly lanes: number;
  write(value: T, to: Float64Array, at: number): void;
  read(from: Float64Array, at: number): T;
}

/** One number as one double: exact for every number, -0 and NaN included. */
export const numberLayout: Float64Layout<number> = {
  lanes: 1,
  write: (value, to, at) => {
    to[at] = value;
  },
  read: (from, at) => from[at],
};

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const TWO_POW_32 = 2 ** 32;

/** UTF-8 strings. */
export const stringSerde: Serde<string> = {
  serialize: (value) => utf8Encoder.encode(value),
  deserialize: (bytes) => utf8Decoder.decode(bytes),
};

/** IEEE 754 doubles, 8 bytes big-endian. */
export const float64Serde: Serde<number> = {
  serialize(value) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value);
    return bytes;
  },
  deserialize(bytes) {
    expectLength(bytes, 8, 'float64');
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(0);
  },
  float64Layout: numberLayout,
};

/** Non-negative safe integers as unsigned LEB128 varints (1 byte below 128). */
export const uvarintSerde: Serde<number> = {
  serialize(value) {
    const bytes = new Uint8Array(uvarintLength(value));
    writeUvarint(bytes, 0, value);
    return bytes;
  },
  deserialize(bytes) {
    const [value, next] = readUvarint(bytes, 0);
    if (next !== bytes.length) throw new RangeError(`uvarint: ${bytes.length - next} trailing bytes`);
    return value;
  },
  // Safe integers are exact as doubles.
  float64Layout: numberLayout,
};

/** JSON text as UTF-8; a fallback for values without a compact encoding. */
export function jsonSerde<T>(): Serde<T> {
  return {
    serialize: (value) => utf8Encoder.encode(JSON.stringify(value)),
    deserialize: (bytes) => JSON.parse(utf8Decoder.decode(bytes)) as T,
  };
}

/** Number of bytes `writeUvarint` needs for a value. */
export function uvarintLength(value: number): number {
  checkUvarint(value);
  let length = 1;
  // Division instead of shifts: JavaScript shifts are 32-bit and values go up to 2^53.
  for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) length++;
  return length;
}

/** Writes an unsigned LEB128 varint at `offset`; returns the offset after it. */
export function writeUvarint(bytes: Uint8Array, offset: number, value: number): number {
  checkUvarint(value);
  let rest = value;
  while (rest >= 128) {
    bytes[offset++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  bytes[offset++] = rest;
  return offset;
}

/** Reads an unsigned LEB128 varint at `offset`; returns the value and the offset after it. */
export function readUvarint(bytes: Uint8Array, offset: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < bytes.length; i++) {
    const byte = bytes[i];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (!Number.isSafeInteger(value)) throw new RangeError('uvarint: value above 2^53');
      return [value, i + 1];
    }
    scale *= 128;
    if (scale > 2 ** 56) throw new RangeError('uvarint: too many bytes');
  }
  throw new RangeError('uvarint: truncated');
}

/** Writes a safe integer as a signed 64-bit big-endian integer (the Kafka `long` layout). */
export function writeInt64(view: DataView, offset: number, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`int64: ${value} is not a safe integer`);
  const high = Math.floor(value / TWO_POW_32);
  view.setInt32(offset, high);
  view.setUint32(offset + 4, value - high * TWO_POW_32);
}

/** Reads a signed 64-bit big-endian integer written by `writeInt64`. */
export function readInt64(view: DataView, offset: number): number {
  const value = view.getInt32(offset) * TWO_POW_32 + view.getUint32(offset + 4);
  if (!Number.isSafeInteger(value)) throw new RangeError('int64: value outside the safe integer range');
  return value;
}

/** Window store changelog key: the group key's UTF-8 bytes, then the window start as int64. */
export function encodeWindowKey(key: string, start: number): Uint8Array {
  const keyBytes = utf8Encoder.encode(key);
  const bytes = new Uint8Array(keyBytes.length + 8);
  bytes.set(keyBytes, 0);
  writeInt64(new DataView(bytes.buffer), keyBytes.length, start);
  return bytes;
}

/** Inverse of `encodeWindowKey`. */
export function decodeWindowKey(bytes: Uint8Array): { key: string; start: number } {
  if (bytes.length < 8) throw new RangeError(`window key: ${bytes.length} bytes, need at least 8`);
  const split = bytes.length - 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { key: utf8Decoder.decode(bytes.subarray(0, split)), start: readInt64(view, split) };
}

function checkUvarint(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`uvarint: ${value} is not a non-negative safe integer`);
  }
}

function expectLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length) throw new RangeError(`${what}: ${bytes.length} bytes, expected ${length}`);
}
