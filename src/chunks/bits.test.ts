import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter, bitLength, unzigzag, zigzag } from './bits.ts';
import { ChunkError } from './errors.ts';

describe('BitWriter', () => {
  it('writes most significant bit first and pads the last byte with zeros', () => {
    const w = new BitWriter();
    w.writeBits(0b1, 1);
    w.writeBits(0b01, 2);
    w.writeBits(0b11111, 5);
    w.writeBits(0b101, 3);
    expect(w.bitLength).toBe(11);
    expect([...w.finish()]).toEqual([0b10111111, 0b10100000]);
  });

  it('grows past its initial size', () => {
    const w = new BitWriter(16);
    for (let i = 0; i < 1000; i++) w.writeBits(i & 0x1ff, 9);
    const r = new BitReader(w.finish());
    for (let i = 0; i < 1000; i++) expect(r.readBits(9)).toBe(i & 0x1ff);
  });

  it('writes unary codes and varints', () => {
    const w = new BitWriter();
    w.writeUnary(0);
    w.writeUnary(3);
    w.writeUnary(30);
    w.writeUvarint(300);
    w.writeSvarint(-(2 ** 51));
    w.writeUvarint(2 ** 53 - 1);
    const r = new BitReader(w.finish());
    expect(r.readUnary(64)).toBe(0);
    expect(r.readUnary(64)).toBe(3);
    expect(r.readUnary(64)).toBe(30);
    expect(r.readUvarint()).toBe(300);
    expect(r.readSvarint()).toBe(-(2 ** 51));
    expect(r.readUvarint()).toBe(2 ** 53 - 1);
  });

  it('stops a unary code at its limit without consuming a terminator', () => {
    const w = new BitWriter();
    w.writeBits(0xffff, 16);
    w.writeBits(0b101, 3);
    const r = new BitReader(w.finish());
    expect(r.readUnary(16)).toBe(16);
    expect(r.readBits(3)).toBe(0b101);
  });

  it('writes 64-bit fields from two words with a shift', () => {
    const w = new BitWriter();
    w.writeBits64(0x80000001, 0x00000003, 0, 64);
    w.writeBits64(0x000fffff, 0xf0000000, 28, 24);
    w.writeBits64(0x00000abc, 0, 32, 12);
    const r = new BitReader(w.finish());
    expect(r.readWord(32)).toBe(0x80000001);
    expect(r.readWord(32)).toBe(0x00000003);
    expect(r.readBits(24)).toBe(0xffffff);
    expect(r.readBits(12)).toBe(0xabc);
  });

  it('round-trips any sequence of fields of any width', () => {
    const field = fc.oneof(
      fc.integer({ min: 0, max: 25 }).chain((n) => fc.record({ kind: fc.constant('bits' as const), n: fc.constant(n), v: fc.integer({ min: 0, max: 2 ** n - 1 }) })),
      fc.integer({ min: 0, max: 53 }).chain((n) => fc.record({ kind: fc.constant('long' as const), n: fc.constant(n), v: fc.maxSafeNat().map((v) => (n === 0 ? 0 : v % 2 ** n)) })),
      fc.record({ kind: fc.constant('word' as const), n: fc.integer({ min: 0, max: 32 }), v: fc.integer({ min: 0, max: 0xffffffff }) }),
      fc.record({ kind: fc.constant('unary' as const), n: fc.constant(0), v: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('svarint' as const), n: fc.constant(0), v: fc.integer({ min: -(2 ** 51), max: 2 ** 51 }) }),
    );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 60 }), (fields) => {
        const w = new BitWriter(16);
        let bits = 0;
        for (const f of fields) {
          if (f.kind === 'bits') w.writeBits(f.v, f.n);
          else if (f.kind === 'long') w.writeBitsLong(f.v, f.n);
          else if (f.kind === 'word') w.writeWord(f.v, f.n);
          else if (f.kind === 'unary') w.writeUnary(f.v);
          else w.writeSvarint(f.v);
          bits = w.bitLength;
        }
        const bytes = w.finish();
        expect(bytes.length).toBe(Math.ceil(bits / 8));
        const r = new BitReader(bytes);
        for (const f of fields) {
          if (f.kind === 'bits') expect(r.readBits(f.n)).toBe(f.v);
          else if (f.kind === 'long') expect(r.readBitsLong(f.n)).toBe(f.v);
          else if (f.kind === 'word') expect(r.readWord(f.n)).toBe(f.n === 0 ? 0 : f.n === 32 ? f.v : f.v % 2 ** f.n);
          else if (f.kind === 'unary') expect(r.readUnary(1000)).toBe(f.v);
          else expect(r.readSvarint()).toBe(f.v);
        }
        expect(r.bitsLeft).toBeLessThan(8);
      }),
    );
  });
});

describe('BitReader', () => {
  it('throws a truncated ChunkError past the end instead of inventing bits', () => {
    const r = new BitReader(new Uint8Array([0xff]));
    r.readBits(5);
    expect(() => r.readBits(5)).toThrow(ChunkError);
    expect(() => new BitReader(new Uint8Array([0xff, 0xff])).readUnary(100)).toThrow(/ends early/);
    expect(() => new BitReader(new Uint8Array(9).fill(0x80)).readUvarint()).toThrow(/varint/);
  });

  it('respects an end offset', () => {
    const r = new BitReader(new Uint8Array([1, 2, 3, 4]), 1, 3);
    expect(r.readBits(16)).toBe(0x0203);
    expect(() => r.readBits(1)).toThrow(/ends early/);
  });
});

describe('zigzag and bitLength', () => {
  it('map signed to unsigned and back', () => {
    expect([0, -1, 1, -2, 2].map(zigzag)).toEqual([0, 1, 2, 3, 4]);
    fc.assert(fc.property(fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }), (v) => unzigzag(zigzag(v)) === v));
  });

  it('counts bits up to 2^53', () => {
    expect([0, 1, 2, 3, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1].map(bitLength)).toEqual([0, 1, 2, 2, 8, 9, 32, 33, 53]);
  });
});
