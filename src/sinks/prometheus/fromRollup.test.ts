import { describe, expect, it } from 'vitest';
import { metricAggregator, type PartialItem } from '../../operators/metrics/metric.ts';
import type { Attribute, Metric, MetricPoint, Resource, Scope } from '../../otlp/index.ts';
import { tenantKey } from '../../otlp/tenant.ts';
import { mergeTimeSeries, rollupTimeSeries } from './fromRollup.ts';
import type { TimeSeries } from './remoteWrite.ts';

const scope: Scope = { name: 's', version: '1', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });
const resource: Resource = {
  attributes: [str('service.name', 'checkout'), str('service.namespace', 'shop'), str('service.instance.id', 'pod-1'), str('host.name', 'h1'), str('cloud.region', 'eu')],
  droppedAttributesCount: 0,
  entityRefs: [],
  schemaUrl: '',
};
const metric = (name: string, unit: string, type: Metric['type'], aggregationTemporality: number, isMonotonic: boolean): Metric => ({ name, description: '', unit, type, aggregationTemporality, isMonotonic, metadata: [] });
const WINDOW = { start: 60_000, end: 120_000, resolution: '1m' };
const base = { resource, scope, startTimeMs: 0, startTimeNanos: 0, timeNanos: 0, flags: 0, exemplars: [] };

function partialOf(points: MetricPoint[]): PartialItem {
  const agg = metricAggregator();
  let p = agg.init();
  for (const point of points) p = agg.add(p, point, point.timeMs);
  return { partial: p, window: WINDOW };
}

/** Series as `name{label="value",…} value` lines, in the order given. */
const text = (series: TimeSeries[]) =>
  series.map((s) => {
    const name = s.labels.find((l) => l.name === '__name__')!.value;
    const rest = s.labels.filter((l) => l.name !== '__name__').map((l) => `${l.name}="${l.value}"`);
    return `${name}{${rest.join(',')}} ${s.samples.map((x) => `${x.value}@${x.timestamp}`).join(' ')}`;
  });

const job = 'instance="pod-1",job="shop/checkout"';
const info = `target_info{cloud_region="eu",host_name="h1",${job}} 1@120000`;

