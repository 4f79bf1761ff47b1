import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

const policy = { baseMs: 100, maxMs: 5_000 };

describe('backoffDelay', () => {
  it.each([
    // attempt, random, expected: full jitter in [0, min(max, base·2^(attempt−1)))
    [1, 0, 0],
    [1, 0.5, 50],
    [1, 0.999, 99],
    [2, 0.5, 100],
    [3, 0.5, 200],
    [6, 0.5, 1_600],
    [7, 0.5, 2_500], // ceiling 6,400 capped at 5,000
    [60, 0.5, 2_500],
    [1_000, 0.999, 4_995],
  ])('attempt %i, random %f → %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, policy, () => random)).toBe(expected);
  });

  it('stays within [0, min(maxMs, baseMs·2^(attempt−1))) for every attempt and draw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 60_000 }), (attempt, r, baseMs, maxMs) => {
        const d = backoffDelay(attempt, { baseMs, maxMs }, () => r);
        const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.max(ceiling, 1));
        expect(Number.isInteger(d)).toBe(true);
      }),
    );
  });
});
