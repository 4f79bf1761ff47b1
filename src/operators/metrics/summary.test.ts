// Summary aggregator against brute force: the newest point by time (ties: the later arrival) and the
// number of points; the rollup property.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_RECORDED_VALUE_FLAG } from '../../otlp/model.ts';
import { addSummaryPoint, emptySummaryPoints, mergeSummaryPoints } from './summary.ts';
import type { SummaryPointFields } from './summary.ts';
import { mergeInRandomGrouping, rollupShape, splitRuns, testDouble } from './testing.ts';

const summaryPoint = fc
  .record({
    timeMs: fc.integer({ min: 0, max: 15 }),
    count: fc.nat(1000),
    sum: testDouble,
    quantileValues: fc.array(fc.record({ quantile: fc.constantFrom(0, 0.5, 0.9, 0.99, 1), value: testDouble }), { maxLength: 4 }),
  })
  .map((p): SummaryPointFields => ({ ...p, timeNanos: 0, startTimeMs: 0, startTimeNanos: 0, flags: 0 }));

const fold = (points: readonly SummaryPointFields[]) => points.reduce(addSummaryPoint, emptySummaryPoints);

describe('summary aggregator', () => {
  it('keeps the newest point’s count, sum and quantile values (ties: the later arrival), and counts points', () => {
    fc.assert(
      fc.property(fc.array(summaryPoint, { maxLength: 30 }), (points) => {
        let newest: SummaryPointFields | undefined;
        for (const p of points) if (!newest || p.timeMs >= newest.timeMs) newest = p;
        const acc = fold(points);
        expect(acc.points).toBe(points.length);
        expect(acc.last).toEqual(newest && { timeMs: newest.timeMs, timeNanos: 0, startTimeMs: 0, startTimeNanos: 0, count: newest.count, sum: newest.sum, quantileValues: newest.quantileValues });
      }),
    );
  });

  it('rollup: consecutive partials merge in any grouping', () => {
    fc.assert(
      fc.property(fc.array(summaryPoint, { maxLength: 30 }), rollupShape, (points, shape) => {
        expect(mergeInRandomGrouping(splitRuns(points, shape.cuts).map(fold), mergeSummaryPoints, shape.choices)).toEqual(fold(points));
      }),
    );
  });

  it('skips points flagged "no recorded value"', () => {
    const p: SummaryPointFields = { timeMs: 5, timeNanos: 0, startTimeMs: 0, startTimeNanos: 0, count: 1, sum: 1, quantileValues: [], flags: 0 };
    expect(addSummaryPoint(emptySummaryPoints, { ...p, flags: NO_RECORDED_VALUE_FLAG })).toBe(emptySummaryPoints);
  });
});
