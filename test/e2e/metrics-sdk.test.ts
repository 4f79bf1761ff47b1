// The whole metrics path a user runs, as processes: `otlp-streams ingest` takes OTLP/HTTP from `otlp-streams gen`,
// from an app instrumented with the OpenTelemetry JS SDK (histogram, counter, up-down counter, observable gauge) and
// from hand-built points of every OTLP metric type (OTLP/JSON); `otlp-streams run` workers of metrics-rollup.yaml and
// metrics-rollup-5m.yaml (own application ids and topics) roll them up. The oracle reads the raw input topic back,
// decodes it and aggregates per series and window by brute force: every closed 1m and 5m window must equal it.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSnappy } from '../../src/kafka/index.ts';
import {
  decodeMetrics, encodeMetrics, encodeMetricsJson, murmur2, resourceKey, seriesId, tenantKey, type Attribute, type ExponentialHistogramPoint, type HistogramPoint,
  type Metric, type MetricPoint, type Resource, type Scope, type SummaryPoint,
} from '../../src/otlp/index.ts';
import type { DecodedRollup } from '../fixtures/metricsChain.ts';
import { readToEnd } from '../helpers/readToEnd.ts';
import { createTopic, kafka, stackSettings, unique } from '../helpers/stack.ts';
import { topologyCopyYaml } from '../helpers/topologyCopy.ts';
import { startTopologyProcess, type TopologyProcess } from '../helpers/topologyProcess.ts';
import { waitForAllCommitted } from '../helpers/workers.ts';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.ts';

const MINUTE = 60_000;
const PARTITIONS = 3;
const bin = join(import.meta.dirname, '..', '..', 'bin', 'otlp-streams');
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- hand-built points of every type --------------------------------------------------------------------------------

