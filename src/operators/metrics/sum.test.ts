// Sum aggregators against brute force: cumulative increase with resets, gaps, duplicates and out-of-order
// points; delta accumulation; up-down last/min/max; the rollup property for each.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AggregationTemporality, NO_RECORDED_VALUE_FLAG } from '../../otlp/model.ts';
import type { NumberPointFields } from './gauge.ts';
import {
  addCumulativePoint,
  compactCumulativeSum,
  addDeltaPoint,
  addUpDownPoint,
  cumulativeSumResult,
  emptyCumulativeSum,
  emptyDeltaSum,
  emptyUpDownSum,
  mergeCumulativeSums,
  mergeDeltaSums,
  mergeUpDownSums,
  sumAggregateKind,
} from './sum.ts';
import type { CumulativeSumAggregate, DeltaSumAggregate } from './sum.ts';
import { exactValue } from './exactSum.ts';
import { bruteForceSum, mergeInRandomGrouping, permute, rollupShape, splitRuns, testDouble } from './testing.ts';

const point = (timeMs: number, value: number, startTimeMs = 0, flags = 0): NumberPointFields => ({ value, timeMs, timeNanos: 0, startTimeMs, startTimeNanos: 0, flags });

/**
 * A counter's points in time order: it grows by random steps, sometimes restarts (a new start time, or
 * the same start time and a lower value), repeats a point (a duplicate: same time), skips ahead (a gap)
 * or reports a point flagged "no recorded value".
 */
const counterSeries = fc
  .array(
    fc.record({
      kind: fc.constantFrom('step', 'step', 'step', 'restart', 'drop', 'duplicate', 'gap', 'noValue'),
      amount: fc.oneof(fc.nat(1000), testDouble.map(Math.abs)),
    }),
    { maxLength: 60 },
  )
  .map((steps) => {
    const points: NumberPointFields[] = [];
    let time = 1000;
    let start = 0;
    let value = 0;
    for (const s of steps) {
      if (s.kind === 'duplicate' && points.length > 0) {
        points.push({ ...points[points.length - 1] });
        continue;
      }
      time += s.kind === 'gap' ? 10_000 : 10;
      if (s.kind === 'restart') {
        start = time - 5;
        value = s.amount;
      } else if (s.kind === 'drop') {
        value = value / 2 - 1; // same start time, lower value: a reset the producer did not mark
      } else {
        value += s.amount;
      }
      points.push(point(time, value, start, s.kind === 'noValue' ? NO_RECORDED_VALUE_FLAG : 0));
    }
    return points;
  });

/**
 * Brute force of the documented rule: a point at or after the end of the chain that ends last extends it,
 * an older one starts a chain of its own; chains are then laid out by first time and joined, a chain that
 * starts before the end of what is already joined is left out; the increase is summed over consecutive
 * points of the joined list.
 */
function cumulativeOracle(arrivals: readonly NumberPointFields[]) {
  const chains: NumberPointFields[][] = [];
  for (const p of arrivals) {
    if (p.flags & NO_RECORDED_VALUE_FLAG) continue;
    const latest = chains.reduce<NumberPointFields[] | undefined>((best, c) => (!best || c.at(-1)!.timeMs > best.at(-1)!.timeMs ? c : best), undefined);
    if (latest && p.timeMs >= latest.at(-1)!.timeMs) latest.push(p);
    else chains.push([p]);
  }
  chains.sort((a, b) => a[0].timeMs - b[0].timeMs || a.at(-1)!.timeMs - b.at(-1)!.timeMs || a.length - b.length || (a[0].value as number) - (b[0].value as number));
  const kept: NumberPointFields[] = [];
  let outOfOrder = 0;
  for (const chain of chains) {
    if (kept.length === 0 || chain[0].timeMs >= kept.at(-1)!.timeMs) kept.push(...chain);
    else outOfOrder += chain.length;
  }
  const terms: number[] = [];
  let resets = 0;
  let duplicates = 0;
  for (let i = 1; i < kept.length; i++) {
    const [before, after] = [kept[i - 1], kept[i]];
    if (after.timeMs === before.timeMs) duplicates++;
    else if (after.startTimeMs !== before.startTimeMs || (after.value as number) < (before.value as number)) {
      resets++;
      terms.push(after.value as number);
    } else terms.push(after.value as number, -(before.value as number));
  }
  const span = kept.length ? (kept[kept.length - 1].timeMs - kept[0].timeMs) / 1000 : 0;
  const increase = bruteForceSum(terms);
  return { points: kept.length, increase, rate: span > 0 ? increase / span : NaN, resets, duplicates, outOfOrder, first: kept[0]?.value, last: kept.at(-1)?.value };
}

