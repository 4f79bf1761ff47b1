// Exponential histogram aggregator against brute force: buckets after scale reduction, zero count, count,
// sum, min, max; quantiles in the exact quantile's bucket; the rollup property.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AggregationTemporality } from '../../otlp/model.ts';
import {
  addExponentialHistogramPoint,
  emptyExponentialHistogram,
  exponentialBucketIndex,
  exponentialBucketLowerBound,
  exponentialHistogramQuantile,
  exponentialHistogramResult,
  MAX_BUCKETS,
  mergeExponentialHistograms,
  MIN_SCALE,
} from './exponentialHistogram.ts';
import type { ExponentialHistogramAggregate, ExponentialHistogramPointFields } from './exponentialHistogram.ts';
import { bruteForceSum, mergeInRandomGrouping, permute, rollupShape, splitRuns } from './testing.ts';

interface TestPoint {
  point: ExponentialHistogramPointFields;
  values: number[];
}

// Magnitudes from 2^-30 to 2^40 (so merged points need scale reduction), zeros and both signs.
const observation = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 8, arbitrary: fc.tuple(fc.boolean(), fc.integer({ min: -30, max: 40 }), fc.integer({ min: 0, max: 2 ** 20 })).map(([negative, e, f]) => (negative ? -1 : 1) * 2 ** e * (1 + f / 2 ** 20)) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 1000 }) },
);

function runOf(indexes: number[]): { offset: number; bucketCounts: number[] } {
  if (indexes.length === 0) return { offset: 0, bucketCounts: [] };
  const offset = Math.min(...indexes);
  const counts = new Array<number>(Math.max(...indexes) - offset + 1).fill(0);
  for (const i of indexes) counts[i - offset]++;
  return { offset, bucketCounts: counts };
}

function makePoint(values: number[], scale: number): TestPoint {
  return {
    values,
    point: {
      count: values.length,
      sum: bruteForceSum(values),
      scale,
      zeroCount: values.filter((v) => v === 0).length,
      zeroThreshold: 0,
      positive: runOf(values.filter((v) => v > 0).map((v) => exponentialBucketIndex(v, scale))),
      negative: runOf(values.filter((v) => v < 0).map((v) => exponentialBucketIndex(-v, scale))),
      min: values.length ? Math.min(...values) : undefined,
      max: values.length ? Math.max(...values) : undefined,
      flags: 0,
    },
  };
}

const testPoint = fc.record({ values: fc.array(observation, { maxLength: 10 }), scale: fc.integer({ min: -2, max: 8 }) }).map((p) => makePoint(p.values, p.scale));
const fold = (points: readonly TestPoint[]) => points.reduce((acc, p) => addExponentialHistogramPoint(acc, p.point), emptyExponentialHistogram);

/** Each observation's bucket index at `scale`, reached from its point's own index (as a merge does). */
function indexesAt(points: readonly TestPoint[], scale: number, sign: 1 | -1): number[] {
  return points.flatMap((p) => p.values.filter((v) => v * sign > 0).map((v) => Math.floor(exponentialBucketIndex(v * sign, p.point.scale) / 2 ** (p.point.scale - scale))));
}