const scope: Scope = { name: 'handmade', version: '1', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
const metric = (name: string, type: Metric['type'], aggregationTemporality = 0, isMonotonic = false): Metric => ({ name, description: '', unit: '1', type, aggregationTemporality, isMonotonic, metadata: [] });
const resourceOf = (attributes: Record<string, string>): Resource => ({
  attributes: Object.entries(attributes).map(([key, value]): Attribute => ({ key, type: 'string', value })), droppedAttributesCount: 0, entityRefs: [], schemaUrl: '',
});
const HANDMADE = resourceOf({ 'service.name': 'handmade' });
const M = {
  gauge: metric('hand.gauge', 'gauge'),
  cumulative: metric('hand.sum.cumulative', 'sum', 2, true),
  delta: metric('hand.sum.delta', 'sum', 1, true),
  upDown: metric('hand.sum.updown', 'sum', 2, false),
  histogram: metric('hand.histogram.delta', 'histogram', 1),
  cumulativeHistogram: metric('hand.histogram.cumulative', 'histogram', 2),
  exponential: metric('hand.exponential.delta', 'exponentialHistogram', 1),
  cumulativeExponential: metric('hand.exponential.cumulative', 'exponentialHistogram', 2),
  summary: metric('hand.summary', 'summary'),
};

/** Round `i` (0, 1, 2, …) of hand-built points at `timeMs`: cumulative ones grow from `startMs`. */
function handmade(i: number, timeMs: number, startMs: number): MetricPoint[] {
  const base = { resource: HANDMADE, scope, attributes: [{ key: 'round.parity', type: 'string', value: i % 2 ? 'odd' : 'even' } as Attribute], timeMs, timeNanos: 0, flags: 0 };
  const delta = { ...base, startTimeMs: timeMs - 1000, startTimeNanos: 0 };
  const cumulative = { ...base, attributes: [], startTimeMs: startMs, startTimeNanos: 0 };
  const histogram = (counts: number[], start: typeof delta): HistogramPoint => ({
    ...start, metric: start === delta ? M.histogram : M.cumulativeHistogram, type: 'histogram', count: counts.reduce((a, b) => a + b, 0),
    sum: counts[0] * 0.5 + counts[1] * 5 + counts[2] * 50, bucketCounts: counts, explicitBounds: [1, 10], exemplars: [],
    min: start === delta ? 0.5 : undefined, max: start === delta ? 50 : undefined,
  });
  const exponential = (offset: number, counts: number[], zeroCount: number, start: typeof delta, scale: number): ExponentialHistogramPoint => ({
    ...start, metric: start === delta ? M.exponential : M.cumulativeExponential, type: 'exponentialHistogram', scale, zeroCount, zeroThreshold: 0,
    count: zeroCount + counts.reduce((a, b) => a + b, 0), sum: undefined, positive: { offset, bucketCounts: counts }, negative: { offset: 0, bucketCounts: [] },
    exemplars: [], min: undefined, max: undefined,
  });
  const summary: SummaryPoint = {
    ...cumulative, metric: M.summary, type: 'summary', count: 10 * (i + 1), sum: 42.5 * (i + 1), quantileValues: [{ quantile: 0.5, value: 4 + i }, { quantile: 0.99, value: 9.5 + i }],
  };
  return [
    { ...base, metric: M.gauge, type: 'gauge', startTimeMs: 0, startTimeNanos: 0, valueType: 'double', value: 20.25 + i * 1.5, exemplars: [] },
    { ...cumulative, metric: M.cumulative, type: 'sum', valueType: 'int', value: [5, 12, 3, 9][i % 4], exemplars: [] }, // the drop to 3 is a reset
    { ...delta, metric: M.delta, type: 'sum', valueType: 'double', value: 5, exemplars: [] },
    { ...cumulative, metric: M.upDown, type: 'sum', valueType: 'int', value: [4, -2, 7, 1][i % 4], exemplars: [] },
    histogram([i, 2, 1], delta),
    histogram([3 * (i + 1), 2 * (i + 1), i + 1], cumulative),
    exponential(-3 + i, [1, 2, 3], i, delta, 4 + (i % 2)),
    exponential(10, [i + 1, 2 * i + 1, 3], 2 * i, cumulative, 3),
    summary,
  ];
}

// --- brute force -----------------------------------------------------------------------------------------------------

type Kind = 'GAUGE' | 'CUMULATIVE_SUM' | 'DELTA_SUM' | 'UP_DOWN_SUM' | 'HISTOGRAM' | 'CUMULATIVE_HISTOGRAM' | 'EXPONENTIAL_HISTOGRAM' | 'CUMULATIVE_EXPONENTIAL_HISTOGRAM' | 'SUMMARY';

function kindOf(p: MetricPoint): Kind {
  const cumulative = p.metric.aggregationTemporality === 2;
  switch (p.type) {
    case 'gauge':
      return 'GAUGE';
    case 'sum':
      return p.metric.aggregationTemporality === 1 ? 'DELTA_SUM' : p.metric.isMonotonic ? 'CUMULATIVE_SUM' : 'UP_DOWN_SUM';
    case 'histogram':
      return cumulative ? 'CUMULATIVE_HISTOGRAM' : 'HISTOGRAM';
    case 'exponentialHistogram':
      return cumulative ? 'CUMULATIVE_EXPONENTIAL_HISTOGRAM' : 'EXPONENTIAL_HISTOGRAM';
    case 'summary':
      return 'SUMMARY';
  }
}

interface Exponential {
  scale: number;
  zero_count: number;
  positive_offset: number;
  positive: number[];
}

/** What a window holds of a series, per kind: the Rollup record's fields (null where the kind has none). */
interface Expected {
  kind: Kind;
  points?: number | null;
  count?: number | null;
  sum?: number | null;
  min?: number | null;
  max?: number | null;
  last?: number | null;
  increase?: number | null;
  resets?: number | null;
  buckets?: number[] | null;
  exponential?: Exponential | null;
  quantiles?: { quantile: number; value: number }[];
}

const valueOf = (p: MetricPoint) => Number((p as { value: number | bigint }).value);
const byTime = (a: MetricPoint, b: MetricPoint) => a.timeMs - b.timeMs || a.timeNanos - b.timeNanos; // stable: ties keep arrival order

/** Exponential buckets (positive side; no test point has negative ones) merged at the largest scale ≤ every scale where they fit 160 buckets. */
function mergeExponential(parts: { scale: number; zeroCount: number; offset: number; counts: number[] }[]): Exponential {
  const carrying = parts.filter((p) => p.zeroCount + p.counts.reduce((a, b) => a + b, 0) > 0);
  let scale = Math.min(...carrying.map((p) => p.scale));
  const at = (s: number) => {
    const buckets = new Map<number, number>();
    for (const p of carrying) p.counts.forEach((c, i) => c > 0 && buckets.set(Math.floor((p.offset + i) / 2 ** (p.scale - s)), (buckets.get(Math.floor((p.offset + i) / 2 ** (p.scale - s))) ?? 0) + c));
    return buckets;
  };
  let buckets = at(scale);
  while (buckets.size > 0 && Math.max(...buckets.keys()) - Math.min(...buckets.keys()) + 1 > 160) buckets = at(--scale);
  const offset = buckets.size === 0 ? 0 : Math.min(...buckets.keys());
  const positive = buckets.size === 0 ? [] : Array.from({ length: Math.max(...buckets.keys()) - offset + 1 }, (_, i) => buckets.get(offset + i) ?? 0);
  return { scale, zero_count: carrying.reduce((a, p) => a + p.zeroCount, 0), positive_offset: offset, positive };
}

/** Exponential counts of `p` at a lower scale `s`. */
function downscale(p: ExponentialHistogramPoint, s: number): number[] {
  const out: number[] = [];
  const offset = Math.floor(p.positive.offset / 2 ** (p.scale - s));
  p.positive.bucketCounts.forEach((c, i) => {
    const j = Math.floor((p.positive.offset + i) / 2 ** (p.scale - s)) - offset;
    out[j] = (out[j] ?? 0) + c;
  });
  return out;
}

/** Consecutive cumulative points as increases: same time → duplicate (the later replaces), `reset` → all of the next one. */
function increases<P extends MetricPoint, I>(points: P[], reset: (prev: P, next: P) => boolean, diff: (prev: P, next: P) => I, whole: (p: P) => I): { increases: I[]; resets: number } {
  const out: I[] = [];
  let resets = 0;
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1];
    const next = points[i];
    if (byTime(prev, next) === 0) continue;
    if (prev.startTimeMs !== next.startTimeMs || prev.startTimeNanos !== next.startTimeNanos || reset(prev, next)) {
      resets++;
      out.push(whole(next));
    } else out.push(diff(prev, next));
  }
  return { increases: out, resets };
}

