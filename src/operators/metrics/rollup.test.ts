// The rollup chain in miniature, through the real windowed operator: raw points → 1m windows → 1h
// windows merged from the 1m finals equals raw points → 1h windows directly.
import fc from 'fast-check';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Aggregator } from '../aggregators.ts';
import { taskRecord } from '../taskEvent.ts';
import { windowedAggregate } from '../windowedAggregate.ts';
import type { WindowOutput } from '../windowOutput.ts';
import { tumblingWindows } from '../windows.ts';
import { gaugeAggregator, gaugeResult } from './gauge.ts';
import type { NumberPointFields } from './gauge.ts';
import { rollupOf } from './rollup.ts';
import { sketchBuckets } from './quantileSketch.ts';
import { compactCumulativeSum, cumulativeSumAggregator, cumulativeSumResult } from './sum.ts';
import { testDouble } from './testing.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Point = NumberPointFields & { series: string };

/** Finals of a windowed aggregation of records, by "series@start". */
function aggregate<V, A>(records: Array<{ series: string; at: number; value: V }>, size: number, aggregator: Aggregator<V, A>): Map<string, { start: number; aggregate: A }> {
  const outputs: WindowOutput<string, A, V>[] = [];
  from(records.map((r) => taskRecord(r.series, r.at, r.value)))
    .pipe(windowedAggregate({ windows: tumblingWindows(size), aggregator: throughChangelog(aggregator), grace: 10 * HOUR, endOfInput: 'flush' }))
    .subscribe((o) => outputs.push(o));
  const finals = new Map<string, { start: number; aggregate: A }>();
  for (const o of outputs) if (o.kind === 'window' && o.final) finals.set(`${o.key}@${o.window.start}`, { start: o.window.start, aggregate: o.aggregate });
  return finals;
}

/** The aggregator with every partial passed through its changelog encoding, as a restore would. */
function throughChangelog<V, A>(aggregator: Aggregator<V, A>): Aggregator<V, A> {
  const serde = aggregator.serde!;
  const roundTrip = (a: A) => serde.deserialize(serde.serialize(a));
  return { ...aggregator, add: (acc, value, time) => roundTrip(aggregator.add(roundTrip(acc), value, time)) };
}

/** Counter-like points of two series over three hours, in time order (times may repeat). */
const points = fc
  .array(fc.record({ series: fc.constantFrom('a', 'b'), step: fc.nat(4 * MINUTE), add: fc.oneof(fc.nat(100), testDouble.map(Math.abs)), reset: fc.nat(30) }), { maxLength: 120 })
  .map((steps) => {
    let time = 0;
    const value = new Map<string, number>();
    return steps.map((s): Point => {
      time = Math.min(time + s.step, 3 * HOUR - 1);
      const v = s.reset === 0 ? s.add : (value.get(s.series) ?? 0) + s.add;
      value.set(s.series, v);
      return { series: s.series, value: v, timeMs: time, timeNanos: 0, startTimeMs: 0, startTimeNanos: 0, flags: 0 };
    });
  });

function levels<A>(raw: Point[], aggregator: Aggregator<NumberPointFields, A>, rollup: Aggregator<A, A>) {
  const records = raw.map((p) => ({ series: p.series, at: p.timeMs, value: p as NumberPointFields }));
  const minutes = aggregate(records, MINUTE, aggregator);
  const partials = [...minutes].map(([key, m]) => ({ series: key.split('@')[0], at: m.start, value: m.aggregate }));
  return { direct: aggregate(records, HOUR, aggregator), rolledUp: aggregate(partials, HOUR, rollup) };
}

describe('rollup chain (1m → 1h) through windowedAggregate', () => {
  it('gauges: 1h merged from 1m partials equals 1h from the raw points', () => {
    fc.assert(
      fc.property(points, (raw) => {
        const { direct, rolledUp } = levels(raw, gaugeAggregator(), rollupOf(gaugeAggregator()));
        const view = (m: typeof direct) => [...m].map(([k, v]) => [k, gaugeResult(v.aggregate), sketchBuckets(v.aggregate.sketch)]);
        expect(view(rolledUp)).toEqual(view(direct));
      }),
      { numRuns: 50 },
    );
  });

  it('cumulative sums: the 1h increase merged from compacted 1m partials equals the 1h increase from the raw points', () => {
    fc.assert(
      fc.property(points, (raw) => {
        const { direct, rolledUp } = levels(raw, cumulativeSumAggregator(), rollupOf(cumulativeSumAggregator(), { compactInput: compactCumulativeSum }));
        const view = (m: typeof direct) => [...m].map(([k, v]) => [k, cumulativeSumResult(v.aggregate)]);
        expect(view(rolledUp)).toEqual(view(direct));
      }),
      { numRuns: 50 },
    );
  });
});
