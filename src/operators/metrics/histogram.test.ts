// Explicit-bounds histogram aggregator against brute force: bucket-wise merge, count, sum, min, max, the
// bounds change rule, quantiles in the exact quantile's bucket, and the rollup property.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AggregationTemporality } from '../../otlp/model.ts';
import { addHistogramPoint, emptyHistogram, histogramQuantile, histogramResult, MAX_BOUNDS_GROUPS, mergeHistograms } from './histogram.ts';
import type { HistogramPointFields } from './histogram.ts';
import { bruteForceSum, mergeInRandomGrouping, permute, rollupShape, splitRuns, testDouble } from './testing.ts';

const BOUND_SETS = [[0, 5, 10, 100], [1, 2, 4, 8, 16, 32], [-10, 0, 10]];

/** Bucket of a value: the first bound ≥ value, or the overflow bucket. */
function bucketOf(bounds: readonly number[], value: number): number {
  const i = bounds.findIndex((b) => value <= b);
  return i < 0 ? bounds.length : i;
}

/** A histogram point made from raw observations, so the oracle can use the observations. */
interface TestPoint {
  point: HistogramPointFields;
  values: number[];
}

function makePoint(bounds: readonly number[], values: number[], timeMs: number, withSum: boolean, withMinMax: boolean): TestPoint {
  const bucketCounts = new Array<number>(bounds.length + 1).fill(0);
  for (const v of values) bucketCounts[bucketOf(bounds, v)]++;
  return {
    values,
    point: {
      count: values.length,
      sum: withSum ? bruteForceSum(values) : undefined,
      bucketCounts,
      explicitBounds: [...bounds],
      min: withMinMax && values.length ? Math.min(...values) : undefined,
      max: withMinMax && values.length ? Math.max(...values) : undefined,
      timeMs,
      timeNanos: 0,
      flags: 0,
    },
  };
}

const observation = fc.oneof(fc.integer({ min: -50, max: 200 }), testDouble.map((v) => v / 2 ** 40));
const testPoint = (boundSets: number) =>
  fc
    .record({
      bounds: fc.integer({ min: 0, max: boundSets - 1 }),
      values: fc.array(observation, { maxLength: 12 }),
      timeMs: fc.integer({ min: 0, max: 30 }),
      withSum: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      withMinMax: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    })
    .map((p) => makePoint(BOUND_SETS[p.bounds], p.values, p.timeMs, p.withSum, p.withMinMax));

const fold = (points: readonly TestPoint[]) => points.reduce((acc, p) => addHistogramPoint(acc, p.point), emptyHistogram);