/** One series' points of one window (arrival order), aggregated by the rules of docs/metrics.md. */
function aggregate(arrived: MetricPoint[]): Expected {
  const points = [...arrived].sort(byTime);
  const kind = kindOf(points[0]);
  const n = points.length;
  switch (kind) {
    case 'GAUGE': {
      const v = points.map(valueOf);
      return { kind, points: n, count: n, sum: v.reduce((a, b) => a + b, 0), min: Math.min(...v), max: Math.max(...v), last: v[n - 1] };
    }
    case 'CUMULATIVE_SUM': {
      const r = increases<MetricPoint, number>(points, (a, b) => valueOf(b) < valueOf(a), (a, b) => valueOf(b) - valueOf(a), valueOf);
      return { kind, points: n, increase: r.increases.reduce((a, b) => a + b, 0), resets: r.resets, last: valueOf(points[n - 1]) };
    }
    case 'DELTA_SUM':
      return { kind, points: n, sum: points.map(valueOf).reduce((a, b) => a + b, 0) };
    case 'UP_DOWN_SUM': {
      const v = points.map(valueOf);
      return { kind, points: n, min: Math.min(...v), max: Math.max(...v), last: v[n - 1] };
    }
    case 'HISTOGRAM': {
      const h = points as HistogramPoint[];
      return {
        kind, points: null, count: h.reduce((a, p) => a + p.count, 0), sum: h.reduce((a, p) => a + p.sum!, 0), min: Math.min(...h.map((p) => p.min!)), max: Math.max(...h.map((p) => p.max!)),
        buckets: h[0].bucketCounts.map((_, i) => h.reduce((a, p) => a + p.bucketCounts[i], 0)),
      };
    }
    case 'CUMULATIVE_HISTOGRAM': {
      const h = points as HistogramPoint[];
      const r = increases(
        h,
        (a, b) => b.count < a.count || b.bucketCounts.some((c, i) => c < a.bucketCounts[i]) || b.explicitBounds.join() !== a.explicitBounds.join(),
        (a, b) => ({ count: b.count - a.count, sum: b.sum! - a.sum!, buckets: b.bucketCounts.map((c, i) => c - a.bucketCounts[i]) }),
        (b) => ({ count: b.count, sum: b.sum!, buckets: b.bucketCounts }),
      );
      // A window with one point (or only duplicates) has no increase: the empty delta histogram (docs/metrics.md).
      if (r.increases.length === 0) return { kind, points: n, count: 0, sum: null, min: null, max: null, resets: r.resets, buckets: [] };
      return {
        kind, points: n, count: r.increases.reduce((a, x) => a + x.count, 0), sum: r.increases.reduce((a, x) => a + x.sum, 0), min: null, max: null, resets: r.resets,
        buckets: h[0].bucketCounts.map((_, i) => r.increases.reduce((a, x) => a + x.buckets[i], 0)),
      };
    }
    case 'EXPONENTIAL_HISTOGRAM': {
      const e = points as ExponentialHistogramPoint[];
      const sums = e.map((p) => p.sum);
      return {
        kind, points: null, count: e.reduce((a, p) => a + p.count, 0), sum: sums.includes(undefined) ? null : sums.reduce((a, b) => a! + b!, 0),
        min: e.some((p) => p.min === undefined) ? null : Math.min(...e.map((p) => p.min!)), max: e.some((p) => p.max === undefined) ? null : Math.max(...e.map((p) => p.max!)),
        exponential: mergeExponential(e.map((p) => ({ scale: p.scale, zeroCount: p.zeroCount, offset: p.positive.offset, counts: p.positive.bucketCounts }))),
      };
    }
    case 'CUMULATIVE_EXPONENTIAL_HISTOGRAM': {
      const e = points as ExponentialHistogramPoint[];
      type Part = { scale: number; zeroCount: number; offset: number; counts: number[]; count: number };
      const part = (p: ExponentialHistogramPoint, s: number): Part => ({ scale: s, zeroCount: p.zeroCount, offset: Math.floor(p.positive.offset / 2 ** (p.scale - s)), counts: downscale(p, s), count: p.count });
      const r = increases<ExponentialHistogramPoint, Part>(
        e,
        (a, b) => {
          const s = Math.min(a.scale, b.scale);
          const [x, y] = [part(a, s), part(b, s)];
          return b.count < a.count || b.zeroCount < a.zeroCount || x.counts.some((c, i) => c > (y.counts[i + x.offset - y.offset] ?? 0));
        },
        (a, b) => {
          const s = Math.min(a.scale, b.scale);
          const [x, y] = [part(a, s), part(b, s)];
          return { ...y, zeroCount: y.zeroCount - x.zeroCount, count: y.count - x.count, counts: y.counts.map((c, i) => c - (x.counts[i + y.offset - x.offset] ?? 0)) };
        },
        (b) => part(b, b.scale),
      );
      // No increase (one point, or only duplicates): the empty exponential histogram — the largest scale, no buckets,
      // and the exact sum of no observations, 0 (docs/metrics.md). Increases carry no sum: the points have none.
      if (r.increases.length === 0) return { kind, points: n, count: 0, sum: 0, min: null, max: null, resets: r.resets, exponential: { scale: 20, zero_count: 0, positive_offset: 0, positive: [] } };
      return { kind, points: n, count: r.increases.reduce((a, x) => a + x.count, 0), sum: null, min: null, max: null, resets: r.resets, exponential: mergeExponential(r.increases) };
    }
    case 'SUMMARY': {
      const last = points[n - 1] as SummaryPoint;
      return { kind, points: n, count: last.count, sum: last.sum, quantiles: last.quantileValues.map((q) => ({ quantile: q.quantile, value: q.value })) };
    }
  }
}

