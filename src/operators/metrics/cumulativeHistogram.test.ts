// Cumulative histogram aggregator against an independent oracle: the series is simulated from raw
// observations, so the histogram of a partial must be exactly the observations made after its first
// point — across restarts, bounds changes, duplicates and out-of-order windows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addCumulativeHistogramPoint,
  compactCumulativeHistogram,
  cumulativeHistogramResult,
  cumulativeHistogramSerde,
  emptyCumulativeHistogram,
  mergeCumulativeHistograms,
} from './cumulativeHistogram.ts';
import type { CumulativeHistogramPointFields } from './cumulativeHistogram.ts';
import { mergeInRandomGrouping, permute, rollupShape, splitRuns } from './testing.ts';

const BOUND_SETS = [[0, 10, 100], [5, 50]];

function bucketOf(bounds: readonly number[], value: number): number {
  const i = bounds.findIndex((b) => value <= b);
  return i < 0 ? bounds.length : i;
}

interface Simulated {
  points: CumulativeHistogramPointFields[];
  /** Observations made after the first point, with the bounds they were counted under. */
  observedAfterFirst: Array<{ value: number; bounds: number }>;
}

/**
 * An instrument's cumulative histogram: each step records observations (integers, so sums are exact)
 * and reports a point; some steps restart it (new start time, counts from zero, maybe new bounds),
 * repeat the last point (a duplicate), or report nothing new.
 */
const series = fc
  .array(fc.record({ kind: fc.constantFrom('observe', 'observe', 'observe', 'restart', 'rebound', 'duplicate'), values: fc.array(fc.integer({ min: -20, max: 200 }), { maxLength: 6 }), gap: fc.integer({ min: 1, max: 5000 }) }), { maxLength: 40 })
  .map((steps): Simulated => {
    let time = 0;
    let start = 0;
    let bounds = 0;
    let counts = new Array<number>(BOUND_SETS[0].length + 1).fill(0);
    let sum = 0;
    const points: CumulativeHistogramPointFields[] = [];
    const observedAfterFirst: Simulated['observedAfterFirst'] = [];
    for (const s of steps) {
      if (s.kind === 'duplicate' && points.length > 0) {
        points.push({ ...points[points.length - 1] });
        continue;
      }
      time += s.gap;
      if (s.kind === 'restart' || s.kind === 'rebound') {
        start = time - 1;
        if (s.kind === 'rebound') bounds = 1 - bounds;
        counts = new Array<number>(BOUND_SETS[bounds].length + 1).fill(0);
        sum = 0;
      }
      counts = [...counts];
      for (const v of s.values) {
        counts[bucketOf(BOUND_SETS[bounds], v)]++;
        sum += v;
        if (points.length > 0) observedAfterFirst.push({ value: v, bounds });
      }
      const count = counts.reduce((t, c) => t + c, 0);
      points.push({ explicitBounds: BOUND_SETS[bounds], bucketCounts: counts, count, sum, min: undefined, max: undefined, timeMs: time, timeNanos: 0, startTimeMs: start, startTimeNanos: 0, flags: 0 });
    }
    return { points, observedAfterFirst };
  });

const fold = (points: readonly CumulativeHistogramPointFields[]) => points.reduce(addCumulativeHistogramPoint, emptyCumulativeHistogram);

function oracle({ points, observedAfterFirst }: Simulated) {
  // Bounds of the newest increase: those of the last point that is not a duplicate of the one before.
  let newest = -1;
  for (let i = 1; i < points.length; i++) if (points[i].timeMs !== points[i - 1].timeMs) newest = i;
  if (newest < 0) return { bucketCounts: [], count: 0, sum: undefined, boundsChanged: 0 };
  const bounds = points[newest].explicitBounds;
  const same = observedAfterFirst.filter((o) => BOUND_SETS[o.bounds] === bounds);
  const bucketCounts = new Array<number>(bounds.length + 1).fill(0);
  for (const o of same) bucketCounts[bucketOf(bounds, o.value)]++;
  return { bucketCounts, count: same.length, sum: same.reduce((t, o) => t + o.value, 0), boundsChanged: observedAfterFirst.length - same.length };
}

const view = (acc: typeof emptyCumulativeHistogram) => {
  const r = cumulativeHistogramResult(acc);
  return { explicitBounds: r.explicitBounds, bucketCounts: r.bucketCounts, count: r.count, sum: r.sum, boundsChanged: r.boundsChanged, points: r.points, resets: r.resets, duplicates: r.duplicates, outOfOrder: r.outOfOrder };
};

describe('cumulative histogram aggregator', () => {
  it('the increase is exactly the observations made after the first point (restarts, bounds changes, duplicates)', () => {
    fc.assert(
      fc.property(series, (s) => {
        const r = cumulativeHistogramResult(fold(s.points));
        expect({ bucketCounts: r.bucketCounts, count: r.count, sum: r.sum, boundsChanged: r.boundsChanged }).toEqual(oracle(s));
        expect(r).toMatchObject({ points: s.points.length, outOfOrder: 0, min: undefined, max: undefined });
      }),
    );
  });

  it('rollup: partials (raw or compacted) merge in any order and grouping', () => {
    fc.assert(
      fc.property(series, rollupShape, fc.array(fc.nat()), fc.boolean(), (s, shape, order, compact) => {
        let partials = splitRuns(s.points, shape.cuts).map(fold);
        if (compact) partials = partials.map(compactCumulativeHistogram);
        expect(view(mergeInRandomGrouping(permute(partials, order), mergeCumulativeHistograms, shape.choices))).toEqual(view(fold(s.points)));
      }),
    );
  });

  it('round-trips through its changelog encoding; garbage throws a RangeError', () => {
    fc.assert(
      fc.property(series, fc.uint8Array({ maxLength: 200 }), (s, garbage) => {
        const acc = fold(s.points);
        const bytes = cumulativeHistogramSerde.serialize(acc);
        expect(view(cumulativeHistogramSerde.deserialize(bytes))).toEqual(view(acc));
        expect(() => cumulativeHistogramSerde.deserialize(bytes.slice(0, -1))).toThrow(RangeError);
        try {
          cumulativeHistogramSerde.deserialize(garbage);
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
          expect((error as Error).message).toContain('cumulative histogram aggregate');
        }
      }),
    );
  });

  it('a bucket count that went down is a reset even when the start time stayed', () => {
    const at = (timeMs: number, bucketCounts: number[]) => ({ explicitBounds: [10], bucketCounts, count: bucketCounts[0] + bucketCounts[1], sum: 0, min: undefined, max: undefined, timeMs, timeNanos: 0, startTimeMs: 0, startTimeNanos: 0, flags: 0 });
    const acc = [at(1, [3, 2]), at(2, [4, 2]), at(3, [1, 5])].reduce(addCumulativeHistogramPoint, emptyCumulativeHistogram);
    expect(cumulativeHistogramResult(acc)).toMatchObject({ bucketCounts: [2, 5], count: 7, resets: 1 });
  });

  it('counts invalid points instead of using them', () => {
    const bad = { explicitBounds: [1], bucketCounts: [1], count: 1, sum: 1, min: undefined, max: undefined, timeMs: 1, timeNanos: 0, startTimeMs: 0, startTimeNanos: 0, flags: 0 };
    expect(cumulativeHistogramResult(addCumulativeHistogramPoint(emptyCumulativeHistogram, bad))).toMatchObject({ count: 0, invalid: 1, points: 0 });
  });
});
