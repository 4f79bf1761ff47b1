// Bit-level writer and reader over a Uint8Array, most significant bit first. No allocation per bit:
// pending bits live in one 32-bit accumulator and whole bytes go straight into the buffer.
import { ChunkError } from './errors.ts';

const TWO_POW_32 = 0x100000000;

/** Appends bit fields to a growing byte buffer. */
export class BitWriter {
  private buf: Uint8Array;
  private pos = 0; // bytes written to buf
  private acc = 0; // pending bits, right-aligned
  private accBits = 0; // 0..7 between calls

  constructor(initialBytes = 256) {
    this.buf = new Uint8Array(Math.max(16, initialBytes));
  }

  /** Writes the low `n` bits of `value` (an unsigned integer below 2^n), n in 0..25. */
  writeBits(value: number, n: number): void {
    if (n === 0) return;
    if (this.pos + 8 > this.buf.length) this.grow(8);
    const acc = (this.acc << n) | value;
    let bits = this.accBits + n;
    while (bits >= 8) {
      bits -= 8;
      this.buf[this.pos++] = acc >>> bits;
    }
    this.acc = acc & ((1 << bits) - 1);
    this.accBits = bits;
  }

  /** Writes the low `n` bits of a non-negative integer below 2^53, n in 0..53. */
  writeBitsLong(value: number, n: number): void {
    if (n <= 25) this.writeBits(value, n);
    else if (n <= 32) this.writeWord(value, n);
    else {
      const hi = Math.floor(value / TWO_POW_32);
      this.writeBits(hi, n - 32);
      this.writeWord(value - hi * TWO_POW_32, 32);
    }
  }

  /** Writes the low `n` bits (0..32) of an unsigned 32-bit word. */
  writeWord(word: number, n: number): void {
    if (n <= 24) this.writeBits(word & ((1 << n) - 1), n);
    else if (n === 32) this.write32(word);
    else {
      this.writeBits((word >>> 16) & ((1 << (n - 16)) - 1), n - 16);
      this.writeBits(word & 0xffff, 16);
    }
  }

  /** Writes all 32 bits of a word: four whole bytes out, the pending bit count unchanged. */
  write32(word: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    const b = this.accBits;
    const buf = this.buf;
    const p = this.pos;
    if (b === 0) {
      buf[p] = word >>> 24;
      buf[p + 1] = word >>> 16;
      buf[p + 2] = word >>> 8;
      buf[p + 3] = word;
    } else {
      buf[p] = (this.acc << (8 - b)) | (word >>> (24 + b));
      buf[p + 1] = word >>> (16 + b);
      buf[p + 2] = word >>> (8 + b);
      buf[p + 3] = word >>> b;
      this.acc = word & ((1 << b) - 1);
    }
    this.pos = p + 4;
  }

  /** Writes `n` (0..64) bits of the 64-bit value hi:lo, taking bits [shift, shift + n) counted from the least significant. */
  writeBits64(hi: number, lo: number, shift: number, n: number): void {
    let h: number;
    let l: number;
    if (shift === 0) {
      h = hi;
      l = lo;
    } else if (shift < 32) {
      l = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
      h = hi >>> shift;
    } else {
      l = hi >>> (shift - 32);
      h = 0;
    }
    if (n > 32) {
      this.writeWord(h, n - 32);
      this.writeWord(l, 32);
    } else this.writeWord(l, n);
  }

  /** Writes a single bit. */
  writeBit(bit: number): void {
    this.writeBits(bit, 1);
  }

  /** Writes `q` one-bits followed by a zero bit (unary code). */
  writeUnary(q: number): void {
    while (q >= 24) {
      this.writeBits(0xffffff, 24);
      q -= 24;
    }
    this.writeBits(((1 << (q + 1)) - 2) >>> 0, q + 1);
  }

  /** Writes an unsigned integer below 2^53 as a LEB128 varint (8-bit groups, through the bit stream). */
  writeUvarint(value: number): void {
    while (value >= 0x80) {
      const low = value % 0x80;
      this.writeBits(low | 0x80, 8);
      value = (value - low) / 0x80;
    }
    this.writeBits(value, 8);
  }