interface Raw {
  key: string;
  name: string;
  point: MetricPoint;
}

/** Brute force per series key and window of `size`, over points before `until`. */
function oracle(raw: Raw[], size: number, until: number): Map<string, Expected> {
  const groups = new Map<string, MetricPoint[]>();
  for (const { key, name, point } of raw) {
    const start = Math.floor(point.timeMs / size) * size;
    if (start + size > until) continue;
    const id = `${name} ${key} ${new Date(start).toISOString()}`;
    groups.set(id, [...(groups.get(id) ?? []), point]);
  }
  return new Map([...groups].map(([id, points]) => [id, aggregate(points)]));
}

// --- reading the rollups ---------------------------------------------------------------------------------------------

/** The fields of a record that its kind's expectation names. */
function readable(r: DecodedRollup, like: Expected | undefined): Expected {
  const out: Expected = { kind: r.kind as Kind };
  for (const field of Object.keys(like ?? {}) as (keyof Expected)[]) {
    if (field === 'kind') continue;
    if (field === 'buckets') out.buckets = r.buckets?.counts ?? null;
    else if (field === 'exponential') out.exponential = r.exponential && { scale: r.exponential.scale, zero_count: r.exponential.zero_count, positive_offset: r.exponential.positive_offset, positive: r.exponential.positive };
    else (out as unknown as Record<string, unknown>)[field] = r[field];
  }
  return out;
}

