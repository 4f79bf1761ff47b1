// The rate-jump detector on a table of histories: the baseline, the Poisson floor, minCount and 'new' templates.
import { describe, expect, it } from 'vitest';
import { detectJump, type JumpOptions } from './detect.ts';

describe('detectJump', () => {
  it.each<[string, number[], Partial<JumpOptions>, { jump: boolean; reason: string; baseline: number; threshold: number }]>([
    ['no history, quiet', [0], {}, { jump: false, reason: 'steady', baseline: 0, threshold: 10 }],
    ['no history, at minCount: new', [10], {}, { jump: true, reason: 'new', baseline: 0, threshold: 10 }],
    ['only zeros before: new', [0, 0, 0, 12], {}, { jump: true, reason: 'new', baseline: 0, threshold: 10 }],
    ['only zeros before, below minCount', [0, 0, 0, 9], {}, { jump: false, reason: 'steady', baseline: 0, threshold: 10 }],
    ['flat history: the Poisson floor √100 = 10 sets the spread', [100, 100, 100, 100, 130], {}, { jump: true, reason: 'jump', baseline: 100, threshold: 130 }],
    ['flat history, just under', [100, 100, 100, 100, 129], {}, { jump: false, reason: 'steady', baseline: 100, threshold: 130 }],
    ['noisy history: the stddev √200 sets the spread', [100, 80, 120, 100, 142], {}, { jump: false, reason: 'steady', baseline: 100, threshold: 100 + 3 * Math.sqrt(200) }],
    ['noisy history, above', [100, 80, 120, 100, 143], {}, { jump: true, reason: 'jump', baseline: 100, threshold: 100 + 3 * Math.sqrt(200) }],
    ['rare template: minCount wins over 1 + 3·1', [1, 1, 1, 5], {}, { jump: false, reason: 'steady', baseline: 1, threshold: 10 }],
    ['rare template, lower minCount', [1, 1, 1, 5], { minCount: 2 }, { jump: true, reason: 'jump', baseline: 1, threshold: 4 }],
    ['only the last `history` buckets count', [1000, 10, 10, 10, 10, 50], { history: 4 }, { jump: true, reason: 'jump', baseline: 10, threshold: 10 + 3 * Math.sqrt(10) }],
    ['a longer history sees the old spike', [1000, 10, 10, 10, 10, 50], { history: 5 }, { jump: false, reason: 'steady', baseline: 208, threshold: 208 + 3 * 396 }],
    ['k = 0: anything at the baseline', [20, 20, 20], { k: 0 }, { jump: true, reason: 'jump', baseline: 20, threshold: 20 }],
    ['a drop is not a jump', [100, 100, 100, 0], {}, { jump: false, reason: 'steady', baseline: 100, threshold: 130 }],
  ])('%s', (_name, counts, options, expected) => {
    const verdict = detectJump(counts, options);
    expect({ ...verdict, threshold: Math.round(verdict.threshold * 1e9) / 1e9 }).toEqual({
      current: counts[counts.length - 1],
      ...expected,
      threshold: Math.round(expected.threshold * 1e9) / 1e9,
    });
  });

  it.each<[number[], Partial<JumpOptions>, RegExp]>([
    [[], {}, /counts is empty/],
    [[1, -1], {}, /counts\[1\] -1/],
    [[NaN], {}, /counts\[0\] NaN/],
    [[1, Infinity], {}, /counts\[1\] Infinity/],
    [[1], { history: 0 }, /history 0/],
    [[1], { k: -1 }, /k -1/],
    [[1], { minCount: NaN }, /minCount NaN/],
  ])('rejects %j %j', (counts, options, error) => {
    expect(() => detectJump(counts, options)).toThrow(error);
  });
});
