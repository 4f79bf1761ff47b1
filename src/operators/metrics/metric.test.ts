// The `metric` aggregate over every OTLP metric type, through the real windowed operator and the Rollup record
// (Avro bytes and back): 1m partials rolled up to 1h equal the raw points aggregated into 1h directly, and each
// aggregate equals brute force on the same points.
import fc from 'fast-check';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { avroType, loadAvroSchema } from '../../kafka/avro.ts';
import type { Metric, MetricPoint, Resource, Scope } from '../../otlp/index.ts';
import { taskRecord } from '../taskEvent.ts';
import { windowedAggregate } from '../windowedAggregate.ts';
import type { WindowOutput, WindowResult } from '../windowOutput.ts';
import { tumblingWindows } from '../windows.ts';
import { fromAvroIdentity, toAvroIdentity } from './identity.ts';
import { metricAggregator, metricValues, type MetricInput, type MetricPartial } from './metric.ts';
import { fromRollupRecord, toRollupRecord, type RollupRecord } from './rollupRecord.ts';
import { bruteForceSum, testDouble } from './testing.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const BASE = Date.UTC(2026, 0, 1);

const resource: Resource = { attributes: [{ key: 'service.name', type: 'string', value: 'checkout' }], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
const scope: Scope = { name: 'metric-test', version: '2', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

const metric = (name: string, type: Metric['type'], aggregationTemporality: number, isMonotonic: boolean): Metric => ({ name, description: `the ${name}`, unit: 'ms', type, aggregationTemporality, isMonotonic, metadata: [] });

// One series per metric, so each has one kind.
const METRICS = {
  gauge: metric('cpu', 'gauge', 0, false),
  cumulative: metric('requests', 'sum', 2, true),
  delta: metric('bytes', 'sum', 1, true),
  upDown: metric('queue', 'sum', 2, false),
  histogram: metric('latency', 'histogram', 1, false),
  exponential: metric('size', 'exponentialHistogram', 1, false),
  summary: metric('rpc', 'summary', 0, false),
};
type Series = keyof typeof METRICS;
const BOUNDS = [1, 10, 100];

/** A point of the series at `timeMs`, its numbers drawn from `n` (values kept exact for brute force). */
function point(series: Series, timeMs: number, n: number, k: number): MetricPoint {
  const base = { resource, scope, metric: METRICS[series], attributes: [{ key: 'host', type: 'string' as const, value: 'a' }], startTimeMs: BASE, startTimeNanos: 0, timeMs, timeNanos: 0, flags: 0, exemplars: [] };
  switch (series) {
    case 'gauge':
    case 'delta':
    case 'upDown':
    case 'cumulative':
      return { ...base, type: METRICS[series].type as 'gauge' | 'sum', valueType: 'double', value: n };
    case 'histogram': {
      const bucketCounts = [k % 3, (k >> 2) % 4, (k >> 4) % 2, (k >> 6) % 3];
      const count = bucketCounts.reduce((a, b) => a + b, 0);
      return { ...base, type: 'histogram', count, sum: count === 0 ? 0 : Math.abs(n), bucketCounts, explicitBounds: BOUNDS, min: count === 0 ? undefined : 0.5, max: count === 0 ? undefined : 500 };
    }
    case 'exponential': {
      const positive = { offset: k % 5, bucketCounts: [k % 3, 1, (k >> 3) % 2] };
      const count = positive.bucketCounts.reduce((a, b) => a + b, 0) + (k % 2);
      return { ...base, type: 'exponentialHistogram', count, sum: Math.abs(n), scale: 2, zeroCount: k % 2, positive, negative: { offset: 0, bucketCounts: [] }, min: undefined, max: undefined, zeroThreshold: 0 };
    }
    case 'summary':
      return { ...base, type: 'summary', count: k, sum: Math.abs(n), quantileValues: [{ quantile: 0.5, value: n }] };
  }
}

/** Points of every series over three hours, in time order; a cumulative counter only grows, except for resets. */
const points = fc
  .array(fc.record({ series: fc.constantFrom(...(Object.keys(METRICS) as Series[])), step: fc.nat(4 * MINUTE), n: testDouble, k: fc.nat(255), reset: fc.nat(20) }), { maxLength: 150 })
  .map((steps) => {
    let time = BASE;
    let counter = 0;
    return steps.map((s) => {
      time = Math.min(time + s.step, BASE + 3 * HOUR - 1);
      if (s.series === 'cumulative') counter = s.reset === 0 ? Math.abs(s.n) : counter + Math.abs(s.n);
      return point(s.series, time, s.series === 'cumulative' ? counter : s.n, s.k);
    });
  });

/** Final window results of the metric aggregate over records. */
function aggregate(records: Array<{ key: string; at: number; value: MetricInput }>, size: number): Map<string, WindowResult<string, MetricPartial>> {
  const aggregator = metricAggregator();
  const serde = aggregator.serde!;
  // Every partial passes through its changelog encoding, as a restore would.
  const roundTrip = (p: MetricPartial) => serde.deserialize(serde.serialize(p));
  const outputs: WindowOutput<string, MetricPartial, MetricInput>[] = [];
  from(records.map((r) => taskRecord(r.key, r.at, r.value)))
    .pipe(windowedAggregate({ windows: tumblingWindows(size), aggregator: { ...aggregator, add: (acc, v, t) => roundTrip(aggregator.add(roundTrip(acc), v, t)) }, grace: 10 * HOUR, endOfInput: 'flush' }))
    .subscribe((o) => outputs.push(o));
  const finals = new Map<string, WindowResult<string, MetricPartial>>();
  for (const o of outputs) if (o.kind === 'window' && o.final) finals.set(`${o.key}@${o.window.start}`, o);
  return finals;
}

const rollupType = avroType(loadAvroSchema('Rollup'));

/** The record as the next level reads it: Avro bytes and back. */
function throughAvro(result: WindowResult<string, MetricPartial>): RollupRecord {
  const record = toRollupRecord(result)!;
  return rollupType.fromBuffer(rollupType.toBuffer(record)) as RollupRecord;
}

const keyOf = (p: MetricPoint) => `tenant-a/${p.metric.name}`;

describe('metric aggregate', () => {
  it('1h rolled up from 1m Rollup records equals 1h from the raw points, for every metric type', () => {
    fc.assert(
      fc.property(points, (raw) => {
        const records = raw.map((p) => ({ key: keyOf(p), at: p.timeMs, value: p as MetricInput }));
        const direct = aggregate(records, HOUR);
        const minutes = [...aggregate(records, MINUTE).values()].map(throughAvro);
        const rolledUp = aggregate(minutes.map((r) => ({ key: r.series, at: r.window_start, value: fromRollupRecord(r) })), HOUR);
        const view = (m: Map<string, WindowResult<string, MetricPartial>>) => [...m].map(([k, r]) => [k, r.aggregate.kind, metricValues(r.aggregate)]).sort();
        expect(view(rolledUp)).toEqual(view(direct));
      }),
      { numRuns: 60 },
    );
  });

  it('gauge and delta-sum aggregates equal brute force, in any arrival order', () => {
    fc.assert(
      fc.property(points, fc.infiniteStream(fc.nat()), (raw, order) => {
        const shuffled = raw.map((p) => ({ p, o: order.next().value })).sort((a, b) => a.o - b.o).map((x) => x.p);
        const finals = aggregate(shuffled.map((p) => ({ key: keyOf(p), at: p.timeMs, value: p })), MINUTE);
        for (const result of finals.values()) {
          const inWindow = raw.filter((p) => keyOf(p) === result.key && p.timeMs >= result.window.start && p.timeMs < result.window.end);
          const values = inWindow.map((p) => Number((p as { value: number }).value));
          const v = metricValues(result.aggregate);
          if (result.aggregate.kind === 'gauge') {
            const latest = Math.max(...inWindow.map((p) => p.timeMs));
            expect(v).toMatchObject({ count: values.length, sum: bruteForceSum(values), min: Math.min(...values), max: Math.max(...values), lastTimeMs: latest });
            // The latest point's value; among points at the same time, the last to arrive.
            expect(v.last).toBe(Number((shuffled.filter((p) => inWindow.includes(p) && p.timeMs === latest).at(-1) as { value: number }).value));
          }
          if (result.aggregate.kind === 'deltaSum') expect(v).toMatchObject({ points: values.length, sum: bruteForceSum(values) });
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a point of another kind for the series (its temporality changed) is counted as a conflict, not merged', () => {
    const agg = metricAggregator();
    const delta = point('delta', BASE, 5, 0);
    const cumulative = { ...delta, metric: { ...delta.metric, aggregationTemporality: 2 } };
    const partial = [delta, cumulative, delta].reduce((acc, p) => agg.add(acc, p, p.timeMs), agg.init());
    expect(partial.kind).toBe('deltaSum');
    expect(partial.conflicts).toBe(1);
    expect(metricValues(partial)).toMatchObject({ points: 2, sum: 10 });
    const restored = agg.serde!.deserialize(agg.serde!.serialize(partial));
    expect({ ...restored, identity: toAvroIdentity(restored.identity!, '') }).toEqual({ ...partial, identity: toAvroIdentity(partial.identity!, '') });
  });

  it('a series identity survives its Avro record, tenant included', () => {
    const p = point('histogram', BASE, 3, 7);
    const avro = toAvroIdentity({ metric: p.metric, attributes: [...p.attributes, { key: 'n', type: 'int', value: 2n ** 60n }], resource: p.resource.attributes, scope: p.scope }, 'tenant-a');
    const type = avroType(loadAvroSchema('SeriesIdentity'));
    const back = type.fromBuffer(type.toBuffer(avro));
    expect(back).toEqual(avro);
    expect(back).toMatchObject({ tenant: 'tenant-a', name: 'latency', type: 'HISTOGRAM', temporality: 'DELTA', unit: 'ms' });
    expect(fromAvroIdentity(back).attributes.at(-1)).toEqual({ key: 'n', type: 'int', value: 2n ** 60n });
  });

  it('the sketch can be turned off: no quantiles, the rest unchanged', () => {
    const on = metricAggregator();
    const off = metricAggregator({ sketch: false });
    const ps = [1, 5, 9].map((v, i) => point('gauge', BASE + i, v, 0));
    const a = ps.reduce((acc, p) => on.add(acc, p, p.timeMs), on.init());
    const b = ps.reduce((acc, p) => off.add(acc, p, p.timeMs), off.init());
    expect(metricValues(a).quantiles.length).toBe(4);
    expect(metricValues(b).quantiles).toEqual([]);
    expect({ ...metricValues(b), quantiles: [] }).toEqual({ ...metricValues(a), quantiles: [] });
  });
});