/** `actual` with sums and increases replaced by the expected ones where they agree to 1e-9 (relative): the rollup adds exactly and rounds once. */
function withinRounding(actual: Map<string, Expected>, expected: Map<string, Expected>): Map<string, Expected> {
  const close = (a: number | null | undefined, e: number | null | undefined) => typeof a === 'number' && typeof e === 'number' && Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e));
  return new Map([...actual].map(([k, a]) => {
    const e = expected.get(k);
    return [k, { ...a, ...(close(a.sum, e?.sum) ? { sum: e!.sum } : {}), ...(close(a.increase, e?.increase) ? { increase: e!.increase } : {}) }];
  }));
}

describe('gen, the OpenTelemetry JS SDK and hand-built points → ingest → metrics-rollup 1m → 5m (processes)', () => {
  const client = kafka();
  const id = unique('sdkchain');
  const dir = mkdtempSync(join(tmpdir(), 'metrics-sdk-'));
  const apps = { oneMinute: `${id}-1m`, fiveMinutes: `${id}-5m` };
  const topics = { metrics: '', rollup1m: `${id}.rollup.1m`, rollup5m: `${id}.rollup.5m`, series: `${id}.series` };
  let gateway: GatewayProcess;
  const workers: TopologyProcess[] = [];

  beforeAll(async () => {
    registerSnappy(); // the gateway compresses its records
    topics.metrics = await createTopic(`${id}.metrics`, PARTITIONS);
    gateway = await startGatewayProcess(stackSettings().KAFKA_BROKERS, [
      '--metrics-topic', topics.metrics, '--traces-topic', `${id}.spans`, '--logs-topic', `${id}.logs`, '--partitions', String(PARTITIONS), '--transactional-id', `${id}-gw`,
    ]);
    const files = {
      oneMinute: topologyCopyYaml('topologies/metrics-rollup.yaml', { application: apps.oneMinute, source: topics.metrics, output: topics.rollup1m, series: topics.series }),
      fiveMinutes: topologyCopyYaml('topologies/metrics-rollup-5m.yaml', { application: apps.fiveMinutes, source: topics.rollup1m, output: topics.rollup5m }),
    };
    // The 5m level reads what the 1m level creates.
    for (const [name, yaml] of Object.entries(files)) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, yaml);
      workers.push(await startTopologyProcess(name, file));
    }
  });

  afterAll(async () => {
    const codes = await Promise.all([...workers.map((w) => w.stop()), gateway?.stop()]);
    rmSync(dir, { recursive: true, force: true });
    expect(codes.every((c) => c === 0), `exit codes ${codes.join(', ')}`).toBe(true);
  });

  it('every closed 1m and 5m window equals brute force over the raw input topic', async () => {
    const post = async (body: string | Buffer, type: string) => {
      const res = await fetch(`${gateway.url}/v1/metrics`, { method: 'POST', body, headers: { 'Content-Type': type } });
      expect(res.status, await res.text()).toBe(200);
    };

    // (a) gen: every instance of the simulated shop reports once a second.
    const gen = spawn(bin, ['gen', '--url', gateway.url, '--signals', 'metrics', '--duration', '6', '--metrics-interval', '1', '--seed', '7'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let genOutput = '';
    gen.stdout.on('data', (d: Buffer) => (genOutput += d.toString()));
    gen.stderr.on('data', (d: Buffer) => (genOutput += d.toString()));
    const genExit = new Promise<number | null>((resolve) => gen.on('exit', resolve));

    // (b) an app on the OpenTelemetry JS SDK, its OTLP/HTTP protobuf exporter; (c) hand-built points as OTLP/JSON.
    const meters = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'sdk-app', 'host.name': 'e2e' }),
      readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${gateway.url}/v1/metrics` }), exportIntervalMillis: 3_600_000 })],
    });
    const meter = meters.getMeter('sdk-app');
    const latency = meter.createHistogram('app.request.duration', { unit: 'ms' });
    const requests = meter.createCounter('app.requests');
    const inFlight = meter.createUpDownCounter('app.requests.in_flight');
    let temperature = 21.5;
    meter.createObservableGauge('app.temperature', { unit: 'Cel' }).addCallback((result) => result.observe(temperature, { room: 'lab' }));
    const startMs = Date.now() - 5_000;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) {
        latency.record(1 + ((round * 20 + i) % 17) * 13, { route: i % 2 ? '/cart' : '/checkout' });
        requests.add(1 + (i % 3), { route: i % 2 ? '/cart' : '/checkout' });
        inFlight.add(i % 3 === 0 ? 2 : -1);
      }
      temperature += 0.25;
      await meters.forceFlush();
      await post(encodeMetricsJson(handmade(round, Date.now(), startMs)), 'application/json');
      await delay(1000); // a collection interval of the app
    }
    await meters.shutdown();
    expect(await genExit, genOutput).toBe(0);

    // Closing points dated later in every partition: A closes every traffic minute at 1m and B closes A's minute,
    // whose 1m records (dated A) close every traffic window at 5m (grace 3m).
    const closers: Resource[] = [];
    for (let i = 0; closers.length < PARTITIONS; i++) {
      const r = resourceOf({ 'service.name': 'closer', 'closer.id': String(i) });
      if (!closers.some((c) => murmur2.partition(resourceKey(c.attributes), PARTITIONS) === murmur2.partition(resourceKey(r.attributes), PARTITIONS))) closers.push(r);
    }
    const closeA = Math.ceil(Date.now() / (5 * MINUTE)) * 5 * MINUTE + 4 * MINUTE;
    const closeB = closeA + 2 * MINUTE;
    const closing = metric('closing', 'gauge');
    for (const timeMs of [closeA, closeB]) {
      await post(encodeMetrics(closers.map((resource) => ({ resource, scope, metric: closing, attributes: [], startTimeMs: 0, startTimeNanos: 0, timeMs, timeNanos: 0, flags: 0, type: 'gauge', valueType: 'int', value: 1, exemplars: [] }))), 'application/x-protobuf');
    }
    await waitForAllCommitted(client, apps.oneMinute, topics.metrics, workers);
    await waitForAllCommitted(client, apps.fiveMinutes, topics.rollup1m, workers);

    const raw: Raw[] = (await readToEnd(client, topics.metrics)).flatMap((m) =>
      decodeMetrics(m.value!).map((point) => ({ key: tenantKey(m.headers?.tenant?.toString(), seriesId(point)), name: point.metric.name, point })),
    );
    const registry = new SchemaRegistry({ host: stackSettings().SCHEMA_REGISTRY_URL });
    const read = async (topic: string, expected: Map<string, Expected>) => {
      const rows = await Promise.all((await readToEnd(client, topic)).map(async (m) => (await registry.decode(m.value!)) as DecodedRollup));
      const ids = rows.map((r) => `${r.identity.name} ${r.series} ${new Date(r.window_start).toISOString()}`);
      expect(ids.filter((x, i) => ids.indexOf(x) !== i), `${topic}: series and windows with more than one record`).toEqual([]);
      return new Map(rows.map((r, i) => [ids[i], readable(r, expected.get(ids[i]))]));
    };

    const compare = (actual: Map<string, Expected>, expected: Map<string, Expected>, level: string) => {
      const missing = [...expected.keys()].filter((k) => !actual.has(k));
      const unexpected = [...actual.keys()].filter((k) => !expected.has(k));
      expect({ missing: missing.slice(0, 10), unexpected: unexpected.slice(0, 10) }, `${level}: ${missing.length} windows missing, ${unexpected.length} unexpected`).toEqual({ missing: [], unexpected: [] });
      expect(withinRounding(actual, expected)).toEqual(expected);
    };
    // 1m: every minute up to A's (closed by B); 5m: every window that ends by A − 3m.
    const expected1m = oracle(raw, MINUTE, closeA + MINUTE);
    compare(await read(topics.rollup1m, expected1m), expected1m, '1m');
    const expected5m = oracle(raw, 5 * MINUTE, closeA - 3 * MINUTE);
    compare(await read(topics.rollup5m, expected5m), expected5m, '5m');

    // Every kind of point went through: gen (gauge, cumulative sum and histogram, delta exponential histogram,
    // summary), the SDK (cumulative histogram and sum, up-down sum, gauge) and the hand-built ones (all nine).
    const kinds = (m: Map<string, Expected>, name: (n: string) => boolean) => new Set([...m].filter(([k]) => name(k.split(' ')[0])).map(([, e]) => e.kind));
    const all: Kind[] = ['GAUGE', 'CUMULATIVE_SUM', 'DELTA_SUM', 'UP_DOWN_SUM', 'HISTOGRAM', 'CUMULATIVE_HISTOGRAM', 'EXPONENTIAL_HISTOGRAM', 'CUMULATIVE_EXPONENTIAL_HISTOGRAM', 'SUMMARY'];
    expect([...kinds(expected1m, (n) => n.startsWith('hand.'))].sort()).toEqual([...all].sort());
    expect([...kinds(expected1m, (n) => n.startsWith('app.'))].sort()).toEqual(['CUMULATIVE_HISTOGRAM', 'CUMULATIVE_SUM', 'GAUGE', 'UP_DOWN_SUM']);
    expect([...kinds(expected1m, (n) => n.startsWith('rpc.') || n.startsWith('process.'))].sort()).toEqual(['CUMULATIVE_HISTOGRAM', 'CUMULATIVE_SUM', 'EXPONENTIAL_HISTOGRAM', 'GAUGE', 'SUMMARY']);
  });
});
