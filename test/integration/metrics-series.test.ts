// The series step on the real stack: a metric's series past its limit fold into the otel.metric.overflow=true series
// (counted in the rollup like any series), a series gone stale frees its slot, and otlp.series names every series.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { encodeMetrics, type MetricPoint, type Resource, type Scope } from '../../src/otlp/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';

const MINUTE = 60_000;
const BASE = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
const resource: Resource = { attributes: [{ key: 'service.name', type: 'string', value: 'cart' }], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
const scope: Scope = { name: 'series-test', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

function gauge(name: string, host: string, timeMs: number, value: number): MetricPoint {
  const metric = { name, description: '', unit: '1', type: 'gauge' as const, aggregationTemporality: 0, isMonotonic: false, metadata: [] };
  return { resource, scope, metric, attributes: [{ key: 'host', type: 'string', value: host }], startTimeMs: 0, startTimeNanos: 0, timeMs, timeNanos: 0, flags: 0, type: 'gauge', valueType: 'double', value, exemplars: [] };
}

interface Row {
  series: string;
  identity: { name: string; attributes: { key: string; value: { value: Record<string, unknown> } }[] };
  window_start: number;
  count: number;
  sum: number;
  overflow: boolean;
}

const label = (r: Pick<Row, 'identity'>) => r.identity.attributes.map((a) => `${a.key}=${Object.values(a.value.value)[0] as string}`).join(',');

describe('series step: catalog, cardinality limit, staleness', () => {
  const workers: Worker[] = [];
  afterAll(async () => {
    for (const w of workers) await w.stop();
  });

  it('folds series past the limit into the overflow series and frees the slots of stale series', async () => {
    const client = kafka();
    const id = unique('series');
    const topics = { input: `${id}.metrics`, rollup: `${id}.rollup.1m`, series: `${id}.series` };
    const yaml = `
application: ${id}
source: { type: otlp_metrics, topic: ${topics.input} }
steps:
  - series: { topic: ${topics.series}, max_series_per_metric: 3, staleness: 3m, refresh: 30s }
  - window: { type: tumbling, size: 1m }
  - aggregate: { function: metric, quantiles: [] }
  - to: { topic: ${topics.rollup}, partition: input }
`;
    const loaded = parseTopology(yaml, 'series.yaml');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.input, numPartitions: 1 }] });
    await admin.disconnect();

    // Minute 0: five hosts of `load` (h1..h3 fit, h4 and h5 overflow) and one of `other`.
    // Minutes 1..5: only `other` (h1..h3 go stale after 3m). Minute 6: h6..h8 of `load` take the freed slots.
    const batches: MetricPoint[][] = [
      ['h1', 'h2', 'h3', 'h4', 'h5'].map((h, i) => gauge('load', h, BASE + 1000 * i, i + 1)),
      [gauge('other', 'x', BASE + 10_000, 1), gauge('load', 'h4', BASE + 20_000, 10)],
      ...[1, 2, 3, 4, 5].map((m) => [gauge('other', 'x', BASE + m * MINUTE, m)]),
      ['h6', 'h7', 'h8'].map((h, i) => gauge('load', h, BASE + 6 * MINUTE + i, 100 + i)),
      [gauge('other', 'x', BASE + 10 * MINUTE, 0)],
    ];
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: topics.input, acks: -1, messages: batches.map((points) => ({ partition: 0, value: encodeMetrics(points) })) });
    await producer.disconnect();

    const worker = new Worker({ topology: loaded.topology, config: resolveConfig([envLayer(stackSettings())]) });
    workers.push(worker);
    await worker.start();

    const registry = new SchemaRegistry({ host: stackSettings().SCHEMA_REGISTRY_URL });
    // Windows of minutes 0..6 close: load (4 series in minute 0, 3 in minute 6) and other (minutes 0..5).
    const rollups = await Promise.all((await readTopic(client, topics.rollup, { count: 13, timeoutMs: 60_000 })).map(async (m) => (await registry.decode(m.value!)) as Row));
    const load = rollups.filter((r) => r.identity.name === 'load').map((r) => ({ minute: (r.window_start - BASE) / MINUTE, label: label(r), count: r.count, sum: r.sum, overflow: r.overflow }));
    expect(load.sort((a, b) => a.minute - b.minute || a.label.localeCompare(b.label))).toEqual([
      { minute: 0, label: 'host=h1', count: 1, sum: 1, overflow: false },
      { minute: 0, label: 'host=h2', count: 1, sum: 2, overflow: false },
      { minute: 0, label: 'host=h3', count: 1, sum: 3, overflow: false },
      // h4 (twice) and h5, folded together.
      { minute: 0, label: 'otel.metric.overflow=true', count: 3, sum: 4 + 5 + 10, overflow: true },
      { minute: 6, label: 'host=h6', count: 1, sum: 100, overflow: false },
      { minute: 6, label: 'host=h7', count: 1, sum: 101, overflow: false },
      { minute: 6, label: 'host=h8', count: 1, sum: 102, overflow: false },
    ]);
    expect(rollups.filter((r) => r.identity.name === 'other').length).toBe(6);

    // The catalog: each series once when first seen (refreshes come only for series alive longer than 30s: other).
    const catalog = await Promise.all((await readTopic(client, topics.series, { quietMs: 3000 })).map(async (m) => ({ key: m.key!.toString(), value: (await registry.decode(m.value!)) as Row & { first_seen: number; last_seen: number } })));
    const firstRecords = new Map<string, string>();
    for (const c of catalog) if (!firstRecords.has(c.key)) firstRecords.set(c.key, `${c.value.identity.name}:${label(c.value)}`);
    expect([...firstRecords.values()].sort()).toEqual(['load:host=h1', 'load:host=h2', 'load:host=h3', 'load:host=h6', 'load:host=h7', 'load:host=h8', 'load:otel.metric.overflow=true', 'other:host=x']);
    const other = catalog.filter((c) => c.value.identity.name === 'other');
    expect(other.at(-1)!.value.last_seen).toBeGreaterThan(other[0].value.first_seen);
    for (const c of catalog) expect(c.key).toBe(c.value.series);
  });
});