function oracle(all: readonly TestPoint[]) {
  const points = all.filter((p) => p.values.length > 0); // empty points carry nothing
  if (points.length === 0) return undefined;
  const spans = (s: number, sign: 1 | -1) => {
    const ix = indexesAt(points, s, sign);
    return ix.length === 0 ? 0 : Math.max(...ix) - Math.min(...ix) + 1;
  };
  let scale = Math.min(...points.map((p) => p.point.scale));
  while (scale > MIN_SCALE && (spans(scale, 1) > MAX_BUCKETS || spans(scale, -1) > MAX_BUCKETS)) scale--;
  const values = points.flatMap((p) => p.values);
  return {
    scale,
    zeroCount: values.filter((v) => v === 0).length,
    positive: runOf(indexesAt(points, scale, 1)),
    negative: runOf(indexesAt(points, scale, -1)),
    count: values.length,
    sum: bruteForceSum(points.map((p) => p.point.sum as number)),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

function view(acc: ExponentialHistogramAggregate) {
  if (acc.count === 0) return undefined;
  const r = exponentialHistogramResult(acc);
  return { scale: r.scale, zeroCount: r.zeroCount, positive: r.positive, negative: r.negative, count: r.count, sum: r.sum, min: r.min, max: r.max };
}

describe('exponential histogram aggregator', () => {
  it('equals brute force: scale reduction, buckets of both signs, zero count, count, sum, min, max', () => {
    fc.assert(
      fc.property(fc.array(testPoint, { maxLength: 20 }), (points) => {
        const acc = fold(points);
        expect(view(acc)).toEqual(oracle(points));
        expect(acc.positive.bucketCounts.length).toBeLessThanOrEqual(MAX_BUCKETS);
      }),
    );
  });

  it('rollup: partials merge in any order and grouping', () => {
    fc.assert(
      fc.property(fc.array(testPoint, { maxLength: 20 }), rollupShape, fc.array(fc.nat()), (points, shape, order) => {
        const partials = permute(splitRuns(points, shape.cuts).map(fold), order);
        expect(view(mergeInRandomGrouping(partials, mergeExponentialHistograms, shape.choices))).toEqual(view(fold(points)));
      }),
    );
  });

  it('quantiles lie in the exact quantile’s bucket (relative error below base − 1)', () => {
    fc.assert(
      fc.property(fc.array(observation, { minLength: 1, maxLength: 150 }), fc.integer({ min: -2, max: 8 }), (values, pointScale) => {
        const acc = fold([makePoint(values, pointScale)]);
        const sorted = [...values].sort((a, b) => a - b);
        for (const q of [0, 0.01, 0.25, 0.5, 0.9, 0.99, 1]) {
          const estimate = exponentialHistogramQuantile(acc, q);
          const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
          if (exact === 0) {
            expect(estimate).toBe(0);
            continue;
          }
          const index = Math.floor(exponentialBucketIndex(Math.abs(exact), pointScale) / 2 ** (pointScale - acc.scale));
          const [lower, upper] = [exponentialBucketLowerBound(index, acc.scale), exponentialBucketLowerBound(index + 1, acc.scale)];
          expect(Math.sign(estimate)).toBe(Math.sign(exact));
          expect(Math.abs(estimate)).toBeGreaterThanOrEqual(lower * (1 - 1e-12));
          expect(Math.abs(estimate)).toBeLessThanOrEqual(upper * (1 + 1e-12));
        }
      }),
    );
  });

  it('downscales to the smaller scale when merging', () => {
    const fine = fold([makePoint([1.5, 3], 3)]);
    const coarse = fold([makePoint([5], 1)]);
    const merged = mergeExponentialHistograms(fine, coarse);
    expect(merged.scale).toBe(1);
    // At scale 1 the buckets are (√2^i, √2^(i+1)]: 1.5 → 1, 3 → 3, 5 → 4.
    expect(merged.positive).toEqual({ offset: 1, bucketCounts: [1, 0, 1, 1] });
  });

  it('does not merge invalid points (counts that do not add up, scale out of range) nor cumulative ones', () => {
    const p = makePoint([1, 2], 0).point;
    let acc = addExponentialHistogramPoint(emptyExponentialHistogram, { ...p, count: 3 });
    acc = addExponentialHistogramPoint(acc, { ...p, scale: 21 });
    acc = addExponentialHistogramPoint(acc, { ...p, metric: { aggregationTemporality: AggregationTemporality.CUMULATIVE } });
    acc = addExponentialHistogramPoint(acc, p);
    expect(acc).toMatchObject({ count: 2, invalid: 3 });
  });
});
