// No record stops a partition, on the real stack: a dead letter larger than the dead-letter topic allows, an
// aggregator that throws on one record, and a task with millions of open windows, whose changelog buckets outgrow
// max.message.bytes. In each, processing goes on and the results equal the oracle.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { DLQ_HEADERS, DLQ_TOPIC } from '../../src/dlq/index.ts';
import { deduplicate, summary, summarySerde, tumblingWindows, type Summary } from '../../src/operators/index.ts';
import { changelogTopic, topology, Worker, type Topology } from '../../src/runtime/index.ts';
import { postgresSink } from '../../src/sinks/postgres/upsertSink.ts';
import type { WindowStore } from '../../src/state/index.ts';
import { countingInput, countingOracle, countingTopology, DEDUP_HORIZON_MS, KEEP_RECORDS, WINDOW_MS, type WindowRow } from '../fixtures/counting.ts';
import { expectOracleResults, waitForTable } from '../helpers/countingResults.ts';
import { readTopic } from '../helpers/consume.ts';
import { produceRecords } from '../helpers/produce.ts';
import { createTopic, kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';

const config = () => resolveConfig([envLayer(stackSettings())]);

interface LogLine {
  msg?: string;
  partition?: number;
  offset?: string;
  attempts?: number;
  err?: string;
}

function capture(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) }) };
}

/** Dead letters of `sourceTopic` on the shared dead-letter topic. */
async function deadLettersOf(sourceTopic: string, count: number) {
  const all = await readTopic(kafka(), DLQ_TOPIC, { quietMs: 3000, timeoutMs: 30_000 });
  const mine = all.filter((m) => m.headers?.[DLQ_HEADERS.sourceTopic]?.toString() === sourceTopic);
  expect(mine).toHaveLength(count);
  return mine.map((m) => ({ ...m, header: (name: string) => m.headers?.[name]?.toString() }));
}

