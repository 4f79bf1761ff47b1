// The compress topology on the real stack: the chain's test traffic → chunks per series and block on a compacted
// topic; `readSeriesPoints` (the `chunks` command) gives back every gauge and sum point bit for bit, a point for a
// closed block goes to the late topic, and blocks past the retention get tombstones.
import { afterAll, describe, expect, it } from 'vitest';
import { readSeriesPoints } from '../../src/cli/chunks.ts';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { chunkCodec } from '../../src/operators/compress.ts';
import { encodeMetrics, seriesId, tenantKey } from '../../src/otlp/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { chainTraffic, CPU, MINUTE, recentBase } from '../fixtures/metricsChain.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';
import { waitForAllCommitted } from '../helpers/workers.ts';

const BLOCK = 10 * MINUTE;
const bits = (v: number) => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  return view.getBigUint64(0).toString(16);
};

describe('compress topology', () => {
  const workers: Worker[] = [];
  afterAll(async () => {
    for (const w of workers) await w.stop();
  });

  it('writes every gauge and sum point into chunks that read back bit-exactly; late points and expired blocks are handled', async () => {
    const client = kafka();
    const config = resolveConfig([envLayer(stackSettings())]);
    const id = unique('compress');
    const topics = { input: `${id}.metrics`, chunks: `${id}.chunks`, late: `${id}.late` };
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.input, numPartitions: 2 }] });
    await admin.disconnect();

    // 25 minutes of points every 10 s, and a closing gauge at minute 33: blocks 0-10, 10-20 and 20-30 close.
    const base = recentBase();
    const { records, sent } = chainTraffic({ base, hosts: 4, partitions: 2, minutes: 25 });
    // One late point: a gauge for the first block, sent after stream time passed its end + grace.
    const late = sent.find((s) => s.point.metric.name === CPU.name)!;
    const latePoint = { ...late.point, timeMs: base + 5 * MINUTE, value: 12.5 };
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: topics.input, acks: -1, messages: records.map((r) => ({ partition: r.partition, value: r.value, headers: r.tenant ? { tenant: r.tenant } : {} })) });
    await producer.send({ topic: topics.input, acks: -1, messages: [{ partition: 0, value: encodeMetrics([latePoint]), headers: late.tenant ? { tenant: late.tenant } : {} }] });
    await producer.disconnect();

    const yaml = `
application: ${id}
source: { type: otlp_metrics, topic: ${topics.input} }
steps:
  - compress: { topic: ${topics.chunks}, block: 10m, grace: 1m, retention: forever, late_topic: ${topics.late} }
`;
    const loaded = parseTopology(yaml, `${id}.yaml`);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const worker = new Worker({ topology: loaded.topology, config, commitIntervalMs: 200 });
    workers.push(worker);
    await worker.start();
    await waitForAllCommitted(client, id, topics.input, []);

    // Brute force: the gauge and sum points of closed blocks, per series key, in the order sent.
    const expected = new Map<string, { time: number; value: string }[]>();
    for (const { tenant, point } of sent) {
      if (point.type !== 'gauge' && point.type !== 'sum') continue;
      if (Math.floor(point.timeMs / BLOCK) * BLOCK + BLOCK + MINUTE > base + 33 * MINUTE) continue;
      const key = tenantKey(tenant || undefined, seriesId(point));
      expected.set(key, [...(expected.get(key) ?? []), { time: point.timeMs, value: bits(Number(point.value)) }]);
    }
    expect(expected.size).toBe(4 * 3);
    for (const [series, points] of expected) {
      const read = await readSeriesPoints(client, config, topics.chunks, series);
      expect(read.map((p) => ({ time: p.time, value: bits(p.value) })), series).toEqual(points);
    }

    // One chunk per series and closed block, each a registered Chunk record; the late point on the late topic.
    const codec = chunkCodec(topics.chunks);
    await codec.prepare(config);
    const chunks = (await readTopic(client, topics.chunks, { quietMs: 2000 })).map((m) => ({ key: m.key!.toString(), record: codec.decode(m.value!) }));
    expect(chunks).toHaveLength(expected.size * 3); // the closing gauges. block 30-40 stays open
    for (const { key, record } of chunks) expect(key).toBe(`${record.series}@${record.block_start}`);
    const lateRecords = await readTopic(client, topics.late, { count: 1, timeoutMs: 30_000 });
    expect(lateRecords.map((m) => m.headers?.['late.reason']?.toString())).toEqual(['block closed']);

    // Retention 15m: at stream time 33m, the block that ended at 10m is 23m old and gets tombstones; the others stay.
    const kept = `${id}-kept`;
    const retained = parseTopology(yaml.replace(`application: ${id}`, `application: ${kept}`).replace(topics.chunks, `${topics.chunks}.kept`).replace('retention: forever', 'retention: 15m'), `${kept}.yaml`);
    if (!retained.ok) throw new Error(JSON.stringify(retained.problems));
    const keeper = new Worker({ topology: retained.topology, config, commitIntervalMs: 200 });
    workers.push(keeper);
    await keeper.start();
    await waitForAllCommitted(client, kept, topics.input, []);
    const tombstones = (await readTopic(client, `${topics.chunks}.kept`, { quietMs: 2000 })).filter((m) => m.value === null).map((m) => m.key!.toString());
    expect(tombstones.sort()).toEqual([...expected.keys()].map((series) => `${series}@${base}`).sort());
    for (const [series, points] of expected) {
      const read = await readSeriesPoints(client, config, `${topics.chunks}.kept`, series);
      expect(read.map((p) => ({ time: p.time, value: bits(p.value) })), series).toEqual(points.filter((p) => p.time >= base + BLOCK));
    }
  });
});