  /** Writes a signed integer with |value| < 2^52 as a zigzag varint. */
  writeSvarint(value: number): void {
    this.writeUvarint(zigzag(value));
  }

  /** Number of bits written so far. */
  get bitLength(): number {
    return this.pos * 8 + this.accBits;
  }

  /** Pads the last byte with zero bits and returns the bytes written (a view, not a copy). */
  finish(): Uint8Array {
    if (this.accBits > 0) this.writeBits(0, 8 - this.accBits);
    return this.buf.subarray(0, this.pos);
  }

  private grow(extra: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extra));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}

/** Reads bit fields written by BitWriter; reading past the end throws a ChunkError ('truncated'). */
export class BitReader {
  private readonly buf: Uint8Array;
  private readonly end: number;
  private pos: number; // next byte to load
  private acc = 0; // loaded bits, right-aligned (only the low accBits are meaningful)
  private accBits = 0;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Reads `n` bits (0..25) as an unsigned integer. */
  readBits(n: number): number {
    if (n === 0) return 0;
    while (this.accBits < n) {
      if (this.pos >= this.end) throw new ChunkError('truncated', `chunk body ends early: wanted ${n} more bits at byte ${this.pos}`);
      this.acc = (this.acc << 8) | this.buf[this.pos++];
      this.accBits += 8;
    }
    this.accBits -= n;
    return (this.acc >>> this.accBits) & ((1 << n) - 1);
  }

  /** Reads `n` bits (0..53) as a non-negative integer. */
  readBitsLong(n: number): number {
    if (n <= 25) return this.readBits(n);
    if (n <= 32) return this.readWord(n);
    const hi = this.readBits(n - 32);
    return hi * TWO_POW_32 + this.readWord(32);
  }

  /** Reads `n` bits (0..32) as an unsigned 32-bit word. */
  readWord(n: number): number {
    if (n <= 24) return this.readBits(n);
    const hi = this.readBits(n - 16);
    return ((hi << 16) | this.readBits(16)) >>> 0;
  }

  /** Reads one bit. */
  readBit(): number {
    return this.readBits(1);
  }

  /** Counts one-bits up to the next zero bit (consumed); stops after `limit` ones (then no zero is consumed). */
  readUnary(limit: number): number {
    let q = 0;
    for (;;) {
      if (this.accBits === 0) {
        if (this.pos >= this.end) throw new ChunkError('truncated', `chunk body ends early in a unary code at byte ${this.pos}`);
        this.acc = this.buf[this.pos++];
        this.accBits = 8;
      }
      // Leading ones of the loaded bits, counted in one step; the zeros shifted in below stop the count.
      const ones = Math.clz32(~(this.acc << (32 - this.accBits)));
      if (q + ones >= limit) {
        this.accBits -= limit - q;
        return limit;
      }
      if (ones < this.accBits) {
        this.accBits -= ones + 1;
        return q + ones;
      }
      q += ones;
      this.accBits = 0;
    }
  }

  /** Reads a LEB128 varint below 2^53. */
  readUvarint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.readBits(8);
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
    throw new ChunkError('format', 'varint longer than 8 bytes in chunk body');
  }

  /** Reads a zigzag varint. */
  readSvarint(): number {
    return unzigzag(this.readUvarint());
  }

  /** Bits not yet read before the end. */
  get bitsLeft(): number {
    return (this.end - this.pos) * 8 + this.accBits;
  }
}

/** Maps a signed integer (|v| < 2^52) to an unsigned one: 0, -1, 1, -2, 2 … → 0, 1, 2, 3, 4 … */
export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

/** Inverse of zigzag. */
export function unzigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/** Number of bits needed to write the non-negative integer v (< 2^53); 0 for 0. */
export function bitLength(v: number): number {
  if (v < TWO_POW_32) return 32 - Math.clz32(v);
  return 64 - Math.clz32(Math.floor(v / TWO_POW_32));
}
