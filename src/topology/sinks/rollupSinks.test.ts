// The rollup sink topology files and their DSL twins: same application, source and sinks, and the same sink rows for
// the same rollup partials. The Avro decoding of the source is swapped for items handed in directly (no registry here).
import { describe, expect, it } from 'vitest';
import { metricAggregator, type PartialItem } from '../../operators/metrics/metric.ts';
import type { Attribute, Metric, MetricPoint, Resource, Scope } from '../../otlp/index.ts';
import { tenantKey } from '../../otlp/tenant.ts';
import { topology, type Topology } from '../../runtime/index.ts';
import { TopologyTestDriver } from '../../runtime/testing.ts';
import { rollupTimeSeries } from '../../sinks/prometheus/fromRollup.ts';
import { rollupRemoteWriteSink } from '../../sinks/prometheus/rollupSink.ts';
import { rollupPoint } from '../../sinks/influx/fromRollup.ts';
import { influxSink } from '../../sinks/influx/influxSink.ts';
import { rollupPartials } from '../../sources/index.ts';
import { loadTopologyFile } from '../load.ts';
import { formatProblem } from '../problems.ts';

const scope: Scope = { name: 's', version: '1', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });
const BASE = Date.UTC(2026, 0, 1);

/** Partials of a gauge, a counter and a histogram over three windows, for two tenants. */
function items(): Array<{ key: string; item: PartialItem }> {
  const resource: Resource = { attributes: [str('service.name', 'api'), str('service.instance.id', 'i-1'), str('host.name', 'h')], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
  const metric = (name: string, unit: string, type: Metric['type'], temporality: number, isMonotonic: boolean): Metric => ({ name, description: '', unit, type, aggregationTemporality: temporality, isMonotonic, metadata: [] });
  const out: Array<{ key: string; item: PartialItem }> = [];
  for (const tenant of ['', 'acme']) {
    for (let w = 0; w < 3; w++) {
      const start = BASE + w * 60_000;
      const base = { resource, scope, attributes: [str('route', '/a b')], timeMs: start + 1_000, startTimeMs: BASE, startTimeNanos: 0, timeNanos: 0, flags: 0, exemplars: [] };
      const points: MetricPoint[] = [
        { ...base, metric: metric('cpu.utilization', '1', 'gauge', 0, false), type: 'gauge', valueType: 'double', value: w / 4 },
        { ...base, metric: metric('http.requests', '{request}', 'sum', 2, true), type: 'sum', valueType: 'int', value: 10 * w },
        { ...base, metric: metric('http.duration', 'ms', 'histogram', 1, false), type: 'histogram', count: 3, sum: 30, bucketCounts: [1, 2], explicitBounds: [10], min: 1, max: 20 },
      ];
      for (const point of points) {
        const agg = metricAggregator();
        out.push({ key: tenantKey(tenant || undefined, `${point.metric.name}-1`), item: { partial: agg.add(agg.init(), point, point.timeMs), window: { start, end: start + 60_000, resolution: '1m' } } });
      }
    }
  }
  return out;
}

/** The topology reading `items` instead of Avro records: record i of the input is item i. */
function withItems(t: Topology, list: Array<{ key: string; item: PartialItem }>): Topology {
  const decode = (m: { value: Buffer | null }) => {
    const { key, item } = list[Number(m.value!.toString())];
    return [{ key, timestamp: item.window!.start, value: item }];
  };
  return { ...t, source: { ...t.source, prepare: undefined, decode } };
}

function rows(t: Topology, sink: string): unknown[] {
  const list = items();
  const driver = new TopologyTestDriver(withItems(t, list), { now: () => BASE + 86_400_000 });
  driver.pipe(list.map((_, i) => ({ key: list[i].key, value: String(i), timestamp: BASE })));
  driver.commit();
  return driver.rows(sink);
}

function fromFile(file: string): Topology {
  const loaded = loadTopologyFile(file);
  if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  return loaded.topology;
}

describe('topologies/sink-prometheus.yaml', () => {
  const dsl = topology('sink-prometheus')
    .stream(rollupPartials('otlp.rollup.1m'))
    .toSink(rollupRemoteWriteSink({ name: 'prometheus' }), (item: PartialItem, key) => rollupTimeSeries(item, key, { tenantLabel: 'tenant', resourceToLabels: false }))
    .build();
  const yaml = fromFile('topologies/sink-prometheus.yaml');

  it('declares what its DSL twin declares', () => {
    expect(yaml.application).toBe(dsl.application);
    expect(yaml.source.topic).toBe(dsl.source.topic);
    expect(yaml.sinks.map((s) => s.name)).toEqual(dsl.sinks.map((s) => s.name));
    expect(yaml.outputs).toEqual(dsl.outputs);
  });

  it('gives the same sink rows as its DSL twin', () => {
    const got = rows(yaml, 'prometheus');
    expect(got).toHaveLength(18);
    expect(got).toEqual(rows(dsl, 'prometheus'));
  });
});

describe('topologies/sink-victoriametrics.yaml', () => {
  const translation = { tags: ['service.name', 'service.namespace', 'service.instance.id', 'host.name', 'deployment.environment'], tenantTag: 'tenant', seriesTag: true, quantiles: [0.5, 0.9, 0.95, 0.99] };
  const dsl = topology('sink-victoriametrics')
    .stream(rollupPartials('otlp.rollup.1m'))
    .toSink(influxSink({ name: 'victoriametrics', server: 'victoriametrics' }), (item: PartialItem, key) => rollupPoint(item, key, translation)?.toLineProtocol({ convertTime: (t) => String(t) }) ?? '')
    .build();
  const yaml = fromFile('topologies/sink-victoriametrics.yaml');

  it('declares what its DSL twin declares', () => {
    expect(yaml.application).toBe(dsl.application);
    expect(yaml.source.topic).toBe(dsl.source.topic);
    expect(yaml.sinks.map((s) => s.name)).toEqual(dsl.sinks.map((s) => s.name));
    expect(yaml.outputs).toEqual(dsl.outputs);
  });

  it('gives the same sink rows as its DSL twin', () => {
    const got = rows(yaml, 'victoriametrics');
    expect(got).toHaveLength(18);
    expect(got).toEqual(rows(dsl, 'victoriametrics'));
    expect(got[0]).toMatch(/^cpu\.utilization,host\.name=h,series=cpu\.utilization-1,service\.instance\.id=i-1,service\.name=api /);
  });
});
