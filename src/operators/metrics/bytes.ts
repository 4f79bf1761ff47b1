// Small checked byte writer and reader for the changelog encodings of metric aggregates. The reader
// never trusts a length: every count is bounded by the bytes left and by a per-field limit, so decoding
// garbage fails with a RangeError naming the aggregate instead of looping or allocating without bound.
import { readUvarint, uvarintLength, writeUvarint } from '../../state/index.ts';

/** A buffer with its view, reused by writers one after another. */
interface Scratch {
  bytes: Uint8Array;
  view: DataView;
}

// Buffers of finished writers. Every changelog write of an aggregate serializes it (a window's partial at each
// checkpoint that finds it changed), so a fresh buffer per writer was a good part of that; `finish` copies the bytes
// out and returns its buffer here. Nested writers (an aggregate inside a partial) take different buffers.
const free: Scratch[] = [];
const MAX_FREE = 8;
const MAX_POOLED_BYTES = 64 << 10;
const FINISHED: Scratch = { bytes: new Uint8Array(0), view: new DataView(new ArrayBuffer(0)) };

function scratch(capacity: number): Scratch {
  for (let i = free.length - 1; i >= 0; i--) {
    if (free[i].bytes.length >= capacity) {
      const s = free[i];
      free[i] = free[free.length - 1];
      free.pop();
      return s;
    }
  }
  const bytes = new Uint8Array(Math.max(capacity, 256));
  return { bytes, view: new DataView(bytes.buffer) };
}

/** Appends encoded fields; `finish` returns the bytes (a copy: the writer's buffer is reused by later writers). */
export class ByteWriter {
  private buffer: Scratch;
  private at = 0;

  /** `capacity`: the bytes to start with (it grows as needed). */
  constructor(capacity = 64) {
    this.buffer = scratch(capacity);
  }

  uvarint(value: number): void {
    this.reserve(uvarintLength(value));
    this.at = writeUvarint(this.buffer.bytes, this.at, value);
  }

  /** A safe integer of either sign, zigzag-encoded. */
  int(value: number): void {
    this.uvarint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  float64(value: number): void {
    this.reserve(8);
    this.buffer.view.setFloat64(this.at, value);
    this.at += 8;
  }

  /** Bytes with their length in front (another aggregate's encoding). */
  nested(value: Uint8Array): void {
    this.uvarint(value.length);
    this.reserve(value.length);
    this.buffer.bytes.set(value, this.at);
    this.at += value.length;
  }

  /** The bytes written; the writer is done (writing on starts over from an empty buffer of its own). */
  finish(): Uint8Array {
    const used = this.buffer;
    // A Buffer: small ones are cut from Node's shared pool, where a Uint8Array of its own would be an ArrayBuffer per
    // serialization. Readers of the bytes must mind byteOffset (ByteReader and every reader here do).
    const out = Buffer.allocUnsafe(this.at);
    out.set(used.bytes.subarray(0, this.at));
    this.buffer = FINISHED;
    this.at = 0;
    if (used !== FINISHED && free.length < MAX_FREE && used.bytes.length <= MAX_POOLED_BYTES) free.push(used);
    return out;
  }

  private reserve(n: number): void {
    const { bytes } = this.buffer;
    if (this.at + n <= bytes.length) return;
    const grown = new Uint8Array(Math.max(bytes.length * 2, this.at + n, 64));
    grown.set(bytes.subarray(0, this.at));
    this.buffer = { bytes: grown, view: new DataView(grown.buffer) };
  }
}

/** Reads fields written by ByteWriter; every error names `what` and the offset. */
export class ByteReader {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly what: string;
  private at = 0;

  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.what = what;
  }

  error(message: string): RangeError {
    return new RangeError(`${this.what}: ${message} at byte ${this.at}`);
  }

  byte(): number {
    if (this.at >= this.bytes.length) throw this.error('truncated');
    return this.bytes[this.at++];
  }

  uvarint(): number {
    try {
      const [value, next] = readUvarint(this.bytes, this.at);
      this.at = next;
      return value;
    } catch (cause) {
      throw this.error((cause as Error).message);
    }
  }

  int(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** An integer within [min, max]. */
  intIn(min: number, max: number, field: string): number {
    const value = this.int();
    if (value < min || value > max) throw this.error(`${field} ${value} outside [${min}, ${max}]`);
    return value;
  }

  /** A count of following items, each at least `itemBytes` long, at most `limit`. */
  length(limit: number, itemBytes = 1): number {
    const n = this.uvarint();
    if (n > limit) throw this.error(`length ${n} above the limit ${limit}`);
    if (n * itemBytes > this.bytes.length - this.at) throw this.error(`length ${n} exceeds the bytes left`);
    return n;
  }

  float64(): number {
    if (this.at + 8 > this.bytes.length) throw this.error('truncated');
    const value = this.view.getFloat64(this.at);
    this.at += 8;
    return value;
  }

  /** Bytes written by `ByteWriter.nested` (a view, not a copy). */
  nested(): Uint8Array {
    const n = this.length(this.bytes.length);
    const value = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return value;
  }

  end(): void {
    if (this.at !== this.bytes.length) throw this.error(`${this.bytes.length - this.at} trailing bytes`);
  }
}

/** Checks the leading format byte. */
export function expectVersion(input: ByteReader, version: number): void {
  const got = input.byte();
  if (got !== version) throw input.error(`unknown format version ${got}`);
}
