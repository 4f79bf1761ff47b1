import fc from 'fast-check';
import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { SnappyError, snappyBlockLength, snappyUncompress } from './snappyBlock.ts';

const MAX = 1 << 20;

describe('snappyUncompress', () => {
  it('round-trips what snappyjs compresses, repetitive or not', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 5000 }), fc.string({ maxLength: 3000 }).map((s) => new TextEncoder().encode(s.repeat(3)))), (raw) => {
        expect(Buffer.from(snappyUncompress(compress(raw), MAX)).equals(Buffer.from(raw))).toBe(true);
      }),
    );
  });

  it('refuses a literal whose length turns negative in 32-bit arithmetic (it sent snappyjs into an endless loop)', () => {
    // length 5, then a literal with a 4-byte length of 0xfffffff0: snappyjs moves its position back and loops.
    expect(() => snappyUncompress(Uint8Array.from([0x05, 0xfc, 0xf0, 0xff, 0xff, 0xff]), MAX)).toThrow(/runs past the end/);
  });

  it('refuses blocks that decode to another length than they claim, or copy from before the start', () => {
    const good = compress(new TextEncoder().encode('abcabcabcabc'));
    const longer = Uint8Array.from(good);
    longer[0] += 1;
    expect(() => snappyUncompress(longer, MAX)).toThrow(/decodes to 12 bytes, not the 13/);
    const shorter = Uint8Array.from(good);
    shorter[0] -= 1;
    expect(() => snappyUncompress(shorter, MAX)).toThrow(/more than the 11 bytes/);
    // A copy of 4 bytes from 1 back with nothing written yet.
    expect(() => snappyUncompress(Uint8Array.from([0x04, 0x01, 0x01]), MAX)).toThrow(/before the start/);
    expect(() => snappyUncompress(Uint8Array.from([0x80]), MAX)).toThrow(/inside its length header/);
    expect(() => snappyUncompress(compress(new Uint8Array(100)), 99)).toThrow(/more than the 99 allowed/);
  });

  it('on any bytes either decodes exactly the claimed length or throws SnappyError, quickly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        let out: Uint8Array | undefined;
        try {
          out = snappyUncompress(bytes, MAX);
        } catch (err) {
          expect(err).toBeInstanceOf(SnappyError);
          return;
        }
        expect(out.length).toBe(snappyBlockLength(bytes, MAX));
      }),
      { numRuns: 5000 },
    );
  });
});
