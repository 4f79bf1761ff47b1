// Merging the patterns of several miners: equal texts add up; folding into covering templates against a brute-force
// oracle (every template ends in a template that covers it and that nothing else covers; no count is lost).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coversTemplate, mergePatterns } from './merge.ts';

describe('mergePatterns', () => {
  it('adds up equal templates bucket by bucket', () => {
    expect(
      mergePatterns([
        { template: 'user <*> logged in', counts: [1, 2, 3] },
        { template: 'disk <*> full', counts: [0, 0, 9] },
        { template: 'user <*> logged in', counts: [10, 0, 1] },
      ]),
    ).toEqual([
      { template: 'user <*> logged in', counts: [11, 2, 4], total: 17, folded: [] },
      { template: 'disk <*> full', counts: [0, 0, 9], total: 9, folded: [] },
    ]);
  });

  it('folds a template into the most specific template that covers it, and on to one nothing covers', () => {
    const merged = mergePatterns([
      { template: 'a b c', counts: [1] },
      { template: 'a <*> c', counts: [2] },
      { template: '<*> <*> c', counts: [4] },
      { template: '<*> b <*>', counts: [8] },
      { template: 'a b', counts: [16] },
      { template: 'x y c d', counts: [32] },
    ]);
    expect(merged).toEqual([
      { template: 'x y c d', counts: [32], total: 32, folded: [] },
      { template: 'a b', counts: [16], total: 16, folded: [] },
      { template: '<*> b <*>', counts: [8], total: 8, folded: [] },
      { template: '<*> <*> c', counts: [7], total: 7, folded: ['a <*> c', 'a b c'] },
    ]);
  });

  it('folds nothing when told not to', () => {
    const patterns = [
      { template: 'user alice logged in', counts: [1] },
      { template: 'user <*> logged in', counts: [2] },
    ];
    expect(mergePatterns(patterns, { fold: false }).map((m) => m.template)).toEqual(['user <*> logged in', 'user alice logged in']);
    expect(mergePatterns(patterns)).toEqual([{ template: 'user <*> logged in', counts: [3], total: 3, folded: ['user alice logged in'] }]);
  });

  it('rejects inputs on different bucket grids naming the template', () => {
    expect(() => mergePatterns([{ template: 'a', counts: [1, 2] }, { template: 'b', counts: [1] }])).toThrow('mergePatterns: "b" has 1 buckets where the others have 2');
  });

  it('matches a brute-force oracle on random templates', () => {
    const template = fc.array(fc.constantFrom('a', 'b', '<*>'), { maxLength: 3 }).map((ts) => ts.join(' '));
    fc.assert(
      fc.property(fc.array(fc.record({ template, counts: fc.array(fc.nat(20), { minLength: 2, maxLength: 2 }) }), { maxLength: 12 }), (patterns) => {
        const merged = mergePatterns(patterns);
        const sum = (ps: Array<{ counts: readonly number[] }>, i: number): number => ps.reduce((t, p) => t + p.counts[i], 0);
        expect([0, 1].map((i) => sum(merged, i))).toEqual([0, 1].map((i) => sum(patterns, i)));
        const roots = merged.map((m) => m.template);
        const all = [...new Set(patterns.map((p) => p.template))];
        // Roots are the templates that no other template covers.
        expect(new Set(roots)).toEqual(new Set(all.filter((t) => !all.some((g) => g !== t && coversTemplate(g, t)))));
        for (const m of merged) {
          expect(m.total).toBe(m.counts[0] + m.counts[1]);
          for (const f of m.folded) expect(coversTemplate(m.template, f)).toBe(true);
          const own = patterns.filter((p) => p.template === m.template || m.folded.includes(p.template));
          expect(m.counts).toEqual([0, 1].map((i) => sum(own, i)));
        }
        expect(merged.reduce((t, m) => t + 1 + m.folded.length, 0)).toBe(all.length);
      }),
    );
  });
});
