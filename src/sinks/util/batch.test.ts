import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateRowBytes, lastPerKey, splitBatches } from './batch.ts';

const size = (n: number) => n;

describe('splitBatches', () => {
  it.each([
    // rows (as their sizes), limits, expected batches
    [[], { maxRows: 2, maxBytes: 100 }, []],
    [[1, 1, 1, 1, 1], { maxRows: 2, maxBytes: 100 }, [[1, 1], [1, 1], [1]]],
    [[40, 40, 40], { maxRows: 10, maxBytes: 100 }, [[40, 40], [40]]],
    [[60, 40, 1], { maxRows: 10, maxBytes: 100 }, [[60, 40], [1]]],
    [[500, 1, 500], { maxRows: 10, maxBytes: 100 }, [[500], [1], [500]]], // a row over maxBytes goes alone
    [[1, 2, 3], { maxRows: 1, maxBytes: 1 }, [[1], [2], [3]]],
  ])('%j within %j → %j', (rows, limits, expected) => {
    expect(splitBatches(rows, limits, size)).toEqual(expected);
  });

  it('keeps every row in order, and every batch within its limits (a single row may exceed maxBytes)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 1_000 }), (rows, maxRows, maxBytes) => {
        const batches = splitBatches(rows, { maxRows, maxBytes }, size);
        expect(batches.flat()).toEqual(rows);
        for (const b of batches) {
          expect(b.length).toBeGreaterThan(0);
          expect(b.length).toBeLessThanOrEqual(maxRows);
          if (b.length > 1) expect(b.reduce((a, n) => a + n, 0)).toBeLessThanOrEqual(maxBytes);
        }
        // Greedy: a batch closed early only because the next row would not fit.
        for (let i = 0; i + 1 < batches.length; i++) {
          const b = batches[i];
          expect(b.length === maxRows || b.reduce((a, n) => a + n, 0) + batches[i + 1][0] > maxBytes).toBe(true);
        }
      }),
    );
  });
});

describe('lastPerKey', () => {
  it('keeps the last row of each key', () => {
    const rows = [{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'a', v: 3 }];
    expect(lastPerKey(rows, (r) => r.k)).toEqual([{ k: 'a', v: 3 }, { k: 'b', v: 2 }]);
  });

  it('returns the same array when keys are distinct', () => {
    const rows = [{ k: 'a' }, { k: 'b' }];
    expect(lastPerKey(rows, (r) => r.k)).toBe(rows);
  });
});

describe('estimateRowBytes', () => {
  it('counts field names, string lengths, 8 bytes per number', () => {
    expect(estimateRowBytes({ key: 'abc', n: 1 })).toBe(2 + 3 + 5 + 1 + 8);
    expect(estimateRowBytes('abcd')).toBe(6);
  });
});