const foldCumulative = (points: readonly NumberPointFields[]) => points.reduce(addCumulativePoint, emptyCumulativeSum);

function cumulativeView(acc: CumulativeSumAggregate) {
  const r = cumulativeSumResult(acc);
  return { points: r.points, increase: r.increase, rate: r.rate, resets: r.resets, duplicates: r.duplicates, outOfOrder: r.outOfOrder, first: r.first?.value, last: r.last?.value };
}

describe('cumulative monotonic sum', () => {
  it('equals brute force on points in time order: increase, rate, resets, duplicates, gaps', () => {
    fc.assert(
      fc.property(counterSeries, (points) => {
        expect(cumulativeView(foldCumulative(points))).toEqual(cumulativeOracle(points));
        // In time order nothing is left out, and without resets the increase is last − first.
        expect(cumulativeSumResult(foldCumulative(points)).outOfOrder).toBe(0);
        const r = cumulativeSumResult(foldCumulative(points));
        if (r.resets === 0 && r.first && r.last) expect(r.increase).toBe(bruteForceSum([r.last.value, -r.first.value]));
      }),
    );
  });

  it('equals brute force on out-of-order arrivals (late points are placed by time, or left out and counted)', () => {
    fc.assert(
      fc.property(counterSeries, fc.array(fc.nat(), { maxLength: 10 }), (points, swaps) => {
        const arrivals = [...points];
        for (const s of swaps) {
          const i = s % Math.max(1, arrivals.length - 1);
          if (i + 1 < arrivals.length) [arrivals[i], arrivals[i + 1]] = [arrivals[i + 1], arrivals[i]];
        }
        expect(cumulativeView(foldCumulative(arrivals))).toEqual(cumulativeOracle(arrivals));
      }),
    );
  });

  it('rollup: merging partials of adjacent windows in any grouping gives the increase of all points', () => {
    fc.assert(
      fc.property(counterSeries, rollupShape, (points, shape) => {
        const partials = splitRuns(points, shape.cuts).map(foldCumulative);
        expect(cumulativeView(mergeInRandomGrouping(partials, mergeCumulativeSums, shape.choices))).toEqual(cumulativeView(foldCumulative(points)));
      }),
    );
  });

  it('rollup: partials (raw or compacted, as a level emits them) merge in any order and grouping', () => {
    fc.assert(
      fc.property(counterSeries, rollupShape, fc.array(fc.nat()), fc.boolean(), (points, shape, order, compact) => {
        let partials = splitRuns(points, shape.cuts).map(foldCumulative);
        if (compact) partials = partials.map(compactCumulativeSum);
        const merged = mergeInRandomGrouping(permute(partials, order), mergeCumulativeSums, shape.choices);
        expect(cumulativeView(merged)).toEqual(cumulativeOracle(points));
      }),
    );
  });

  it('a late window is placed between the windows it belongs between', () => {
    const minute = (t: number, values: number[]) => foldCumulative(values.map((v, i) => point(t + i * 30, v)));
    const [m0, m1, m2] = [minute(0, [1, 2]), minute(60, [4, 8]), minute(120, [9, 11])];
    const inOrder = cumulativeSumResult(mergeCumulativeSums(mergeCumulativeSums(m0, m1), m2));
    const lateMiddle = cumulativeSumResult(mergeCumulativeSums(mergeCumulativeSums(m0, m2), m1));
    expect(inOrder).toMatchObject({ increase: 10, outOfOrder: 0 });
    expect(lateMiddle).toEqual(inOrder);
  });

  it('the boundary between two windows counts once the windows are merged', () => {
    const minute1 = foldCumulative([point(0, 10), point(30, 15)]);
    const minute2 = foldCumulative([point(60, 21), point(90, 30)]);
    expect(cumulativeSumResult(minute1).increase).toBe(5);
    expect(cumulativeSumResult(minute2).increase).toBe(9);
    expect(cumulativeSumResult(mergeCumulativeSums(minute1, minute2)).increase).toBe(20);
    // A restart (new start time) between them: the value after it is all increase.
    const restarted = foldCumulative([point(60, 4, 55), point(90, 6, 55)]);
    expect(cumulativeSumResult(mergeCumulativeSums(minute1, restarted))).toMatchObject({ increase: 5 + 4 + 2, resets: 1 });
  });
});

