import { describe, expect, it } from 'vitest';
import type { HistogramPoint, MetricPoint } from '../../otlp/index.ts';
import { gaugePoint, histogramPoint } from '../../topology/testdata/metricPoints.ts';
import { rollupTable } from './arrowBatch.ts';
import { attributeText } from '../../otlp/index.ts';
import { rollupRow } from './rollupRow.ts';
import { partialOf } from './testing.ts';

const T = Date.UTC(2026, 0, 1, 3);

describe('rollupRow', () => {
  it('maps a gauge window: identity, labels as text, window times and its aggregates', () => {
    const points = [gaugePoint('cpu', 'h1', T + 1000, 2), gaugePoint('cpu', 'h1', T + 2000, 6), gaugePoint('cpu', 'h1', T + 3000, 4)];
    const row = rollupRow(partialOf(points), 'acme/abc123', T, 3_600_000, [0.5]);
    expect(row).toMatchObject({
      tenant: 'acme', series: 'abc123', metric: 'cpu', unit: '1', type: 'GAUGE', kind: 'GAUGE', temporality: 'UNSPECIFIED', monotonic: false,
      scope_name: 'topology-test', scope_version: '1', window_start: T, window_end: T + 3_600_000,
      points: 3, count: 3, sum: 12, min: 2, max: 6, avg: 4, last: 4, last_time: T + 3000,
      increase: null, rate: null, resets: null, bucket_bounds: null, bucket_counts: null, exponential: null, overflow: false, conflicts: 0,
    });
    expect(row.attributes).toEqual(new Map([['host', 'h1']]));
    expect(row.resource).toEqual(new Map([['service.name', 'checkout']]));
    expect(row.quantiles).toHaveLength(1);
    expect(row.quantiles[0].quantile).toBe(0.5);
    expect(row.quantiles[0].value).toBeCloseTo(4, 0);
  });

  it('maps a delta histogram window: count, sum, min, max and explicit buckets', () => {
    const points = [histogramPoint('lat', T + 1000), histogramPoint('lat', T + 2000)];
    const p = points[0] as HistogramPoint;
    const row = rollupRow(partialOf(points), 'abc', T, 60_000, []);
    expect(row).toMatchObject({ tenant: '', series: 'abc', type: 'HISTOGRAM', kind: 'HISTOGRAM', points: null, count: 2 * p.count, sum: 2 * p.sum!, window_end: T + 60_000 });
    expect(row.bucket_bounds).toEqual(p.explicitBounds);
    expect(row.bucket_counts).toEqual(p.bucketCounts.map((c) => 2 * Number(c)));
    expect(row.quantiles).toEqual([]);
  });

  it('writes attribute values as text', () => {
    expect(attributeText({ type: 'int', value: 12n })).toBe('12');
    expect(attributeText({ type: 'double', value: 0.5 })).toBe('0.5');
    expect(attributeText({ type: 'bool', value: true })).toBe('true');
    expect(attributeText({ type: 'bytes', value: new Uint8Array([1, 2]) })).toBe('AQI=');
    expect(attributeText({ type: 'empty', value: null })).toBe('');
    expect(attributeText({ type: 'array', value: [{ type: 'string', value: 'a' }, { type: 'int', value: 2 }] })).toBe('["a",2]');
    expect(attributeText({ type: 'kvlist', value: [{ key: 'k', type: 'bool', value: false }] })).toBe('{"k":false}');
  });

  it('builds one Arrow batch whose columns hold the rows', () => {
    const gauge: MetricPoint[] = [gaugePoint('cpu', 'h1', T + 1000, 2)];
    const rows = [rollupRow(partialOf(gauge), 'acme/s1', T, 60_000, []), rollupRow(partialOf([histogramPoint('lat', T)]), 'acme/s2', T, 60_000, [])];
    const table = rollupTable(rows);
    expect(table.numRows).toBe(2);
    expect(table.batches).toHaveLength(1);
    expect(table.getChild('count')!.toArray()).toEqual(new BigInt64Array([1n, 3n]));
    expect(table.getChild('sum')!.get(0)).toBe(2);
    expect(table.getChild('bucket_counts')!.get(0)).toBeNull();
    expect(table.getChild('window_start')!.get(1)).toBe(T);
    expect(table.schema.fields.find((f) => f.name === 'min')!.nullable).toBe(true);
  });
});