describe('rollupTimeSeries', () => {
  it('a gauge is its last value, with job, instance and the attributes as labels, at the window end', () => {
    const m = metric('system.cpu.utilization', '1', 'gauge', 0, false);
    const attrs = [str('cpu', '0'), str('state', 'idle')];
    const item = partialOf([
      { ...base, metric: m, attributes: attrs, type: 'gauge', valueType: 'double', value: 0.5, timeMs: 61_000 },
      { ...base, metric: m, attributes: attrs, type: 'gauge', valueType: 'double', value: 0.25, timeMs: 70_000 },
    ]);
    expect(text(rollupTimeSeries(item, 'series-1'))).toEqual([info, `system_cpu_utilization_ratio{cpu="0",${job},state="idle"} 0.25@120000`]);
  });

  it('labels are sorted and unique: colliding keys join with ;, job/instance/tenant win over attributes', () => {
    const m = metric('q', '', 'gauge', 0, false);
    const attrs = [str('a.b', '2'), str('a_b', '1'), str('job', 'mine'), str('tenant', 'spoof'), str('empty', '')];
    const item = partialOf([{ ...base, metric: m, attributes: attrs, type: 'gauge', valueType: 'double', value: 1, timeMs: 61_000 }]);
    const [, series] = rollupTimeSeries(item, tenantKey('acme', 'series-1'), { tenantLabel: 'tenant', resourceToLabels: false });
    expect(series.labels).toEqual([
      { name: '__name__', value: 'q' },
      { name: 'a_b', value: '2;1' },
      { name: 'instance', value: 'pod-1' },
      { name: 'job', value: 'shop/checkout' },
      { name: 'tenant', value: 'acme' },
    ]);
  });

  it('a cumulative monotonic sum is a counter of its last value; a delta sum the window sum; an up-down sum its last value', () => {
    const counter = metric('http.server.requests', '{request}', 'sum', 2, true);
    const delta = metric('network.sent', 'By', 'sum', 1, true);
    const updown = metric('queue.length', '1', 'sum', 2, false);
    const at = (timeMs: number) => ({ ...base, attributes: [], timeMs, type: 'sum' as const, valueType: 'int' as const });
    expect(text(rollupTimeSeries(partialOf([{ ...at(61_000), metric: counter, value: 10 }, { ...at(71_000), metric: counter, value: 17 }]), 'k')).at(-1)).toBe(`http_server_requests_total{${job}} 17@120000`);
    expect(text(rollupTimeSeries(partialOf([{ ...at(61_000), metric: delta, value: 10 }, { ...at(71_000), metric: delta, value: 5 }]), 'k')).at(-1)).toBe(`network_sent_bytes{${job}} 15@120000`);
    expect(text(rollupTimeSeries(partialOf([{ ...at(61_000), metric: updown, value: 4 }, { ...at(71_000), metric: updown, value: 3 }]), 'k')).at(-1)).toBe(`queue_length{${job}} 3@120000`);
  });

  it('a histogram is _bucket{le} (cumulative, +Inf), _sum and _count', () => {
    const m = metric('http.server.duration', 'ms', 'histogram', 1, false);
    const point = { ...base, metric: m, attributes: [], type: 'histogram' as const, timeMs: 61_000, count: 6, sum: 600, bucketCounts: [1, 2, 3], explicitBounds: [0.005, 100], min: 0.001, max: 500 };
    expect(text(rollupTimeSeries(partialOf([point, { ...point, timeMs: 62_000 }]), 'k')).slice(1)).toEqual([
      `http_server_duration_milliseconds_bucket{${job},le="0.005"} 2@120000`,
      `http_server_duration_milliseconds_bucket{${job},le="100"} 6@120000`,
      `http_server_duration_milliseconds_bucket{${job},le="+Inf"} 12@120000`,
      `http_server_duration_milliseconds_sum{${job}} 1200@120000`,
      `http_server_duration_milliseconds_count{${job}} 12@120000`,
    ]);
  });

  it('a summary is its newest point: {quantile}, _sum and _count', () => {
    const m = metric('rpc.latency', 's', 'summary', 0, false);
    const point = { ...base, metric: m, attributes: [], type: 'summary' as const, timeMs: 61_000, count: 4, sum: 2, quantileValues: [{ quantile: 0.5, value: 0.4 }, { quantile: 0.99, value: 0.9 }] };
    expect(text(rollupTimeSeries(partialOf([point]), 'k')).slice(1)).toEqual([
      `rpc_latency_seconds{${job},quantile="0.5"} 0.4@120000`,
      `rpc_latency_seconds{${job},quantile="0.99"} 0.9@120000`,
      `rpc_latency_seconds_sum{${job}} 2@120000`,
      `rpc_latency_seconds_count{${job}} 4@120000`,
    ]);
  });

  it('resource_to_labels puts the resource attributes on every series; no target_info without other resource attributes', () => {
    const m = metric('g', '', 'gauge', 0, false);
    const bare: Resource = { ...resource, attributes: [str('service.name', 'api')] };
    const item = partialOf([{ ...base, resource: bare, metric: m, attributes: [], type: 'gauge', valueType: 'double', value: 1, timeMs: 61_000 }]);
    expect(text(rollupTimeSeries(item, 'k'))).toEqual(['g{job="api"} 1@120000']);
    const rich = partialOf([{ ...base, metric: m, attributes: [], type: 'gauge', valueType: 'double', value: 1, timeMs: 61_000 }]);
    expect(text(rollupTimeSeries(rich, 'k', { tenantLabel: 'tenant', resourceToLabels: true })).at(-1)).toBe(
      'g{cloud_region="eu",host_name="h1",instance="pod-1",job="shop/checkout",service_instance_id="pod-1",service_name="checkout",service_namespace="shop"} 1@120000',
    );
  });

  it('refuses a partial without its window (not read from a rollup topic)', () => {
    const m = metric('g', '', 'gauge', 0, false);
    const { partial } = partialOf([{ ...base, metric: m, attributes: [], type: 'gauge', valueType: 'double', value: 1, timeMs: 61_000 }]);
    expect(() => rollupTimeSeries({ partial }, 'k')).toThrow(/without its window/);
  });
});

describe('mergeTimeSeries', () => {
  it('one entry per label set, samples in time order, one per timestamp', () => {
    const labels = [{ name: '__name__', value: 'x' }];
    const other = [{ name: '__name__', value: 'y' }];
    const merged = mergeTimeSeries([
      [{ labels, samples: [{ value: 3, timestamp: 3 }] }, { labels: other, samples: [{ value: 1, timestamp: 1 }] }],
      [{ labels, samples: [{ value: 1, timestamp: 1 }] }],
      [{ labels, samples: [{ value: 2, timestamp: 2 }] }, { labels: other, samples: [{ value: 1, timestamp: 1 }] }],
    ]);
    expect(merged).toEqual([
      { labels, samples: [1, 2, 3].map((t) => ({ value: t, timestamp: t })) },
      { labels: other, samples: [{ value: 1, timestamp: 1 }] },
    ]);
  });
});
