// The metrics rollup chain on the real stack: the topology files of topologies/ (with this test's own application
// ids and topics) turn OTLP metric records of every type into otlp.rollup.1m and, from those, otlp.rollup.5m. Both
// topics, read back through the schema registry's own client, equal brute force over the raw points; otlp.series
// holds each series once with its identity.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { BYTES, chainLevel, chainOracle, chainTraffic, CPU, decodeRollups, LATENCY, MINUTE, recentBase, REQUESTS, rollupView } from '../fixtures/metricsChain.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';

const PARTITIONS = 2;

describe('metrics rollup chain (1m → 5m) on the real stack', () => {
  const workers: Worker[] = [];
  afterAll(async () => {
    for (const w of workers) await w.stop();
  });

  it('rollup topics equal brute force over the raw points, read through the schema registry', async () => {
    const startedAt = Date.now();
    const client = kafka();
    const id = unique('chain');
    const base = recentBase();
    const topics = { input: `${id}.metrics`, rollup1m: `${id}.rollup.1m`, rollup5m: `${id}.rollup.5m`, series: `${id}.series` };
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.input, numPartitions: PARTITIONS }] });
    await admin.disconnect();

    // 4 hosts × 16 minutes, then a point at minute 24 that closes the windows.
    const { records, sent } = chainTraffic({ base, hosts: 4, partitions: PARTITIONS, minutes: 16 });
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: topics.input, acks: -1, messages: records.map((r) => ({ partition: r.partition, value: r.value, headers: r.tenant ? { tenant: r.tenant } : {} })) });
    await producer.disconnect();

    const config = resolveConfig([envLayer(stackSettings())]);
    const oneMinute = chainLevel('topologies/metrics-rollup.yaml', `${id}-1m`, { source: topics.input, output: topics.rollup1m, series: topics.series });
    const fiveMinutes = chainLevel('topologies/metrics-rollup-5m.yaml', `${id}-5m`, { source: topics.rollup1m, output: topics.rollup5m });
    for (const t of [oneMinute, fiveMinutes]) {
      const worker = new Worker({ topology: t, config });
      workers.push(worker);
      await worker.start();
    }

    const registry = new SchemaRegistry({ host: stackSettings().SCHEMA_REGISTRY_URL });
    const read = async (topic: string, count: number) => {
      const messages = await readTopic(client, topic, { count, timeoutMs: 90_000 });
      // Dated when written, not at their window (hours ago): time retention must not delete a replay's results.
      for (const m of messages) expect(Number(m.timestamp)).toBeGreaterThanOrEqual(startedAt);
      return decodeRollups(registry, messages);
    };
    const clean = (m: Map<string, unknown>) => new Map([...m].map(([k, v]) => [k, JSON.parse(JSON.stringify(v)) as unknown]));

    const expected1m = chainOracle(sent, MINUTE, base + 16 * MINUTE);
    const rows1m = await read(topics.rollup1m, expected1m.size);
    expect(clean(rollupView(rows1m))).toEqual(clean(expected1m));
    expect(new Set(rows1m.map((r) => r.value.resolution))).toEqual(new Set(['1m']));
    // A record names its tenant in its identity, its key and its headers.
    for (const { key, tenant, value } of rows1m) {
      expect(value.series).toBe(key);
      expect(value.identity.tenant).toBe(tenant);
    }

    // The 5m windows of minutes 0..9 close (grace 3m: [10m, 15m) waits for a 1m result of minute 18).
    const expected5m = chainOracle(sent, 5 * MINUTE, base + 10 * MINUTE);
    const rows5m = await read(topics.rollup5m, expected5m.size);
    expect(clean(rollupView(rows5m))).toEqual(clean(expected5m));
    const kinds: Record<string, string> = { [CPU.name]: 'GAUGE', [REQUESTS.name]: 'CUMULATIVE_SUM', [BYTES.name]: 'DELTA_SUM', [LATENCY.name]: 'HISTOGRAM' };
    expect(rows5m.map((r) => r.value.kind).sort()).toEqual([...expected5m.keys()].map((k) => kinds[k.split('|')[1]]).sort());

    // One catalog record per series (4 hosts × 4 metrics), naming the series' first point.
    const series = await readTopic(client, topics.series, { count: 16, timeoutMs: 30_000 });
    const catalog = await Promise.all(series.map(async (m) => (await registry.decode(m.value!)) as { series: string; identity: { name: string }; first_seen: number }));
    expect(new Set(catalog.map((c) => c.series)).size).toBe(16);
    expect(new Set(rows1m.map((r) => r.key))).toEqual(new Set(catalog.map((c) => c.series)));
    for (const c of catalog) expect(c.first_seen).toBeLessThan(base + MINUTE);
  });
});