describe('metric aggregate into PostgreSQL', () => {
  it('writes one row per series and minute, NULL where a kind has no value', async () => {
    const client = kafka();
    const id = unique('mpg');
    const { pool, schema, drop } = await pgSchema();
    const workers: Worker[] = [];
    try {
      const input = `${id}.metrics`;
      const yaml = `
application: ${id}
source: { type: otlp_metrics, topic: ${input} }
steps:
  - window: { type: tumbling, size: 1m }
  - aggregate: { function: metric }
  - sink: { type: postgres, table: ${schema}.rollup_1m }
`;
      const loaded = parseTopology(yaml, 'pg.yaml');
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
      const admin = client.admin();
      await admin.connect();
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 1 }] });
      await admin.disconnect();
      const metric = (name: string, type: 'sum' | 'histogram', temporality: number) => ({ name, description: '', unit: '1', type, aggregationTemporality: temporality, isMonotonic: true, metadata: [] });
      const base = { resource, scope, attributes: [], startTimeMs: BASE - 1, startTimeNanos: 0, timeNanos: 0, flags: 0, exemplars: [] };
      const points: MetricPoint[] = [
        gauge('temp', 'a', BASE + 1_000, 3),
        gauge('temp', 'a', BASE + 2_000, 5),
        { ...base, metric: metric('requests', 'sum', 2), type: 'sum', valueType: 'int', value: 10, timeMs: BASE + 1_000 },
        { ...base, metric: metric('requests', 'sum', 2), type: 'sum', valueType: 'int', value: 16, timeMs: BASE + 31_000 },
        { ...base, metric: metric('latency', 'histogram', 1), type: 'histogram', count: 2, sum: 7, bucketCounts: [1, 1], explicitBounds: [5], min: 2, max: 5, timeMs: BASE + 5_000 },
      ];
      const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({ topic: input, acks: -1, messages: [{ partition: 0, value: encodeMetrics(points) }, { partition: 0, value: encodeMetrics([gauge('temp', 'a', BASE + 5 * MINUTE, 0)]) }] });
      await producer.disconnect();
      const worker = new Worker({ topology: loaded.topology, config: resolveConfig([envLayer(stackSettings())]) });
      workers.push(worker);
      await worker.start();

      let rows: Record<string, unknown>[] = [];
      for (const until = Date.now() + 60_000; rows.length < 3 && Date.now() < until; await new Promise((r) => setTimeout(r, 300))) {
        rows = (await pool.query(`SELECT points, count, sum, min, max, last, increase FROM ${schema}.rollup_1m WHERE window_start = $1 ORDER BY sum NULLS FIRST`, [BASE]).catch(() => ({ rows: [] }))).rows;
      }
      const numbers = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : Number(v)]));
      expect(rows.map(numbers)).toEqual([
        { points: 2, count: null, sum: null, min: null, max: null, last: 16, increase: 6 },
        { points: null, count: 2, sum: 7, min: 2, max: 5, last: null, increase: null },
        { points: 2, count: 2, sum: 8, min: 3, max: 5, last: 5, increase: null },
      ]);
    } finally {
      for (const w of workers) await w.stop();
      await drop();
    }
  });
});