const deltaPoint = fc.record({ timeMs: fc.integer({ min: 0, max: 1000 }), length: fc.nat(100), value: testDouble }).map((p) => point(p.timeMs, p.value, p.timeMs - p.length));
const foldDelta = (points: readonly NumberPointFields[]) => points.reduce(addDeltaPoint, emptyDeltaSum);
const deltaView = (acc: DeltaSumAggregate) => ({ ...acc, sum: exactValue(acc.sum) });

describe('delta sum', () => {
  it('equals brute force: the points, their exact sum and the interval they cover', () => {
    fc.assert(
      fc.property(fc.array(deltaPoint, { maxLength: 60 }), (points) => {
        const view = deltaView(foldDelta(points));
        expect(view.points).toBe(points.length);
        expect(view.sum).toBe(bruteForceSum(points.map((p) => p.value as number)));
        if (points.length > 0) {
          expect(view.startTimeMs).toBe(Math.min(...points.map((p) => p.startTimeMs)));
          expect(view.timeMs).toBe(Math.max(...points.map((p) => p.timeMs)));
        }
      }),
    );
  });

  it('rollup in any order and grouping equals aggregating all at once', () => {
    fc.assert(
      fc.property(fc.array(deltaPoint, { maxLength: 60 }), rollupShape, fc.array(fc.nat()), (points, shape, order) => {
        const partials = permute(splitRuns(points, shape.cuts).map(foldDelta), order);
        expect(deltaView(mergeInRandomGrouping(partials, mergeDeltaSums, shape.choices))).toEqual(deltaView(foldDelta(points)));
      }),
    );
  });
});

describe('up-down (non-monotonic cumulative) sum', () => {
  const upDownPoints = fc.array(fc.record({ timeMs: fc.integer({ min: 0, max: 20 }), value: testDouble }).map((p) => point(p.timeMs, p.value)), { maxLength: 60 });
  const fold = (points: readonly NumberPointFields[]) => points.reduce(addUpDownPoint, emptyUpDownSum);

  it('equals brute force and rolls up in any grouping', () => {
    fc.assert(
      fc.property(upDownPoints, rollupShape, (points, shape) => {
        const all = fold(points);
        const values = points.map((p) => p.value as number);
        let last: NumberPointFields | undefined;
        for (const p of points) if (!last || p.timeMs >= last.timeMs) last = p;
        expect(all).toEqual({
          points: points.length,
          min: points.length ? Math.min(...values) : Infinity,
          max: points.length ? Math.max(...values) : -Infinity,
          last: last && { timeMs: last.timeMs, timeNanos: 0, value: last.value },
        });
        expect(mergeInRandomGrouping(splitRuns(points, shape.cuts).map(fold), mergeUpDownSums, shape.choices)).toEqual(all);
      }),
    );
  });
});

it('chooses the sum aggregate by temporality and monotonicity', () => {
  expect(sumAggregateKind({ aggregationTemporality: AggregationTemporality.CUMULATIVE, isMonotonic: true })).toBe('cumulative');
  expect(sumAggregateKind({ aggregationTemporality: AggregationTemporality.CUMULATIVE, isMonotonic: false })).toBe('upDown');
  expect(sumAggregateKind({ aggregationTemporality: AggregationTemporality.DELTA, isMonotonic: true })).toBe('delta');
  expect(sumAggregateKind({ aggregationTemporality: AggregationTemporality.DELTA, isMonotonic: false })).toBe('delta');
});
