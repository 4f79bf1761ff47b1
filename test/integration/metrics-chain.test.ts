// The metrics rollup chain on the real stack: the topology files of topologies/ (with this test's own application
// ids and topics) turn OTLP metric records of every type into otlp.rollup.1m and, from those, otlp.rollup.5m. Both
// topics, read back through the schema registry's own client, equal brute force over the raw points; otlp.series
// holds each series once with its identity.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { encodeMetrics, type Metric, type MetricPoint, type Resource, type Scope } from '../../src/otlp/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';
import { seededRandom } from '../helpers/workers.ts';

const MINUTE = 60_000;
// Recent event times: the rollup topics keep records by time, and a week-old record would be deleted at once.
const BASE = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
const PARTITIONS = 2;
const HOSTS = ['a', 'b', 'c', 'd'];
const scope: Scope = { name: 'chain-test', version: '1', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
const metric = (name: string, type: Metric['type'], aggregationTemporality: number, isMonotonic: boolean): Metric => ({ name, description: name, unit: '1', type, aggregationTemporality, isMonotonic, metadata: [] });
const CPU = metric('chain.cpu', 'gauge', 0, false);
const REQUESTS = metric('chain.requests', 'sum', 2, true);
const BYTES = metric('chain.bytes', 'sum', 1, true);
const LATENCY = metric('chain.latency', 'histogram', 1, false);
const BOUNDS = [10, 100];

interface Sent {
  tenant: string;
  host: string;
  point: MetricPoint;
}

/** Every host's points, every 10 s for 12 minutes, then one gauge point at minute 20 that closes the windows. */
function traffic(): { records: { partition: number; tenant: string; value: Buffer; timeMs: number }[]; sent: Sent[] } {
  const random = seededRandom(7);
  const records: { partition: number; tenant: string; value: Buffer; timeMs: number }[] = [];
  const sent: Sent[] = [];
  for (const [h, host] of HOSTS.entries()) {
    const tenant = h < 2 ? '' : 'acme';
    const resource: Resource = { attributes: [{ key: 'host.name', type: 'string', value: host }], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
    const base = { resource, scope, attributes: [], startTimeMs: BASE, startTimeNanos: 0, timeNanos: 0, flags: 0, exemplars: [] };
    let counter = 0;
    const times = [...Array.from({ length: 72 }, (_, i) => BASE + i * 10_000 + h * 7), BASE + 20 * MINUTE];
    for (const [i, timeMs] of times.entries()) {
      const closing = i === times.length - 1;
      // Quarters add up exactly, so a plain sum is the brute force.
      const gauge: MetricPoint = { ...base, timeMs, metric: CPU, type: 'gauge', valueType: 'double', value: Math.floor(random() * 400) / 4 };
      counter = i === 40 && h === 1 ? 3 : counter + Math.floor(random() * 10);
      const points: MetricPoint[] = closing
        ? [gauge]
        : [
            gauge,
            { ...base, timeMs, metric: REQUESTS, type: 'sum', valueType: 'int', value: counter },
            { ...base, timeMs, metric: BYTES, type: 'sum', valueType: 'int', value: Math.floor(random() * 1000) },
            { ...base, timeMs, metric: LATENCY, type: 'histogram', count: 3, sum: 505, bucketCounts: [1, 1, 1], explicitBounds: BOUNDS, min: 5, max: 450 },
          ];
      for (const point of points) sent.push({ tenant, host, point });
      records.push({ partition: h % PARTITIONS, tenant, value: encodeMetrics(points), timeMs });
    }
  }
  // In time order, as live exporters send: a partition's stream time is the largest event time it has seen.
  return { records: records.sort((x, y) => x.timeMs - y.timeMs), sent };
}

interface Expected {
  points?: number;
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  last?: number;
  increase?: number;
  buckets?: number[];
}

/** Brute force per series and window of `size`, for windows that end by `until`. */
function oracle(sent: Sent[], size: number, until: number): Map<string, Expected> {
  const groups = new Map<string, Sent[]>();
  for (const s of sent) {
    const start = Math.floor(s.point.timeMs / size) * size;
    if (start + size > until) continue;
    const id = `${s.tenant}|${s.point.metric.name}|${s.host}|${start}`;
    groups.set(id, [...(groups.get(id) ?? []), s]);
  }
  const out = new Map<string, Expected>();
  for (const [id, group] of groups) {
    const points = group.map((g) => g.point);
    const values = points.map((p) => Number((p as { value: number }).value));
    switch (points[0].metric.name) {
      case CPU.name:
        out.set(id, { points: points.length, count: points.length, sum: values.reduce((a, b) => a + b, 0), min: Math.min(...values), max: Math.max(...values), last: values.at(-1) });
        break;
      case REQUESTS.name: {
        // Increase between consecutive points of the window; after a drop (a reset) the new value counts whole.
        let increase = 0;
        for (let i = 1; i < values.length; i++) increase += values[i] >= values[i - 1] ? values[i] - values[i - 1] : values[i];
        out.set(id, { points: points.length, increase, last: values.at(-1) });
        break;
      }
      case BYTES.name:
        out.set(id, { points: points.length, sum: values.reduce((a, b) => a + b, 0) });
        break;
      case LATENCY.name:
        out.set(id, { count: 3 * points.length, sum: 505 * points.length, min: 5, max: 450, buckets: [points.length, points.length, points.length] });
        break;
    }
  }
  return out;
}

interface DecodedRollup {
  series: string;
  identity: { tenant: string; name: string; resource: { key: string; value: { value: { string: string } } }[] };
  window_start: number;
  resolution: string;
  kind: string;
  points: number | null;
  count: number | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  last: number | null;
  increase: number | null;
  buckets: { bounds: number[]; counts: number[] } | null;
}

/** The topology file of topologies/ with this test's application id and topics; the 1m level's sink left out. */
function level(file: string, application: string, topics: { source: string; output: string; series?: string }) {
  const doc = parse(readFileSync(file, 'utf8')) as { application: string; source: { topic: string }; steps: Record<string, Record<string, unknown>>[] };
  doc.application = application;
  doc.source.topic = topics.source;
  doc.steps = doc.steps.filter((s) => !('sink' in s));
  for (const step of doc.steps) {
    if (step.to) step.to.topic = topics.output;
    if (step.series) step.series.topic = topics.series;
  }
  const loaded = parseTopology(JSON.stringify(doc), file);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.topology;
}

describe('metrics rollup chain (1m → 5m) on the real stack', () => {
  const workers: Worker[] = [];
  afterAll(async () => {
    for (const w of workers) await w.stop();
  });

  it('rollup topics equal brute force over the raw points, read through the schema registry', async () => {
    const client = kafka();
    const id = unique('chain');
    const topics = { input: `${id}.metrics`, rollup1m: `${id}.rollup.1m`, rollup5m: `${id}.rollup.5m`, series: `${id}.series` };
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.input, numPartitions: PARTITIONS }] });
    await admin.disconnect();

    const { records, sent } = traffic();
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: topics.input, acks: -1, messages: records.map((r) => ({ partition: r.partition, value: r.value, headers: r.tenant ? { tenant: r.tenant } : {} })) });
    await producer.disconnect();

    const config = resolveConfig([envLayer(stackSettings())]);
    const oneMinute = level('topologies/metrics-rollup.yaml', `${id}-1m`, { source: topics.input, output: topics.rollup1m, series: topics.series });
    const fiveMinutes = level('topologies/metrics-rollup-5m.yaml', `${id}-5m`, { source: topics.rollup1m, output: topics.rollup5m });
    for (const t of [oneMinute, fiveMinutes]) {
      const worker = new Worker({ topology: t, config });
      workers.push(worker);
      await worker.start();
    }

    const registry = new SchemaRegistry({ host: stackSettings().SCHEMA_REGISTRY_URL });
    const read = async (topic: string, count: number) => {
      const messages = await readTopic(client, topic, { count, timeoutMs: 90_000 });
      return Promise.all(messages.map(async (m) => ({ key: m.key!.toString(), tenant: m.headers?.tenant?.toString() ?? '', value: (await registry.decode(m.value!)) as DecodedRollup })));
    };
    const view = (rows: { value: DecodedRollup }[]) =>
      new Map(
        rows.map(({ value: r }) => {
          const host = r.identity.resource.find((a) => a.key === 'host.name')!.value.value.string;
          const got: Expected = {};
          for (const field of ['points', 'count', 'sum', 'min', 'max', 'last', 'increase'] as const) if (r[field] !== null) got[field] = r[field];
          if (r.buckets) got.buckets = r.buckets.counts;
          return [`${r.identity.tenant}|${r.identity.name}|${host}|${r.window_start}`, got];
        }),
      );
    const clean = (m: Map<string, Expected>) => new Map([...m].map(([k, v]) => [k, JSON.parse(JSON.stringify(v)) as Expected]));

    const expected1m = oracle(sent, MINUTE, BASE + 13 * MINUTE);
    const rows1m = await read(topics.rollup1m, expected1m.size);
    expect(clean(view(rows1m.filter((r) => r.value.window_start < BASE + 13 * MINUTE)))).toEqual(clean(expected1m));
    expect(new Set(rows1m.map((r) => r.value.resolution))).toEqual(new Set(['1m']));
    // A record names its tenant in its identity, its key and its headers.
    for (const { key, tenant, value } of rows1m) {
      expect(value.series).toBe(key);
      expect(value.identity.tenant).toBe(tenant);
    }

    const expected5m = oracle(sent, 5 * MINUTE, BASE + 10 * MINUTE);
    const rows5m = await read(topics.rollup5m, expected5m.size);
    expect(clean(view(rows5m))).toEqual(clean(expected5m));
    expect(rows5m.map((r) => r.value.kind).sort()).toEqual([...expected5m.keys()].map((k) => ({ [CPU.name]: 'GAUGE', [REQUESTS.name]: 'CUMULATIVE_SUM', [BYTES.name]: 'DELTA_SUM', [LATENCY.name]: 'HISTOGRAM' })[k.split('|')[1]]).sort());

    // One catalog record per series (4 hosts × 4 metrics), naming the series' first point.
    const series = await readTopic(client, topics.series, { count: 16, timeoutMs: 30_000 });
    const catalog = await Promise.all(series.map(async (m) => (await registry.decode(m.value!)) as { series: string; identity: { name: string }; first_seen: number }));
    expect(new Set(catalog.map((c) => c.series)).size).toBe(16);
    expect(new Set(rows1m.map((r) => r.key))).toEqual(new Set(catalog.map((c) => c.series)));
    for (const c of catalog) expect(c.first_seen).toBeLessThan(BASE + MINUTE);
  });
});
