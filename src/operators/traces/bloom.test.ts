import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TraceIdBloom } from './bloom.ts';

const traceId = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex'));

describe('TraceIdBloom', () => {
  it('never gives a false negative, also after a round trip through its record', () => {
    fc.assert(
      fc.property(fc.uniqueArray(traceId, { maxLength: 300 }), (ids) => {
        const bloom = TraceIdBloom.forCount(ids.length);
        for (const id of ids) bloom.add(id);
        const stored = TraceIdBloom.fromRecord(Uint8Array.from(bloom.bits), bloom.hashes);
        for (const id of ids) expect(stored.mightContain(id)).toBe(true);
      }),
    );
  });

  it('keeps false positives near 1 %, for random ids and for 64-bit ids padded with zeros', () => {
    const n = 20_000;
    for (const make of [(i: number) => `${i.toString(16).padStart(16, '0')}${(i * 2654435761).toString(16).padStart(16, '0')}`, (i: number) => `${'0'.repeat(16)}${(i * 40503).toString(16).padStart(16, '0')}`]) {
      const bloom = TraceIdBloom.forCount(n);
      for (let i = 0; i < n; i++) bloom.add(make(i));
      let positives = 0;
      for (let i = n; i < 3 * n; i++) if (bloom.mightContain(make(i))) positives++;
      expect(positives / (2 * n)).toBeLessThan(0.02);
    }
  });

  it('refuses impossible settings', () => {
    expect(() => TraceIdBloom.forCount(10, 0)).toThrow(/false-positive rate/);
    expect(() => TraceIdBloom.fromRecord(new Uint8Array(0), 3)).toThrow(/at least one byte/);
    expect(() => TraceIdBloom.fromRecord(new Uint8Array(8), 0)).toThrow(/1–32 hashes/);
  });
});
