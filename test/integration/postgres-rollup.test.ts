// The postgres_rollup sink on the real stack: rollup records of a level (made here from the chain's test traffic)
// → the sink topology → the series table and the level's table equal the records; a replay through COPY leaves
// them unchanged; a row PostgreSQL refuses lands in the dead-letter topic; the documented queries answer like a
// brute force over the records; retention drops exactly the expired partitions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig, type Config } from '../../src/config/index.ts';
import { DLQ_HEADERS, DLQ_TOPIC } from '../../src/dlq/index.ts';
import { metricAggregator, rollupCodec, toRollupRecord, type MetricPartial, type RollupRecord } from '../../src/operators/metrics/index.ts';
import { idOf, seriesId, tenantKey, tenantOf } from '../../src/otlp/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { dropExpiredPartitions, partitionOf } from '../../src/sinks/postgres/rollupTables.ts';
import { SINK_HEADER } from '../../src/sinks/util/index.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { chainTraffic, MINUTE, recentBase } from '../fixtures/metricsChain.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';
import { waitForAllCommitted } from '../helpers/workers.ts';

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Made {
  key: string;
  record: RollupRecord;
}

/** The 1m rollup records of the chain traffic, made with the metric aggregate directly: the sink's input and oracle. */
function rollupRecords(base: number): Made[] {
  const { sent } = chainTraffic({ base, hosts: 4, partitions: 2, minutes: 5 });
  const aggregator = metricAggregator();
  const partials = new Map<string, { key: string; start: number; partial: MetricPartial }>();
  for (const { tenant, point } of sent) {
    const key = tenantKey(tenant || undefined, seriesId(point));
    const start = Math.floor(point.timeMs / MINUTE) * MINUTE;
    const slot = `${key}/${start}`;
    const at = partials.get(slot) ?? { key, start, partial: aggregator.init() };
    at.partial = aggregator.add(at.partial, point, point.timeMs);
    partials.set(slot, at);
  }
  return [...partials.values()]
    .sort((a, b) => a.start - b.start)
    .map(({ key, start, partial }) => ({ key, record: toRollupRecord({ kind: 'window', key, window: { start, end: start + MINUTE }, aggregate: partial, final: true, streamTime: start })! }));
}

const nullable = (u: { double: number } | { long: number } | null) => (u === null ? null : Object.values(u)[0]);