describe('runtime: no record stops a partition', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('cuts an undecodable record larger than the dead-letter topic allows, says so, and processes the records after it', async () => {
    const client = kafka();
    // The input takes 4 MiB records; the dead-letter topic keeps the broker's 1 MiB.
    const input = await createTopic('big-dl-in', 2, [...KEEP_RECORDS, { name: 'max.message.bytes', value: String(4 << 20) }]);
    const output = await createTopic('big-dl-out', 2, KEEP_RECORDS);
    const { pool, schema, drop } = await pgSchema();
    cleanups.push(drop);
    const records = countingInput({ records: 2000, keys: 10, partitions: 2, base: Date.UTC(2026, 0, 1), stepMs: 100, seed: 5 });
    const [before, after] = [records.slice(0, 1000), records.slice(1000)];
    await produceRecords(client, input, before);
    const producer = client.producer();
    await producer.connect();
    const huge = Buffer.alloc(2 << 20, 'x');
    await producer.send({ topic: input, acks: -1, messages: [{ key: 'k1', partition: 1, timestamp: String(before[999].timestamp), value: huge, headers: { tenant: 'acme' } }] });
    await producer.disconnect();
    await produceRecords(client, input, after);

    const worker = new Worker({ topology: countingTopology({ application: unique('big-dl'), input, output, table: `${schema}.counts` }), config: config() });
    cleanups.push(() => worker.stop());
    await worker.start();
    const expected = countingOracle(records);
    expect(await waitForTable(pool, expected.length, 90_000)).toBe(expected.length);
    await expectOracleResults(pool, client, output, expected);

    const [dead] = await deadLettersOf(input, 1);
    expect(dead.header(DLQ_HEADERS.truncated)).toBe('value');
    expect(dead.header(DLQ_HEADERS.originalValueBytes)).toBe(String(huge.length));
    expect(dead.header(DLQ_HEADERS.sourcePartition)).toBe('1');
    expect(dead.header(DLQ_HEADERS.error)).toContain('not a number');
    expect(dead.header('tenant')).toBe('acme');
    expect(dead.key?.toString()).toBe('k1');
    // Cut to fit a 1 MiB record, not further.
    expect(dead.value!.length).toBeLessThanOrEqual(1 << 20);
    expect(dead.value!.length).toBeGreaterThan((1 << 20) - 8192);
    expect(dead.value!.equals(huge.subarray(0, dead.value!.length))).toBe(true);
  });

  it('sends a record the aggregator always throws on to the dead-letter topic after three attempts, with the error; every other window is exact', async () => {
    const client = kafka();
    const input = await createTopic('throw-in', 2, KEEP_RECORDS);
    const output = await createTopic('throw-out', 2, KEEP_RECORDS);
    const { pool, schema, drop } = await pgSchema();
    cleanups.push(drop);
    const records = countingInput({ records: 3000, keys: 10, partitions: 2, base: Date.UTC(2026, 0, 1), stepMs: 100, seed: 9 });
    // One record in the middle of partition 1 carries a value the aggregator cannot take.
    const poisonIndex = records.findIndex((r, i) => i > 1500 && r.partition === 1);
    records[poisonIndex] = { ...records[poisonIndex], value: -1 };
    await produceRecords(client, input, records);
    const expected = countingOracle(records.filter((_, i) => i !== poisonIndex));

    const { logger, lines } = capture();
    const worker = new Worker({ topology: throwingCounting(unique('throw'), input, output, `${schema}.counts`), config: config(), logger });
    cleanups.push(() => worker.stop());
    await worker.start();
    expect(await waitForTable(pool, expected.length, 90_000)).toBe(expected.length);
    await expectOracleResults(pool, client, output, expected);

    const failures = lines.filter((l) => l.msg?.includes('task discarded') && l.partition === 1);
    expect(failures).toHaveLength(3);
    for (const f of failures) expect(f.err).toContain('negative value -1');
    expect(lines.filter((l) => l.msg?.includes('record failed every attempt'))).toMatchObject([{ partition: 1, attempts: 3 }]);
    expect(lines.filter((l) => l.msg?.includes('task discarded') && l.partition !== 1)).toEqual([]);
    expect(await worker.metrics.registry.getSingleMetricAsString('otlp_streams_poison_records_total')).toMatch(/otlp_streams_poison_records_total\{[^}]*\} 1$/m);

    const [dead] = await deadLettersOf(input, 1);
    // the error as the pipeline reported it: the processor, the record's position, the aggregator's message
    expect(dead.header(DLQ_HEADERS.error)).toMatch(/^processor window counts at throw-in-[0-9a-f]+-1@\d+: negative value -1$/);
    expect(dead.header(DLQ_HEADERS.errorType)).toBe('RangeError');
    expect(dead.header(DLQ_HEADERS.attempts)).toBe('3');
    expect(dead.header(DLQ_HEADERS.sourcePartition)).toBe('1');
    expect(dead.value?.toString()).toBe('-1');
    const offset = lines.find((l) => l.msg?.includes('record failed every attempt'))!.offset;
    expect(dead.header(DLQ_HEADERS.sourceOffset)).toBe(offset);
  });

  it('keeps every changelog record under max.message.bytes with 3.5 million open windows in one task, and restores them exactly', async () => {
    const client = kafka();
    const input = await createTopic('wide-in', 1, KEEP_RECORDS);
    const output = await createTopic('wide-out', 1, KEEP_RECORDS);
    const application = unique('wide');
    const keys = 3_500_000;
    const perRecord = 10_000;
    const base = Date.UTC(2026, 0, 1);
    await produceRecords(
      client,
      input,
      Array.from({ length: keys / perRecord }, (_, r) => ({ key: `r${r}`, partition: 0, timestamp: base + r, value: `${r * perRecord}:${perRecord}` })),
    );

    // One commit, at stop: every bucket is written once (256 buckets of about 1.2 MB each).
    const first = new Worker({ topology: wideTopology(application, input, output), config: config(), commitIntervalMs: 600_000 });
    await first.start();
    const end = BigInt(keys / perRecord);
    const deadline = Date.now() + 120_000;
    while ((first.tasks.get(0)?.position ?? 0n) < end && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(first.tasks.get(0)?.position).toBe(end);
    await first.stop();

    // Every record the changelog holds fits the topic (the broker took them: the commit went through), and buckets
    // that outgrew a record were written in parts.
    const sizes = await recordSizes(client, changelogTopic(application, 'wide'));
    const bucketBytes = new Map<number, number>();
    for (const s of sizes) bucketBytes.set(s.bucket, (bucketBytes.get(s.bucket) ?? 0) + s.bytes);
    expect(Math.max(...sizes.map((s) => s.bytes))).toBeLessThanOrEqual(512 * 1024);
    expect(Math.max(...sizes.map((s) => s.bytes + 5 + 128))).toBeLessThan(1024 * 1024 + 12);
    expect(sizes.some((s) => s.part > 0)).toBe(true);
    expect(Math.max(...bucketBytes.values())).toBeGreaterThan(1024 * 1024 + 12);

    // A new worker restores the task from those records, then goes on from the committed offset.
    const second = new Worker({ topology: wideTopology(application, input, output), config: config(), commitIntervalMs: 600_000 });
    cleanups.push(() => second.stop());
    await second.start();
    await produceRecords(client, input, [{ key: 'r-last', partition: 0, timestamp: base, value: `${keys}:1` }]);
    const restored = Date.now() + 120_000;
    while ((second.tasks.get(0)?.position ?? 0n) <= end && Date.now() < restored) await new Promise((r) => setTimeout(r, 200));
    const store = second.tasks.get(0)!.stores.get('wide') as unknown as WindowStore<string, Summary>;
    expect(store.size).toBe(keys + 1);
    let wrong = 0;
    for (let i = 0; i <= keys; i++) {
      const a = store.aggregateOf(seriesKey(i), base);
      if (a === undefined || a.count !== 1 || a.sum !== i % 1000) wrong++;
    }
    expect(wrong).toBe(0);
  }, 300_000);
});

