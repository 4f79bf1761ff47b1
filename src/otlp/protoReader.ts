// A small protobuf wire reader over one Buffer: varints, fixed-width numbers, length-delimited ranges.
// No reflection and no per-field allocation; every read checks bounds and throws OtlpDecodeError with the
// byte offset, so random bytes can never read out of range, loop forever or allocate without bound.
import { OtlpDecodeError } from './errors.ts';

/** Protobuf wire types. */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32', '6 (invalid)', '7 (invalid)'];

/** Names a wire type for error messages. */
export function wireTypeName(wireType: number): string {
  return WIRE_NAMES[wireType & 7];
}

/** Cursor over protobuf bytes; `pos` is the next byte to read. */
export class ProtoReader {
  readonly buf: Buffer;
  readonly view: DataView;
  readonly length: number;
  pos = 0;
  /** Halves of the last 64-bit value read by varint64 / fixed64. */
  lo = 0;
  hi = 0;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.length = this.buf.length;
  }

  /** Throws an OtlpDecodeError at `offset`. */
  fail(reason: string, offset = this.pos, path = ''): never {
    throw new OtlpDecodeError(reason, 'protobuf', offset, path);
  }

  /** Reads a varint that must fit 32 bits (tags, lengths, enums, uint32); longer encodings keep the low 32 bits. */
  uint32(): number {
    const b = this.buf;
    let p = this.pos;
    if (p + 10 > this.length) return this.uint32Slow();
    let c = b[p++];
    let v = c & 0x7f;
    if (c < 0x80) {
      this.pos = p;
      return v;
    }
    c = b[p++];
    v |= (c & 0x7f) << 7;
    if (c < 0x80) {
      this.pos = p;
      return v;
    }
    c = b[p++];
    v |= (c & 0x7f) << 14;
    if (c < 0x80) {
      this.pos = p;
      return v;
    }
    c = b[p++];
    v |= (c & 0x7f) << 21;
    if (c < 0x80) {
      this.pos = p;
      return v;
    }
    c = b[p++];
    v = (v | ((c & 0x0f) << 28)) >>> 0;
    // Negative int32 values are sign-extended to 10 bytes; skip the rest.
    for (let i = 5; c >= 0x80; i++) {
      if (i === 10) this.fail('varint longer than 10 bytes', this.pos);
      c = b[p++];
    }
    this.pos = p;
    return v;
  }

  private uint32Slow(): number {
    this.varint64(); // near the end of the buffer: the checked path, keeping the low 32 bits like the fast one
    return this.lo;
  }

  /** Reads any varint into `lo` / `hi`. */
  varint64(): void {
    const b = this.buf;
    const len = this.length;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let c = 0x80;
    let i = 0;
    for (; i < 4; i++) {
      if (p >= len) this.fail('truncated varint', p);
      c = b[p++];
      lo |= (c & 0x7f) << shift;
      shift += 7;
      if (c < 0x80) break;
    }
    if (c >= 0x80) {
      // 5th byte straddles the halves: 4 bits to lo, 3 to hi.
      if (p >= len) this.fail('truncated varint', p);
      c = b[p++];
      lo |= (c & 0x0f) << 28;
      hi = (c & 0x7f) >> 4;
      shift = 3;
      for (i = 5; c >= 0x80; i++) {
        if (i === 10) this.fail('varint longer than 10 bytes', this.pos);
        if (p >= len) this.fail('truncated varint', p);
        c = b[p++];
        hi |= (c & 0x7f) << shift;
        shift += 7;
      }
    }
    this.pos = p;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** Reads a varint as a boolean. */
  bool(): boolean {
    this.varint64();
    return (this.lo | this.hi) !== 0;
  }

  /** Reads a zigzag-encoded sint32. */
  sint32(): number {
    const n = this.uint32();
    return (n >>> 1) ^ -(n & 1);
  }

  /** Reads 4 little-endian bytes as uint32. */
  fixed32(): number {
    const p = this.pos;
    if (p + 4 > this.length) this.fail('truncated fixed32', p);
    const b = this.buf;
    this.pos = p + 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  /** Reads 8 little-endian bytes into `lo` / `hi`. */
  fixed64(): void {
    const p = this.pos;
    if (p + 8 > this.length) this.fail('truncated fixed64', p);
    const b = this.buf;
    this.lo = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
    this.hi = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
    this.pos = p + 8;
  }

  /** Reads a little-endian IEEE-754 double. */
  double(): number {
    const p = this.pos;
    if (p + 8 > this.length) this.fail('truncated double', p);
    this.pos = p + 8;
    return this.view.getFloat64(p, true);
  }

  /** Reads a length prefix and returns where the field's bytes end; they must end within `limit`. */
  lengthEnd(limit: number): number {
    const at = this.pos;
    const n = this.uint32();
    // uint32() keeps the low 32 bits, so a prefix of 5 or more bytes may stand for 2^32 + n: re-read it whole.
    // Prefixes that long are rare (or hostile), which keeps this off the hot path.
    if (this.pos - at > 4) this.checkLength32(at);
    const end = this.pos + n;
    if (n > 0x7fffffff || end > limit) this.fail(`length ${n} runs past the end of the enclosing message (${limit - this.pos} bytes left)`, at);
    return end;
  }

  // Fails if the varint at `at` is 2^32 or more (as protobuf-go and C++ refuse such lengths; wrapping would misparse).
  private checkLength32(at: number): void {
    const pos = this.pos;
    this.pos = at;
    this.varint64();
    this.pos = pos;
    if (this.hi !== 0) this.fail(`length prefix ${BigInt(this.hi) * 4294967296n + BigInt(this.lo)} is 2^32 or more`, at);
  }

  /**
   * Skips one field of the given wire type (unknown fields are ignored, as protobuf requires). Groups (wire types 3
   * and 4) are refused: OTLP is proto3 and has none, and skipping them would let hostile input nest and recurse.
   */
  skipField(wireType: number, fieldNumber: number, limit: number): void {
    const at = this.pos;
    switch (wireType) {
      case 0:
        this.varint64();
        return;
      case 1:
        if (this.pos + 8 > limit) this.fail('truncated fixed64', at);
        this.pos += 8;
        return;
      case 2:
        this.pos = this.lengthEnd(limit);
        return;
      case 5:
        if (this.pos + 4 > limit) this.fail('truncated fixed32', at);
        this.pos += 4;
        return;
      case 3:
      case 4:
        this.fail(`group wire type ${wireTypeName(wireType)} (field ${fieldNumber}): groups are not part of OTLP`, at);
        break;
      default:
        this.fail(`invalid wire type ${wireType} (field ${fieldNumber})`, at);
    }
  }
}

/**
 * Handles a tag the message decoder did not expect: a known field with the wrong wire type is an error
 * naming the field; an unknown field is skipped.
 */
export function skipUnknown(r: ProtoReader, tag: number, tagAt: number, limit: number, fieldNames: Readonly<Record<number, string>>): void {
  const fieldNumber = tag >>> 3;
  if (fieldNumber === 0) r.fail('invalid field number 0', tagAt);
  const name = fieldNames[fieldNumber];
  if (name !== undefined) {
    r.fail(`wire type ${wireTypeName(tag)} does not match the field's type`, tagAt, name);
  }
  r.skipField(tag & 7, fieldNumber, limit);
}

/** Checks that a message's fields ended exactly at its declared end. */
export function expectEnd(r: ProtoReader, end: number): void {
  if (r.pos !== end) r.fail(`last field runs ${r.pos - end} bytes past the end of its message`, end);
}