describe('postgres_rollup sink', () => {
  const workers: Worker[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  let config: Config;
  afterAll(async () => {
    for (const w of workers) await w.stop();
    for (const c of cleanups.reverse()) await c();
  });
  beforeAll(() => {
    config = resolveConfig([envLayer(stackSettings())]);
  });

  async function runSink(id: string, topic: string, schema: string, method: 'upsert' | 'copy') {
    const yaml = `
application: ${id}
source: { type: otlp_rollup, topic: ${topic} }
steps:
  - sink: { type: postgres_rollup, resolution: 1m, table: ${schema}.rollup_1m, series_table: ${schema}.otlp_series, method: ${method}, retention: forever }
`;
    const loaded = parseTopology(yaml, `${id}.yaml`);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const worker = new Worker({ topology: loaded.topology, config, commitIntervalMs: 200 });
    workers.push(worker);
    await worker.start();
    return worker;
  }

  it('writes what the records hold, a replay through COPY changes nothing, and a refused row is a dead letter', async () => {
    const client = kafka();
    const id = unique('pgrollup');
    const topic = `${id}.rollup.1m`;
    const { pool, schema, drop } = await pgSchema();
    cleanups.push(drop);
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
    await admin.disconnect();

    const base = recentBase();
    const made = rollupRecords(base);
    // One record PostgreSQL refuses: a metric name with a NUL character (SQLSTATE 22021 for text).
    const poison = structuredClone(made[0]);
    poison.record.identity.name = 'bad\u0000name';
    poison.record.partial = made[0].record.partial;
    poison.record.series = poison.key = `${made[0].key}-poison`;
    const codec = rollupCodec(topic);
    await codec.prepare(config);
    const producer = client.producer();
    await producer.connect();
    const partitionOfKey = new Map<string, number>();
    const all = [...made, poison];
    await producer.send({
      topic,
      messages: all.map((m) => {
        if (!partitionOfKey.has(m.key)) partitionOfKey.set(m.key, partitionOfKey.size % 2);
        return { key: m.key, partition: partitionOfKey.get(m.key), value: codec.encode(m.record), timestamp: String(Date.now()) };
      }),
    });
    await producer.disconnect();

    const table = async () =>
      (
        await pool.query<Record<string, unknown>>(
          `SELECT tenant, series, extract(epoch FROM window_start) * 1000 AS start, extract(epoch FROM window_end) * 1000 AS end, kind, points, count, sum, min, max, avg, last, increase, rate, resets, quantiles, buckets FROM rollup_1m ORDER BY tenant, series, window_start`,
        )
      ).rows.map((r) => ({ ...r, start: Number(r.start), end: Number(r.end), points: r.points === null ? null : Number(r.points), count: r.count === null ? null : Number(r.count), resets: r.resets === null ? null : Number(r.resets) }));
    const expected = made
      .map(({ key, record: r }) => ({
        tenant: tenantOf(key) ?? '',
        series: idOf(key),
        start: r.window_start,
        end: r.window_end,
        kind: r.kind.toLowerCase().replace(/_(.)/g, (_m, c: string) => c.toUpperCase()),
        points: nullable(r.points),
        count: nullable(r.count),
        sum: nullable(r.sum),
        min: nullable(r.min),
        max: nullable(r.max),
        avg: nullable(r.avg),
        last: nullable(r.last),
        increase: nullable(r.increase),
        rate: nullable(r.rate),
        resets: nullable(r.resets),
        quantiles: r.quantiles.length === 0 ? null : Object.fromEntries(r.quantiles.map((q) => [String(q.quantile), q.value])),
        buckets: r.buckets === null ? null : r.buckets['otlp_streams.ExplicitBuckets'],
      }))
      .sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : a.series < b.series ? -1 : a.series > b.series ? 1 : a.start - b.start));

    await runSink(`${id}-upsert`, topic, schema, 'upsert');
    let rows: Awaited<ReturnType<typeof table>> = [];
    for (const until = Date.now() + 60_000; Date.now() < until && rows.length < expected.length; await sleep(300)) rows = await table().catch(() => []);
    expect(rows).toEqual(expected);

    const series = (await pool.query('SELECT tenant, series, name, type, unit, resource, extract(epoch FROM first_window) * 1000 AS first, extract(epoch FROM last_window) * 1000 AS last FROM otlp_series ORDER BY tenant, series')).rows;
    const bySeries = new Map<string, { tenant: string; series: string; name: string; type: string; unit: string; resource: unknown; first: number; last: number }>();
    for (const { key, record: r } of made) {
      const at = bySeries.get(key);
      if (at) at.last = Math.max(at.last, r.window_start);
      else {
        const host = r.identity.resource.find((a) => a.key === 'host.name')!.value.value as { string: string };
        bySeries.set(key, { tenant: tenantOf(key) ?? '', series: idOf(key), name: r.identity.name, type: r.identity.type.toLowerCase(), unit: r.identity.unit, resource: { 'host.name': host.string }, first: r.window_start, last: r.window_start });
      }
    }
    // first_window is exact; last_window is refreshed once it moved an hour past what is stored, so it may trail.
    const bySeriesSorted = [...bySeries.values()].sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : a.series < b.series ? -1 : 1));
    expect(series.map((s) => ({ ...s, first: Number(s.first), last: undefined }))).toEqual(bySeriesSorted.map((s) => ({ ...s, last: undefined })));
    for (const [i, s] of series.entries()) {
      expect(Number(s.last)).toBeLessThanOrEqual(bySeriesSorted[i].last);
      expect(Number(s.last)).toBeGreaterThan(bySeriesSorted[i].last - 3_600_000);
    }

    // The refused row: a dead letter with PostgreSQL's answer; every other row landed (checked above).
    await waitForAllCommitted(client, `${id}-upsert`, topic, []);
    const dead = (await readTopic(client, DLQ_TOPIC, { quietMs: 2000 })).filter(
      (m) => m.headers?.[SINK_HEADER]?.toString() === `${schema}.rollup_1m` && m.value?.toString().includes('-poison'),
    );
    expect(dead).toHaveLength(1);
    expect(dead[0].headers?.[DLQ_HEADERS.error]?.toString()).toMatch(/22021|invalid byte sequence|0x00/);

    // The documented query: a metric by name and resource label over a time range (docs/sinks.md), against brute force.
    const cpu = (
      await pool.query(
        `SELECT extract(epoch FROM r.window_start) * 1000 AS start, r.avg, r.max
           FROM rollup_1m r JOIN otlp_series s USING (tenant, series)
          WHERE s.tenant = '' AND s.name = 'chain.cpu' AND s.resource @> '{"host.name": "host-1"}'
            AND r.window_start >= to_timestamp($1 / 1000.0) AND r.window_start < to_timestamp($2 / 1000.0)
          ORDER BY r.window_start`,
        [base + MINUTE, base + 4 * MINUTE],
      )
    ).rows.map((r) => ({ start: Number(r.start), avg: r.avg as number, max: r.max as number }));
    const brute = made
      .filter(({ record: r }) => r.identity.tenant === '' && r.identity.name === 'chain.cpu' && JSON.stringify(r.identity.resource).includes('"host-1"') && r.window_start >= base + MINUTE && r.window_start < base + 4 * MINUTE)
      .map(({ record: r }) => ({ start: r.window_start, avg: nullable(r.avg), max: nullable(r.max) }));
    expect(cpu).toEqual(brute);
    expect(cpu).toHaveLength(3);

    // Replay: another group reads the topic from the start and writes the same rows through COPY + merge.
    const before = await table();
    await runSink(`${id}-copy`, topic, schema, 'copy');
    await waitForAllCommitted(client, `${id}-copy`, topic, [], 60_000);
    expect(await table()).toEqual(before);
  });

  it('retention drops exactly the partitions whose windows all ended before the cutoff', async () => {
    const { pool, schema, drop } = await pgSchema();
    cleanups.push(drop);
    const table = `${schema}.rollup_1m`;
    await pool.query(`CREATE TABLE ${table} (tenant text, series text, window_start timestamptz NOT NULL, PRIMARY KEY (tenant, series, window_start)) PARTITION BY RANGE (window_start)`);
    const today = Math.floor(Date.now() / DAY) * DAY;
    const made: string[] = [];
    for (let d = -10; d <= 1; d++) {
      const p = partitionOf(table, today + d * DAY, DAY);
      await pool.query(`CREATE TABLE ${p.name} PARTITION OF ${table} FOR VALUES FROM ('${new Date(p.from).toISOString()}') TO ('${new Date(p.to).toISOString()}')`);
      made.push(p.name);
    }
    // Cutoff in the middle of day -3: days -10..-4 ended before it; day -3 still holds windows after it.
    const cutoff = today - 3 * DAY + 12 * 3_600_000;
    const dropped = await dropExpiredPartitions(pool, table, cutoff);
    expect(dropped.sort()).toEqual(made.slice(0, 7).sort());
    const left = (await pool.query(`SELECT n.nspname || '.' || c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.inhparent = $1::regclass ORDER BY 1`, [table])).rows.map((r) => r.name as string);
    expect(left).toEqual(made.slice(7).sort());
  });
});
