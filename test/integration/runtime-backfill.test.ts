// A live run over a range, then backfills of the same input: one by Kafka record time into a fresh table, whose rows
// equal the live run's, one by event time. Their outputs, late records and dead letters go to topics of their own:
// the live topics are left as the live run wrote them.
import { describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { DLQ_HEADERS, DLQ_TOPIC } from '../../src/dlq/index.ts';
import { backfill, Worker, type BackfillProgress } from '../../src/runtime/index.ts';
import { countingInput, countingOracle, countingTopology, KEEP_RECORDS, WINDOW_MS, type InputRecord } from '../fixtures/counting.ts';
import { readTopic } from '../helpers/consume.ts';
import { produceRecords } from '../helpers/produce.ts';
import { createTopic, kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';

async function waitForRows(query: () => Promise<number>, want: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await query()) < want) await new Promise((r) => setTimeout(r, 250));
}

/** End offsets of a topic, per partition. */
async function ends(topic: string): Promise<Record<number, string>> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
  } finally {
    await admin.disconnect();
  }
}

/** Creates `topic` keeping its records: window results carry their window's start, past the broker's time retention. */
async function createKept(topic: string, numPartitions: number): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions, configEntries: KEEP_RECORDS }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

type Row = { key: string; window_start: number; count: number; sum: number };
const byKeyAndStart = (a: Row, b: Row) => a.key.localeCompare(b.key) || a.window_start - b.window_start;

/** Records on `topic` (read committed) whose dead-letter source is `source`, or all when no source is given. */
async function recordsOf(topic: string, source?: string) {
  const all = await readTopic(kafka(), topic, { quietMs: 2000, timeoutMs: 20_000 });
  return source === undefined ? all : all.filter((m) => m.headers?.[DLQ_HEADERS.sourceTopic]?.toString() === source);
}

describe('backfill', () => {
  it('replays a time range into another table with exactly the rows of the live run, writing Kafka records only to its own topics', async () => {
    const client = kafka();
    const input = await createTopic('bf-in', 3, KEEP_RECORDS);
    const output = await createTopic('bf-out', 3, KEEP_RECORDS);
    for (const run of ['r1', 'r2']) await createKept(`${output}.backfill-${run}`, 3);
    const { pool, schema, drop } = await pgSchema();
    try {
      const base = Date.UTC(2026, 0, 1);
      const records = countingInput({ records: 2000, keys: 20, partitions: 3, base, stepMs: 100, seed: 11 });
      // Before the sentinels: a record too late for its window (it goes to the late topic) and one that does not decode.
      const late: InputRecord = { key: 'k1', partition: 1, timestamp: base, value: 5 };
      const sentinels = records.splice(-3);
      await produceRecords(client, input, [...records, late]);
      const producer = client.producer();
      await producer.connect();
      await producer.send({ topic: input, messages: [{ key: 'k0', partition: 0, timestamp: String(records[records.length - 1].timestamp), value: 'not a number' }] });
      await producer.disconnect();
      await produceRecords(client, input, sentinels);
      const expected = countingOracle(records);
      const config = resolveConfig([envLayer(stackSettings())]);
      const application = unique('bf');
      const topo = countingTopology({ application, input, output, table: `${schema}.live` });

      const live = new Worker({ topology: topo, config });
      await live.start();
      await waitForRows(async () => Number((await pool.query('SELECT count(*) FROM live')).rows[0].count), expected.length);
      const liveTopics = [output, `${application}.late`];
      await waitForRows(async () => (await recordsOf(`${application}.late`)).length, 1);
      await live.stop();
      const before = await Promise.all(liveTopics.map(ends));
      const liveLate = await recordsOf(`${application}.late`);
      expect(liveLate).toHaveLength(1);
      // Dated when it was set aside, not at its 2026-01-01 event time: the broker's time retention would delete it.
      expect(Number(liveLate[0].timestamp)).toBeGreaterThan(Date.now() - 3_600_000);
      expect(await recordsOf(DLQ_TOPIC, input)).toHaveLength(1);

      const sentinelTime = sentinels[0].timestamp;
      const progress: BackfillProgress[] = [];
      const result = await backfill({ topology: topo, config, from: base, to: sentinelTime, runId: 'r1', sinkTargets: { counts: `${schema}.replayed` }, onProgress: (p) => progress.push(p) });
      expect(result.records).toBe(records.length + 2); // every record but the three sentinels
      expect(result.topics).toEqual(new Map([output, `${application}.late`, DLQ_TOPIC].map((t) => [t, `${t}.backfill-r1`])));

      const q = (table: string) => pool.query(`SELECT key, window_start, count, sum FROM ${table} ORDER BY key, window_start`).then((r) => r.rows);
      const liveRows = await q('live');
      expect(liveRows).toHaveLength(expected.length);
      expect(await q('replayed')).toEqual(liveRows);
      expect(progress.at(-1)).toMatchObject({ done: records.length + 2, total: records.length + 2 });

      // The live topics are as the live run left them; the backfill's records are on its own topics.
      expect(await Promise.all(liveTopics.map(ends))).toEqual(before);
      expect(await recordsOf(DLQ_TOPIC, input)).toHaveLength(1);
      const key = (m: { key: Buffer | null; value: Buffer | null }) => `${m.key?.toString()}=${m.value?.toString()}`;
      const liveOutput = (await recordsOf(output)).map(key).sort();
      expect(liveOutput).toHaveLength(expected.length);
      expect((await recordsOf(`${output}.backfill-r1`)).map(key).sort()).toEqual(liveOutput);
      expect(await recordsOf(`${application}.late.backfill-r1`)).toHaveLength(1);
      expect(await recordsOf(`${DLQ_TOPIC}.backfill-r1`, input)).toHaveLength(1);

      // By event time only: the whole log is read, items outside [from, to) are skipped.
      const from = base + 50 * 1000;
      const to = base + 150 * 1000;
      const byEventTime = await backfill({ topology: topo, config, fromEventTime: from, toEventTime: to, runId: 'r2', sinkTargets: { counts: `${schema}.by_event_time` } });
      expect(byEventTime.records).toBe(records.length + 5);
      const inRange = records.filter((r) => r.timestamp >= from && r.timestamp < to);
      expect(byEventTime.skippedItems).toBe(records.length - inRange.length + 1 + 3); // the late record and the sentinels too
      const want = countingOracle(inRange).sort(byKeyAndStart);
      expect(want.every((r) => r.window_start % WINDOW_MS === 0)).toBe(true);
      const got = (await q('by_event_time')).map((r: Record<string, string | number>) => ({ key: String(r.key), window_start: Number(r.window_start), count: Number(r.count), sum: Number(r.sum) }));
      expect(got.sort(byKeyAndStart)).toEqual(want);
      expect(await recordsOf(`${application}.late.backfill-r2`)).toHaveLength(0);
      expect(await Promise.all(liveTopics.map(ends))).toEqual(before);
    } finally {
      await drop();
    }
  });
});