function compareBounds(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Brute force of the bounds rule: the newest point's bounds (ties: larger bounds) win; others are counted. */
function oracle(points: readonly TestPoint[]) {
  if (points.length === 0) return { explicitBounds: [], bucketCounts: [], count: 0, sum: undefined, min: undefined, max: undefined, boundsChanged: 0, invalid: 0 };
  const newest = points.reduce((best, p) => (p.point.timeMs > best.point.timeMs || (p.point.timeMs === best.point.timeMs && compareBounds(p.point.explicitBounds, best.point.explicitBounds) > 0) ? p : best));
  const bounds = newest.point.explicitBounds;
  const same = points.filter((p) => compareBounds(p.point.explicitBounds, bounds) === 0);
  const values = same.flatMap((p) => p.values);
  const bucketCounts = new Array<number>(bounds.length + 1).fill(0);
  for (const v of values) bucketCounts[bucketOf(bounds, v)]++;
  const has = (field: 'sum' | 'min' | 'max') => same.every((p) => p.point[field] !== undefined);
  return {
    explicitBounds: bounds,
    bucketCounts,
    count: values.length,
    // The partial only knows each point's (rounded) sum, so the exact sum of those.
    sum: has('sum') ? bruteForceSum(same.map((p) => p.point.sum as number)) : undefined,
    // A point without min (max) makes it unknown, even an empty point: it did not say.
    min: has('min') ? Math.min(...values) : undefined,
    max: has('max') ? Math.max(...values) : undefined,
    boundsChanged: points.length === same.length ? 0 : points.filter((p) => !same.includes(p)).reduce((t, p) => t + p.values.length, 0),
    invalid: 0,
  };
}

describe('histogram aggregator', () => {
  it('equals brute force: buckets, count, sum, min, max, and the bounds change rule', () => {
    fc.assert(
      fc.property(fc.array(testPoint(3), { maxLength: 30 }), (points) => {
        expect(histogramResult(fold(points))).toEqual(oracle(points));
      }),
    );
  });

  it('rollup: partials merge in any order and grouping (up to MAX_BOUNDS_GROUPS distinct bounds)', () => {
    fc.assert(
      fc.property(fc.array(testPoint(3), { maxLength: 30 }), rollupShape, fc.array(fc.nat()), (points, shape, order) => {
        const partials = permute(splitRuns(points, shape.cuts).map(fold), order);
        expect(histogramResult(mergeInRandomGrouping(partials, mergeHistograms, shape.choices))).toEqual(histogramResult(fold(points)));
      }),
    );
  });

  it('quantiles by interpolation lie in the bucket of the exact quantile', () => {
    fc.assert(
      fc.property(fc.array(observation, { minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 2 }), fc.boolean(), (values, b, withMinMax) => {
        const bounds = BOUND_SETS[b];
        const result = histogramResult(fold([makePoint(bounds, values, 0, true, withMinMax)]));
        const sorted = [...values].sort((x, y) => x - y);
        for (const q of [0, 0.01, 0.25, 0.5, 0.9, 0.99, 1]) {
          const estimate = histogramQuantile(result, q);
          const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
          const i = bucketOf(bounds, exact);
          const lower = i === 0 ? -Infinity : bounds[i - 1];
          const upper = i === bounds.length ? Infinity : bounds[i];
          // In the exact value's bucket, and within [min, max] when they are known.
          expect(estimate).toBeGreaterThanOrEqual(withMinMax ? Math.max(lower, sorted[0]) : lower);
          expect(estimate).toBeLessThanOrEqual(withMinMax ? Math.min(upper, sorted.at(-1)!) : upper);
        }
      }),
    );
  });

  it('interpolates linearly inside a bucket', () => {
    const result = histogramResult(fold([makePoint([10, 20], [12, 14, 16, 18], 0, true, false)]));
    // All four observations in (10, 20]: rank 2 of 4 is halfway.
    expect(histogramQuantile(result, 0.5)).toBe(15);
    expect(histogramQuantile(result, 1)).toBe(20);
    expect(histogramQuantile({ ...result, count: 0 }, 0.5)).toBeNaN();
  });

  it('counts points with other bounds instead of re-bucketing them, and evicts past the group limit', () => {
    const old = makePoint([1, 2], [1, 1.5, 3], 10, true, true).point;
    const newer = makePoint([5], [4, 6], 20, true, true).point;
    const result = histogramResult(addHistogramPoint(addHistogramPoint(emptyHistogram, newer), old));
    expect(result).toMatchObject({ explicitBounds: [5], bucketCounts: [1, 1], count: 2, boundsChanged: 3 });
    let acc = emptyHistogram;
    for (let k = 0; k <= MAX_BOUNDS_GROUPS; k++) acc = addHistogramPoint(acc, makePoint([k], [k], k, true, true).point);
    expect(acc.groups.length).toBe(MAX_BOUNDS_GROUPS);
    expect(acc.evicted).toBe(1);
    expect(histogramResult(acc)).toMatchObject({ explicitBounds: [MAX_BOUNDS_GROUPS], boundsChanged: MAX_BOUNDS_GROUPS });
  });

  it('does not merge invalid points (counts that do not fit the bounds) nor cumulative ones', () => {
    const bad = { ...makePoint([1, 2], [1], 0, true, true).point, bucketCounts: [1, 0] };
    const unsorted = { ...makePoint([1, 2], [1], 0, true, true).point, explicitBounds: [2, 1] };
    const cumulative = { ...makePoint([1, 2], [1], 0, true, true).point, metric: { aggregationTemporality: AggregationTemporality.CUMULATIVE } };
    const delta = { ...makePoint([1, 2], [1], 0, true, true).point, metric: { aggregationTemporality: AggregationTemporality.DELTA } };
    const acc = [bad, unsorted, cumulative, delta].reduce(addHistogramPoint, emptyHistogram);
    expect(histogramResult(acc)).toMatchObject({ count: 1, invalid: 3 });
  });
});
