// Metric points for topology tests: gauges and a histogram of one service, encoded as OTLP records.
import type { HistogramPoint, MetricPoint, NumberPoint, Resource, Scope } from '../../otlp/index.ts';

const resource: Resource = { attributes: [{ key: 'service.name', type: 'string', value: 'checkout' }], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
const scope: Scope = { name: 'topology-test', version: '1', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

/** A double gauge point of `name` with one `host` attribute. */
export function gaugePoint(name: string, host: string, timeMs: number, value: number): NumberPoint {
  return {
    type: 'gauge',
    resource,
    scope,
    metric: { name, description: '', unit: '1', type: 'gauge', aggregationTemporality: 0, isMonotonic: false, metadata: [] },
    attributes: [{ key: 'host', type: 'string', value: host }],
    startTimeMs: 0,
    startTimeNanos: 0,
    timeMs,
    timeNanos: 0,
    flags: 0,
    valueType: 'double',
    value,
    exemplars: [],
  };
}

/** A histogram point: it has no `value`, so a rollup of values skips it. */
export function histogramPoint(name: string, timeMs: number): HistogramPoint {
  return {
    type: 'histogram',
    resource,
    scope,
    metric: { name, description: '', unit: 'ms', type: 'histogram', aggregationTemporality: 1, isMonotonic: false, metadata: [] },
    attributes: [],
    startTimeMs: timeMs - 1000,
    startTimeNanos: 0,
    timeMs,
    timeNanos: 0,
    flags: 0,
    count: 3,
    sum: 12,
    bucketCounts: [1, 2],
    explicitBounds: [5],
    exemplars: [],
    min: 1,
    max: 9,
  };
}

/** Points over two 10-second windows and a later point that closes them: two `test.*` gauge series, one other gauge, one histogram. */
export function rollupInput(base: number): MetricPoint[][] {
  return [
    [gaugePoint('test.temperature', 'a', base + 1_000, 20), gaugePoint('test.temperature', 'b', base + 1_500, 30), gaugePoint('other.gauge', 'a', base + 2_000, 99)],
    [gaugePoint('test.temperature', 'a', base + 4_000, 22), histogramPoint('test.latency', base + 4_000)],
    [gaugePoint('test.temperature', 'a', base + 12_000, 25), gaugePoint('test.temperature', 'b', base + 15_000, 35)],
    // Closes the windows before base + 30 s.
    [gaugePoint('test.temperature', 'a', base + 30_000, 0)],
  ];
}
