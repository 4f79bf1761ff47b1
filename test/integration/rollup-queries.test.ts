// The rollup reader (src/query/rollups/reader.ts) on the stack's PostgreSQL against brute force: generated points
// are aggregated per window with the metric aggregate, written by the postgres_rollup sink component itself (1m and
// 5m tables of a fresh schema), and the reader's series, level choice, tenant isolation, names, labels and service
// graph must equal what the points say.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { metricAggregator, type MetricPartial } from '../../src/operators/metrics/index.ts';
import { seriesId, tenantKey, type Attribute, type Metric, type MetricPoint, type Resource } from '../../src/otlp/index.ts';
import { RollupReader } from '../../src/query/rollups/reader.ts';
import { GRAPH_METRICS } from '../../src/query/rollups/values.ts';
import type { ExternalSink } from '../../src/sinks/util/index.ts';
import type { RollupRow } from '../../src/sinks/postgres/rollupTables.ts';
import type { SinkComponentContext } from '../../src/topology/component.ts';
import { postgresRollupSinkComponent } from '../../src/topology/sinks/postgresRollup.ts';
import { pgSchema, stackSettings } from '../helpers/stack.ts';
import { seededRandom } from '../helpers/workers.ts';

const MIN = 60_000;
const MINUTES = 30;
const scope = { name: 'rollup-queries-test', version: '1', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
const metric = (name: string, type: Metric['type'], aggregationTemporality: number, unit = '1'): Metric => ({ name, description: '', unit, type, aggregationTemporality, isMonotonic: type === 'sum', metadata: [] });
const CPU = metric('ui.cpu.load', 'gauge', 0);
const REQUESTS = metric(GRAPH_METRICS.requests, 'sum', 1);
const FAILED = metric(GRAPH_METRICS.failed, 'sum', 1);
const SERVER = metric(GRAPH_METRICS.server, 'histogram', 1, 's');
const BOUNDS = [0.01, 0.05, 0.1, 0.5, 1];
const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });
const resourceOf = (attrs: Attribute[]): Resource => ({ attributes: attrs, droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' });

interface Sent {
  tenant: string;
  point: MetricPoint;
}

/** Gauges of three hosts (host-1 in both tenants) every 10 s, and service-graph edges in tenant '' as the connector emits them: one point per request. */
function traffic(base: number): { sent: Sent[]; requests: Array<{ client: string; server: string; timeMs: number; failed: boolean; seconds: number }> } {
  const random = seededRandom(11);
  const sent: Sent[] = [];
  const hosts = [
    { tenant: '', host: 'host-1' },
    { tenant: '', host: 'host-2' },
    { tenant: 'acme', host: 'host-1' },
  ];
  for (const { tenant, host } of hosts) {
    const resource = resourceOf([str('host.name', host), str('service.name', 'cpu-app')]);
    for (let i = 0; i < MINUTES * 6; i++) {
      const timeMs = base + i * 10_000 + 3;
      sent.push({ tenant, point: { resource, scope, metric: CPU, attributes: [str('core', 'all')], startTimeMs: 0, startTimeNanos: 0, timeMs, timeNanos: 0, flags: 0, type: 'gauge', valueType: 'double', value: Math.floor(random() * 400) / 4, exemplars: [] } });
    }
  }
  const edges = [
    { client: 'frontend', server: 'cart', perMinute: 20, errors: 0.1 },
    { client: 'cart', server: 'redis', perMinute: 12, errors: 0 },
    { client: 'user', server: 'frontend', perMinute: 25, errors: 0.04 },
  ];
  const requests: Array<{ client: string; server: string; timeMs: number; failed: boolean; seconds: number }> = [];
  const empty = resourceOf([]);
  for (const e of edges) {
    for (let m = 0; m < MINUTES; m++) {
      for (let r = 0; r < e.perMinute; r++) {
        const timeMs = base + m * MIN + Math.floor(random() * MIN);
        const failed = random() < e.errors;
        const seconds = Math.round(random() * random() * 800) / 1000;
        requests.push({ client: e.client, server: e.server, timeMs, failed, seconds });
        const common = { resource: empty, scope, startTimeMs: 0, startTimeNanos: 0, timeMs, timeNanos: 0, flags: 0, exemplars: [] };
        const attributes = [str('client', e.client), str('server', e.server), str('connection_type', ''), { key: 'failed', type: 'bool', value: failed } as Attribute];
        sent.push({ tenant: '', point: { ...common, metric: REQUESTS, attributes, type: 'sum', valueType: 'int', value: 1 } });
        if (failed) sent.push({ tenant: '', point: { ...common, metric: FAILED, attributes, type: 'sum', valueType: 'int', value: 1 } });
        const bucket = BOUNDS.findIndex((b) => seconds <= b);
        const bucketCounts = [...BOUNDS, Infinity].map((_, i) => (i === (bucket < 0 ? BOUNDS.length : bucket) ? 1 : 0));
        sent.push({ tenant: '', point: { ...common, metric: SERVER, attributes, type: 'histogram', count: 1, sum: seconds, bucketCounts, explicitBounds: BOUNDS, min: seconds, max: seconds } });
      }
    }
  }
  return { sent, requests };
}

/** The points aggregated per window of `stepMs` and turned into table rows by the sink component's own `row`. */
function windowRows(sent: Sent[], stepMs: number, row: (value: unknown, key: string, time: number) => RollupRow): RollupRow[] {
  const aggregator = metricAggregator();
  const partials = new Map<string, { key: string; start: number; partial: MetricPartial }>();
  for (const { tenant, point } of sent) {
    const key = tenantKey(tenant || undefined, seriesId(point));
    const start = Math.floor(point.timeMs / stepMs) * stepMs;
    const slot = `${key}/${start}`;
    const at = partials.get(slot) ?? { key, start, partial: aggregator.init() };
    at.partial = aggregator.add(at.partial, point, point.timeMs);
    partials.set(slot, at);
  }
  return [...partials.values()].map(({ key, start, partial }) => row({ partial }, key, start));
}

const overlaps = (t: number, stepMs: number, startMs: number, endMs: number) => {
  const w = Math.floor(t / stepMs) * stepMs;
  return w + stepMs > startMs && w < endMs;
};

describe('rollup reader', () => {
  const base = Math.floor((Date.now() - 2 * 3_600_000) / 3_600_000) * 3_600_000;
  const { sent, requests } = traffic(base);
  const cleanups: Array<() => Promise<void>> = [];
  let url: string;
  let schema: string;
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  beforeAll(async () => {
    const db = await pgSchema();
    cleanups.push(db.drop);
    schema = db.schema;
    url = stackSettings().PG_URL;
    const config = resolveConfig([envLayer(stackSettings())]);
    for (const [level, stepMs] of [['1m', MIN], ['5m', 5 * MIN]] as const) {
      const options = postgresRollupSinkComponent.options.parse({ resolution: level, table: `${schema}.rollup_${level}`, series_table: `${schema}.otlp_series`, retention: 'forever', timescale: 'off' });
      const { spec, row } = postgresRollupSinkComponent.create(options, { application: 'rollup-queries-test', stage: 'items' } as SinkComponentContext); // the rollup sink reads no stage fields
      const sink = (await spec.create({ application: 'rollup-queries-test', targets: {}, config })) as ExternalSink<RollupRow>;
      cleanups.push(() => sink.close?.() ?? Promise.resolve());
      const rows = windowRows(sent, stepMs, row as (value: unknown, key: string, time: number) => RollupRow);
      for (let i = 0; i < rows.length; i += 1000) await sink.write(rows.slice(i, i + 1000));
    }
  });

  const reader = (maxPoints?: number) => {
    const r = new RollupReader({ url, schema, ...(maxPoints ? { maxPoints } : {}) });
    cleanups.push(() => r.close());
    return r;
  };

  /** Brute force: per window of the host's gauge points, min, max, avg, count, last. */
  function gaugeWindows(tenant: string, host: string, stepMs: number, startMs: number, endMs: number) {
    const byWindow = new Map<number, number[]>();
    for (const s of sent) {
      if (s.tenant !== tenant || s.point.metric !== CPU || s.point.resource.attributes[0].value !== host || !overlaps(s.point.timeMs, stepMs, startMs, endMs)) continue;
      const w = Math.floor(s.point.timeMs / stepMs) * stepMs;
      byWindow.set(w, [...(byWindow.get(w) ?? []), Number((s.point as { value: number }).value)]);
    }
    return [...byWindow].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, min: Math.min(...v), max: Math.max(...v), avg: v.reduce((a, x) => a + x, 0) / v.length, count: v.length, last: v[v.length - 1] }));
  }

  const pick = (p: { t: number; min: number | null; max: number | null; avg: number | null; count: number | null; last: number | null }) => ({ t: p.t, min: p.min, max: p.max, avg: p.avg, count: p.count, last: p.last });

  it('answers a metric by name and labels at the level the range calls for, for the caller’s tenant only', async () => {
    const r = reader();
    const startMs = base + 3 * MIN + 30_000;
    const endMs = base + 20 * MIN;
    const answer = (await r.series('', { name: CPU.name, match: { 'host.name': 'host-1' }, startMs, endMs }))!;
    expect(answer.level).toBe('1m');
    expect(answer.stepMs).toBe(MIN);
    expect(answer.series).toHaveLength(1);
    expect(answer.series[0].labels).toEqual({ 'host.name': 'host-1', 'service.name': 'cpu-app', core: 'all' });
    const brute = gaugeWindows('', 'host-1', MIN, startMs, endMs);
    expect(brute).toHaveLength(17);
    expect(answer.series[0].points.map(pick)).toEqual(brute);
    for (const p of answer.series[0].points) {
      expect(Object.keys(p.quantiles).sort()).toEqual(['0.5', '0.9', '0.95', '0.99']);
      expect(p.quantiles['0.5']).toBeGreaterThanOrEqual(p.min!);
      expect(p.quantiles['0.99']).toBeLessThanOrEqual(p.max!);
    }

    // The other tenant: the same series id and labels, its own values.
    const acme = (await r.series('acme', { name: CPU.name, match: { 'host.name': 'host-1' }, startMs, endMs }))!;
    expect(acme.series.map((s) => s.series)).toEqual(answer.series.map((s) => s.series));
    expect(acme.series[0].points.map(pick)).toEqual(gaugeWindows('acme', 'host-1', MIN, startMs, endMs));
    expect(acme.series[0].points.map(pick)).not.toEqual(brute);
    expect((await r.series('nobody', { name: CPU.name, match: {}, startMs, endMs }))!.series).toEqual([]);

    // Without matchers: both hosts of the tenant; a label value nobody has: nothing.
    expect((await r.series('', { name: CPU.name, match: {}, startMs, endMs }))!.series).toHaveLength(2);
    expect((await r.series('', { name: CPU.name, match: { core: 'none' }, startMs, endMs }))!.series).toEqual([]);
  });

  it('takes the 5m level when 1m would give too many points, or when asked', async () => {
    const startMs = base + 2 * MIN;
    const endMs = base + 27 * MIN;
    const coarse = (await reader(10).series('', { name: CPU.name, match: { 'host.name': 'host-2' }, startMs, endMs }))!;
    expect(coarse.level).toBe('5m');
    expect(coarse.series[0].points.map(pick)).toEqual(gaugeWindows('', 'host-2', 5 * MIN, startMs, endMs));
    expect(coarse.series[0].points).toHaveLength(6);
    const asked = (await reader().series('', { name: CPU.name, match: { 'host.name': 'host-2' }, startMs, endMs, level: '5m' }))!;
    expect(asked.series[0].points).toEqual(coarse.series[0].points);
  });

  it('finds names by prefix, then by letters in order; lists labels and their values per tenant', async () => {
    const r = reader();
    expect((await r.names('', 'ui.c', 10)).map((n) => n.name)).toEqual([CPU.name]);
    expect((await r.names('', 'traces_service_graph_request', 10)).map((n) => n.name)).toEqual([REQUESTS.name, SERVER.name, FAILED.name]);
    expect((await r.names('', 'uicl', 10))[0]).toEqual({ name: CPU.name, type: 'gauge', unit: '1', match: 'fuzzy' });
    expect((await r.names('acme', 'trac', 10))).toEqual([]);
    const labels = await r.labels('', CPU.name, {});
    expect(labels.series).toBe(2);
    expect(labels.labels.find((l) => l.name === 'host.name')?.values).toEqual([{ value: 'host-1', series: 1 }, { value: 'host-2', series: 1 }]);
    expect((await r.labels('acme', CPU.name, {})).labels.find((l) => l.name === 'host.name')?.values).toEqual([{ value: 'host-1', series: 1 }]);
  });

  it('gives the service graph edges of a range as the requests say', async () => {
    for (const [maxPoints, level, stepMs] of [[undefined, '1m', MIN], [4, '5m', 5 * MIN]] as const) {
      const startMs = base + 4 * MIN + 20_000;
      const endMs = base + 19 * MIN + 10_000;
      const graph = (await reader(maxPoints).serviceGraph('', startMs, endMs))!;
      expect(graph.level).toBe(level);
      const inRange = requests.filter((q) => overlaps(q.timeMs, stepMs, startMs, endMs));
      const brute = new Map<string, { requests: number; failed: number; seconds: number[] }>();
      for (const q of inRange) {
        const k = `${q.client}->${q.server}`;
        const e = brute.get(k) ?? { requests: 0, failed: 0, seconds: [] };
        e.requests++;
        if (q.failed) e.failed++;
        e.seconds.push(q.seconds);
        brute.set(k, e);
      }
      expect(graph.edges.map((e) => `${e.client}->${e.server}`).sort()).toEqual([...brute.keys()].sort());
      for (const e of graph.edges) {
        const b = brute.get(`${e.client}->${e.server}`)!;
        expect({ requests: e.requests, failed: e.failed }).toEqual({ requests: b.requests, failed: b.failed });
        expect(e.ratePerSecond).toBeCloseTo(b.requests / ((endMs - startMs) / 1000), 9);
        expect(e.errorRate).toBeCloseTo(b.failed / b.requests, 9);
        expect(e.latencyAvgSeconds).toBeCloseTo(b.seconds.reduce((a, x) => a + x, 0) / b.seconds.length, 9);
        // p95 from merged buckets: in the bucket of the exact p95 (the estimate's whole error bound).
        const sorted = [...b.seconds].sort((x, y) => x - y);
        const exact = sorted[Math.ceil(0.95 * sorted.length) - 1];
        const bucketOf = (v: number) => BOUNDS.findIndex((bound) => v <= bound);
        expect(bucketOf(e.latencyP95Seconds!)).toBe(bucketOf(exact));
      }
      expect(graph.nodes.find((n) => n.service === 'cart')).toEqual({ service: 'cart', requests: brute.get('frontend->cart')!.requests, failed: brute.get('frontend->cart')!.failed });
      expect((await reader(maxPoints).serviceGraph('acme', startMs, endMs))!.edges).toEqual([]);
    }
  });
});
