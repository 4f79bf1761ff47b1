// A small protobuf wire writer: a growable Buffer, varints, fixed-width numbers and nested messages
// whose length prefix is patched in after their contents are written.
import { hexDigit } from './hex.ts';

type NodeBuffer = Buffer & { utf8Write(s: string, offset: number, length: number): number };

/** Bytes a varint of the uint32 `n` takes. */
export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Appends protobuf fields to an internal buffer; `finish()` copies the bytes out and resets it for reuse. */
export class ProtoWriter {
  buf: Buffer;
  view: DataView;
  pos = 0;
  /** Halves of the last Int64 split by `splitInt64`. */
  lo = 0;
  hi = 0;

  constructor(initialSize = 4096) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  /** Writes a uint32 varint (values must be 0..2^32-1). */
  uint32(v: number): void {
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Writes an int32 varint; negative values take 10 bytes, as protobuf requires. */
  int32(v: number): void {
    if (v >= 0) this.uint32(v);
    else this.varint64(v >>> 0, 0xffffffff);
  }

  /** Writes the 64-bit varint hi·2^32 + lo. */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (hi !== 0 || lo >= 0x80) {
      b[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[p++] = lo;
    this.pos = p;
  }

  /** Writes a field tag. */
  tag(fieldNumber: number, wireType: number): void {
    this.uint32(((fieldNumber << 3) | wireType) >>> 0);
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }

  fixed64(lo: number, hi: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, lo >>> 0, true);
    this.view.setUint32(this.pos + 4, hi >>> 0, true);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** Sets `lo` / `hi` to the two's-complement halves of an Int64. */
  splitInt64(v: number | bigint): void {
    if (typeof v === 'bigint') {
      const u = BigInt.asUintN(64, v);
      this.lo = Number(u & 0xffffffffn);
      this.hi = Number(u >> 32n);
      return;
    }
    const a = Math.abs(Math.trunc(v));
    let lo = a % 4294967296;
    let hi = (a - lo) / 4294967296;
    if (v < 0) {
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    this.lo = lo;
    this.hi = hi;
  }

  /** Writes a length-prefixed UTF-8 string. */
  string(s: string): void {
    const n = s.length;
    if (n < 0x80) {
      // Fast path: short ASCII strings are copied char by char; anything else goes through utf8Write.
      this.ensure(n + 1);
      const b = this.buf;
      const start = this.pos + 1;
      let ascii = true;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        b[start + i] = c;
      }
      if (ascii) {
        b[this.pos] = n;
        this.pos = start + n;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.uint32(len);
    this.ensure(len);
    (this.buf as NodeBuffer).utf8Write(s, this.pos, len);
    this.pos += len;
  }

  /** Writes length-prefixed raw bytes. */
  bytes(bytes: Uint8Array): void {
    this.uint32(bytes.length);
    this.raw(bytes);
  }

  /** Writes bytes as they are (no length prefix). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Writes a hex id as length-prefixed bytes; the caller has checked it is valid hex. */
  hexBytes(hex: string): void {
    const n = hex.length >> 1;
    this.uint32(n);
    this.ensure(n);
    const b = this.buf;
    for (let i = 0; i < n; i++) b[this.pos + i] = (hexDigit(hex.charCodeAt(2 * i)) << 4) | hexDigit(hex.charCodeAt(2 * i + 1));
    this.pos += n;
  }

  /** Starts a nested message: reserves one length byte and returns where the message starts. */
  fork(): number {
    this.ensure(1);
    return ++this.pos;
  }

  /** Ends the nested message started at `start`, writing its length (moving the contents if it needs more than one byte). */
  join(start: number): void {
    const len = this.pos - start;
    const size = varintSize(len);
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(start + size - 1, start, this.pos);
      this.pos += size - 1;
    }
    let p = start - 1;
    let v = len;
    const b = this.buf;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p] = v;
  }

  /** Copies out everything written and resets the writer. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }
}
