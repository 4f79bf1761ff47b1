// Cumulative exponential histogram aggregator against an instrument simulated from raw observations:
// the partial's histogram is exactly the observations made after its first point, across restarts,
// scale reductions between points, duplicates and windows merged in any order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addCumulativeExponentialHistogramPoint,
  compactCumulativeExponentialHistogram,
  cumulativeExponentialHistogramResult,
  cumulativeExponentialHistogramSerde,
  emptyCumulativeExponentialHistogram,
  mergeCumulativeExponentialHistograms,
} from './cumulativeExponentialHistogram.ts';
import type { CumulativeExponentialHistogramAggregate, CumulativeExponentialHistogramPointFields } from './cumulativeExponentialHistogram.ts';
import { exponentialBucketIndex, MAX_BUCKETS } from './exponentialHistogram.ts';
import { bruteForceSum, mergeInRandomGrouping, permute, rollupShape, splitRuns } from './testing.ts';

/** An observation with its bucket index at the scale it was first reported at (SDKs only downscale). */
interface Observation {
  value: number;
  index: number;
  scale: number;
}

const observation = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 6, arbitrary: fc.tuple(fc.boolean(), fc.integer({ min: -20, max: 30 }), fc.integer({ min: 0, max: 2 ** 20 })).map(([negative, e, f]) => (negative ? -1 : 1) * 2 ** e * (1 + f / 2 ** 20)) },
);

const downscale = (o: Observation, scale: number) => Math.floor(o.index / 2 ** (o.scale - scale));

function runOf(indexes: number[]): { offset: number; bucketCounts: number[] } {
  if (indexes.length === 0) return { offset: 0, bucketCounts: [] };
  const offset = Math.min(...indexes);
  const counts = new Array<number>(Math.max(...indexes) - offset + 1).fill(0);
  for (const i of indexes) counts[i - offset]++;
  return { offset, bucketCounts: counts };
}

interface Simulated {
  points: CumulativeExponentialHistogramPointFields[];
  observedAfterFirst: Observation[];
}

const series = fc
  .array(fc.record({ kind: fc.constantFrom('observe', 'observe', 'observe', 'restart', 'duplicate'), values: fc.array(observation, { maxLength: 5 }), scale: fc.integer({ min: 0, max: 8 }), gap: fc.integer({ min: 1, max: 5000 }) }), { maxLength: 30 })
  .map((steps): Simulated => {
    let time = 0;
    let start = 0;
    let scale = 6;
    let since: Observation[] = [];
    let sum = 0;
    const points: CumulativeExponentialHistogramPointFields[] = [];
    const observedAfterFirst: Observation[] = [];
    for (const s of steps) {
      if (s.kind === 'duplicate' && points.length > 0) {
        points.push({ ...points[points.length - 1] });
        continue;
      }
      time += s.gap;
      if (s.kind === 'restart') {
        [start, scale, since, sum] = [time - 1, s.scale, [], 0];
      }
      for (const value of s.values) {
        const o: Observation = { value, scale, index: value === 0 ? 0 : exponentialBucketIndex(Math.abs(value), scale) };
        since.push(o);
        sum += value;
        if (points.length > 0) observedAfterFirst.push(o);
      }
      // Like an SDK: lower the scale until each sign fits MAX_BUCKETS.
      const signed = (sign: number, at: number) => since.filter((o) => Math.sign(o.value) === sign).map((o) => downscale(o, at));
      const spans = (at: number) => [1, -1].map((sign) => runOf(signed(sign, at)).bucketCounts.length);
      while (Math.max(...spans(scale)) > MAX_BUCKETS) scale--;
      points.push({
        count: since.length,
        sum,
        scale,
        zeroCount: since.filter((o) => o.value === 0).length,
        zeroThreshold: 0,
        positive: runOf(signed(1, scale)),
        negative: runOf(signed(-1, scale)),
        min: undefined,
        max: undefined,
        flags: 0,
        timeMs: time,
        timeNanos: 0,
        startTimeMs: start,
        startTimeNanos: 0,
      });
    }
    return { points, observedAfterFirst };
  });

const fold = (points: readonly CumulativeExponentialHistogramPointFields[]) => points.reduce(addCumulativeExponentialHistogramPoint, emptyCumulativeExponentialHistogram);

function view(acc: CumulativeExponentialHistogramAggregate) {
  const r = cumulativeExponentialHistogramResult(acc);
  return { scale: r.count ? r.scale : undefined, zeroCount: r.zeroCount, positive: r.positive, negative: r.negative, count: r.count, sum: r.sum, points: r.points, resets: r.resets, duplicates: r.duplicates, outOfOrder: r.outOfOrder };
}

describe('cumulative exponential histogram aggregator', () => {
  it('the increase is exactly the observations made after the first point', () => {
    fc.assert(
      fc.property(series, ({ points, observedAfterFirst }) => {
        const r = cumulativeExponentialHistogramResult(fold(points));
        const observed = observedAfterFirst;
        expect(r.count).toBe(observed.length);
        expect(r.zeroCount).toBe(observed.filter((o) => o.value === 0).length);
        expect(r.positive).toEqual(runOf(observed.filter((o) => o.value > 0).map((o) => downscale(o, r.scale))));
        expect(r.negative).toEqual(runOf(observed.filter((o) => o.value < 0).map((o) => downscale(o, r.scale))));
        // The sum of the increases between consecutive points (all of a point's sum after a restart), exactly.
        const terms: number[] = [];
        for (let i = 1; i < points.length; i++) {
          const [before, after] = [points[i - 1], points[i]];
          if (after.timeMs === before.timeMs) continue;
          terms.push(after.sum as number);
          if (after.startTimeMs === before.startTimeMs) terms.push(-(before.sum as number));
        }
        if (r.count > 0) expect(r.sum).toBe(bruteForceSum(terms));
        expect(r.outOfOrder).toBe(0);
      }),
    );
  });

  it('rollup: partials (raw or compacted) merge in any order and grouping', () => {
    fc.assert(
      fc.property(series, rollupShape, fc.array(fc.nat()), fc.boolean(), (s, shape, order, compact) => {
        let partials = splitRuns(s.points, shape.cuts).map(fold);
        if (compact) partials = partials.map(compactCumulativeExponentialHistogram);
        expect(view(mergeInRandomGrouping(permute(partials, order), mergeCumulativeExponentialHistograms, shape.choices))).toEqual(view(fold(s.points)));
      }),
    );
  });

  it('round-trips through its changelog encoding; garbage throws a RangeError', () => {
    fc.assert(
      fc.property(series, fc.uint8Array({ maxLength: 200 }), (s, garbage) => {
        const acc = fold(s.points);
        const bytes = cumulativeExponentialHistogramSerde.serialize(acc);
        expect(view(cumulativeExponentialHistogramSerde.deserialize(bytes))).toEqual(view(acc));
        expect(() => cumulativeExponentialHistogramSerde.deserialize(bytes.slice(0, -1))).toThrow(RangeError);
        try {
          cumulativeExponentialHistogramSerde.deserialize(garbage);
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
          expect((error as Error).message).toContain('cumulative exponential histogram aggregate');
        }
      }),
    );
  });
});