/** The counting topology with an aggregator that throws on negative values: a bug no replay fixes. */
function throwingCounting(application: string, input: string, output: string, table: string): Topology {
  return topology(application)
    .stream({
      topic: input,
      decode: (m) => [{ key: m.key!.toString(), timestamp: m.timestamp, value: Number(m.value!.toString()) }],
    })
    // As in countingTopology: the input resends some records.
    .process(deduplicate<number>({ store: 'seen', horizon: DEDUP_HORIZON_MS, id: (r) => `${r.key}@${r.timestamp}` }))
    .windowedBy(tumblingWindows(WINDOW_MS))
    .aggregate(
      summary((v: number) => {
        if (v < 0) throw new RangeError(`negative value ${v}`);
        return v;
      }),
      { store: 'counts', serde: summarySerde, buckets: 16 },
    )
    .to(output, { key: (r) => `${r.key}@${r.window.start}`, value: (r) => JSON.stringify({ count: r.aggregate.count, sum: r.aggregate.sum }) })
    .toSink(
      postgresSink({ name: 'counts', table, columns: { key: 'text', window_start: 'bigint', count: 'bigint', sum: 'double precision' }, key: ['key', 'window_start'] }),
      (r): WindowRow => ({ key: r.key, window_start: r.window.start, count: r.aggregate.count, sum: r.aggregate.sum }),
    )
    .build();
}

/** A series id as long as the real ones (32 hex digits). */
function seriesKey(i: number): string {
  return `series-${i.toString(16).padStart(32, '0')}`;
}

/** Each record "first:count" opens `count` one-minute windows, one per series, none of which closes. */
function wideTopology(application: string, input: string, output: string): Topology {
  return topology(application)
    .stream({
      topic: input,
      decode: (m) => {
        const [first, count] = m.value!.toString().split(':').map(Number);
        return Array.from({ length: count }, (_, j) => ({ key: seriesKey(first + j), timestamp: Date.UTC(2026, 0, 1), value: (first + j) % 1000 }));
      },
    })
    .windowedBy(tumblingWindows(60_000))
    .aggregate(summary((v: number) => v), { store: 'wide', serde: summarySerde })
    .to(output)
    .build();
}

/** Value size, bucket and part of every bucket record of a changelog topic (partition 0), read committed. */
async function recordSizes(client: ReturnType<typeof kafka>, topic: string): Promise<Array<{ bucket: number; part: number; bytes: number }>> {
  const admin = client.admin();
  await admin.connect();
  const [{ high }] = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const out: Array<{ bucket: number; part: number; bytes: number }> = [];
  const consumer = client.consumer({ groupId: unique('sizes'), maxBytesPerPartition: 8 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let last = -1n;
  // END_BATCH_PROCESS also sees batches of transaction markers only, which eachBatch does not.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => (last = BigInt(payload.lastOffset)));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        if (m.key?.[0] === 1 && m.value) out.push({ bucket: m.key.readUInt16BE(1), part: m.key.length === 5 ? m.key.readUInt16BE(3) : 0, bytes: m.value.length });
      }
    },
  });
  const deadline = Date.now() + 60_000;
  while (last + 1n < BigInt(high) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await consumer.disconnect();
  return out;
}
