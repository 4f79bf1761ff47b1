// The Parquet sink on the real stack: the metrics chain's 1m rollups (topologies/metrics-rollup.yaml) read by a copy of
// topologies/sink-parquet.yaml into hourly Parquet files, read back by an independent reader (DuckDB's own Parquet
// reader, through its Node bindings) equal brute force over the raw points; a replay of the same records by the
// sink's consumer group (offsets reset to the start) leaves the same rows, none twice.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { duckdbRows } from '../../src/sinks/parquet/testing.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { chainLevel, chainOracle, chainTraffic, MINUTE, recentBase, type Expected } from '../fixtures/metricsChain.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';
import { waitForAllCommitted } from '../helpers/workers.ts';

const PARTITIONS = 2;

/** topologies/sink-parquet.yaml with this test's application, topic and directory, at the 1m level. */
function sinkTopology(application: string, topic: string, dir: string) {
  const doc = parse(readFileSync('topologies/sink-parquet.yaml', 'utf8')) as { application: string; source: { topic: string }; steps: { sink: Record<string, unknown> }[] };
  doc.application = application;
  doc.source.topic = topic;
  Object.assign(doc.steps[0].sink, { dir, resolution: '1m' });
  const loaded = parseTopology(stringify(doc), 'sink-parquet.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.topology;
}

/** The files' rows in the oracle's shape, by "tenant|metric|host|window start"; throws on a row seen twice. */
async function filesView(root: string): Promise<Map<string, Expected>> {
  const rows = await duckdbRows(`
    SELECT tenant, metric, resource['host.name'] AS host, epoch_ms(window_start) AS start, epoch_ms(window_end) - epoch_ms(window_start) AS size,
           points, count, sum, min, max, last, increase, bucket_counts, dt, hour
    FROM read_parquet('${root}/**/*.parquet', hive_partitioning = true)`);
  const out = new Map<string, Expected>();
  for (const r of rows) {
    expect(r.size).toBe(String(MINUTE));
    const start = Number(r.start);
    // Each row lies in the hour directory of its window start.
    expect(`${r.dt as string} ${r.hour as string}`).toBe(new Date(start).toISOString().slice(0, 13).replace('T', ' '));
    const id = `${r.tenant as string}|${r.metric as string}|${r.host as string}|${start}`;
    if (out.has(id)) throw new Error(`two rows for ${id}`);
    const got: Expected = {};
    for (const field of ['points', 'count', 'sum', 'min', 'max', 'last', 'increase'] as const) if (r[field] !== null) got[field] = Number(r[field]);
    if (r.bucket_counts !== null) got.buckets = (r.bucket_counts as string[]).map(Number);
    out.set(id, got);
  }
  return out;
}

describe('parquet sink on the real stack', () => {
  const workers: Worker[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'parquet-it-'));
  afterAll(async () => {
    for (const w of workers) await w.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('files read back by DuckDB equal the rollups; a replay leaves the same rows', async () => {
    const client = kafka();
    const id = unique('parquet');
    const topics = { input: `${id}.metrics`, rollup1m: `${id}.rollup.1m`, series: `${id}.series` };
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.input, numPartitions: PARTITIONS }] });

    const base = recentBase();
    const { records, sent } = chainTraffic({ base, hosts: 4, partitions: PARTITIONS, minutes: 16 });
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: topics.input, acks: -1, messages: records.map((r) => ({ partition: r.partition, value: r.value, headers: r.tenant ? { tenant: r.tenant } : {} })) });
    await producer.disconnect();

    const config = resolveConfig([envLayer(stackSettings())]);
    const start = async (t: ReturnType<typeof sinkTopology>) => {
      const worker = new Worker({ topology: t, config });
      workers.push(worker);
      await worker.start();
      return worker;
    };
    await start(chainLevel('topologies/metrics-rollup.yaml', `${id}-1m`, { source: topics.input, output: topics.rollup1m, series: topics.series }));
    const expected = chainOracle(sent, MINUTE, base + 16 * MINUTE);
    // Every 1m rollup is on its topic (the level commits them in transactions; the reader reads committed records).
    await readTopic(client, topics.rollup1m, { count: expected.size, timeoutMs: 90_000 });

    const application = `${id}-pq`;
    const root = join(dir, '1m');
    const sink = await start(sinkTopology(application, topics.rollup1m, dir));
    await waitForAllCommitted(client, application, topics.rollup1m, [], 90_000);
    const clean = (m: Map<string, unknown>) => new Map([...m].map(([k, v]) => [k, JSON.parse(JSON.stringify(v)) as unknown]));
    const first = await filesView(root);
    expect(clean(first)).toEqual(clean(expected));
    const files = readdirSync(root, { recursive: true }).map(String).filter((f) => f.endsWith('.parquet'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f).toMatch(/^tenant=(acme)?\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/part-[01]-\d+-\d+\.parquet$/);

    // Replay: the sink's group starts over from the first record; the new member rewrites the files.
    await sink.stop();
    await admin.resetOffsets({ groupId: application, topic: topics.rollup1m, earliest: true });
    const [reset] = await admin.fetchOffsets({ groupId: application, topics: [topics.rollup1m] });
    expect(reset.partitions.every((p) => BigInt(p.offset) <= 0n)).toBe(true);
    await start(sinkTopology(application, topics.rollup1m, dir));
    await waitForAllCommitted(client, application, topics.rollup1m, [], 90_000);
    expect(clean(await filesView(root))).toEqual(clean(expected));
    await admin.disconnect();
  });
});
