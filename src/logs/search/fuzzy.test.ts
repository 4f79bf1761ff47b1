import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withinEditDistance } from './fuzzy.ts';
import { levenshtein } from './testing.ts';

describe('withinEditDistance', () => {
  it.each([
    ['kitten', 'sitting', 3],
    ['', '', 0],
    ['', 'ab', 2],
    ['abc', '', 3],
    ['flaw', 'lawn', 2],
    ['timeout', 'timeuot', 2],
    ['connection', 'conection', 1],
    ['😀a', 'a', 1], // one code point, two UTF-16 units
    ['éa', 'ea', 1],
    ['用户', '户用', 2],
  ] as const)('%s ~ %s = %d', (a, b, distance) => {
    expect(levenshtein(a, b)).toBe(distance);
    for (let max = 0; max <= 3; max++) {
      expect(withinEditDistance(a, b, max)).toBe(distance <= max);
      expect(withinEditDistance(b, a, max)).toBe(distance <= max);
    }
  });

  it('agrees with the full Levenshtein table (code points, including astral and lone surrogates)', () => {
    const unit = fc.constantFrom('a', 'b', 'c', 'é', '😀', '用', '\ud800', '\udc00');
    const word = fc.array(unit, { maxLength: 12 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 4 }), (a, b, max) => {
        expect(withinEditDistance(a, b, max)).toBe(levenshtein(a, b) <= max);
      }),
      { numRuns: 5000 },
    );
  });

  it('handles long words after short ones (buffers grow)', () => {
    const long = 'x'.repeat(300);
    expect(withinEditDistance(long, long.slice(1) + 'y', 2)).toBe(true);
    expect(withinEditDistance(long, 'y' + long.slice(3) + 'zz', 2)).toBe(false);
    expect(withinEditDistance('ab', 'ba', 2)).toBe(true);
  });
});
