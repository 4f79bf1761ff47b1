// The Processor API under load: records/s through the dedup processor (src/operators/deduplicate.ts) on one worker,
// exactly-once, with a key-value store that grows to a million ids; then the restore of that store by a fresh
// worker (time, entries) and what a key costs: changelog bytes (deterministic) and heap after GC.
//
// Input: the first BENCH_KEYS records carry every id once (the store grows to BENCH_KEYS keys), the rest repeat ids
// drawn at random (all dropped as duplicates: the horizon outlasts the input). Ids live on one partition each.
// Rates run from the group join to the moment the group's committed offsets reach the end of every partition.
// Env: BENCH_KEYS (default 1000000), BENCH_RECORDS (2000000), BENCH_RUNS (3).
import type { Message } from 'kafkajs';
import { deduplicate } from '../src/operators/index.ts';
import { changelogTopic, topology, Worker } from '../src/runtime/index.ts';
import { logger } from '../src/log.ts';
import { cleanup, createTopic, endOffsets, produce, readAll, waitForCommitted } from './lib/kafka.ts';
import { watchLog } from './lib/logWatch.ts';
import { benchStack } from './lib/stack.ts';
import { envNumber, fullGc, note, rng, round, unique } from './lib/util.ts';
import { median, report, type BenchResult } from './report.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';

const KEYS = Math.round(envNumber('BENCH_KEYS', 1_000_000));
const RECORDS = Math.max(KEYS, Math.round(envNumber('BENCH_RECORDS', 2_000_000)));
const RUNS = Math.round(envNumber('BENCH_RUNS', 3));
const PARTITIONS = 6;
const HORIZON = 86_400_000;

const id = (n: number) => `id-${n}`;

function* seed(): Generator<Message[]> {
  const random = rng(20261203);
  const t0 = Date.UTC(2026, 10, 1);
  for (let i = 0; i < RECORDS; i += 5000) {
    const batch: Message[] = [];
    for (let j = i; j < Math.min(RECORDS, i + 5000); j++) {
      const n = j < KEYS ? j : Math.floor(random() * KEYS);
      batch.push({ key: id(n), value: String(j), partition: n % PARTITIONS, timestamp: String(t0 + j) });
    }
    yield batch;
  }
}

const stack = await benchStack();
const { kafka, config } = stack;
const input = unique('bench-processor-in');
const topics = [input];
const groups: string[] = [];
const rates: number[] = [];
const restores: Array<{ seconds: number; entries: number; heapPerKey: number }> = [];
let changelogBytesPerKey = 0;
const fmt = (n: number) => round(n).toLocaleString('en-US');

function dedupTopology(app: string, output: string) {
  return topology(app)
    .stream<string>({ topic: input, decode: (m) => [{ key: m.key!.toString(), timestamp: m.timestamp, value: m.value!.toString() }] })
    .process(deduplicate<string>({ store: 'ids', horizon: HORIZON }))
    .to(output, { value: (v) => v })
    .build();
}

async function run(ends: Map<number, bigint>, first: boolean): Promise<void> {
  const app = unique('bench-dedup');
  const output = `${app}-out`;
  topics.push(output, changelogTopic(app, 'ids'));
  groups.push(app);
  const log = watchLog({ bench: 'processor' });
  const worker = new Worker({ topology: dedupTopology(app, output), config, groupId: app, logger: log.logger });
  let done: number;
  try {
    await worker.start();
    done = await waitForCommitted(kafka, app, input, ends, { timeoutMs: 600_000 });
  } finally {
    await worker.stop();
  }
  const joined = log.firstAt('partitions assigned');
  if (joined === undefined) throw new Error('the worker never logged its assignment');
  rates.push((RECORDS / (done - joined)) * 1000);
  if (first) {
    const seen = await readAll(kafka, output, KEYS, () => {});
    if (seen !== KEYS) throw new Error(`dedup wrote ${seen} records to ${output}, expected exactly ${KEYS} (one per id)`);
    let bytes = 0;
    let records = 0;
    await readAll(kafka, changelogTopic(app, 'ids'), Infinity, (m) => {
      if (m.key && m.key[0] === 3) {
        bytes += m.key.length + (m.value?.length ?? 0);
        records++;
      }
    }, 3_000);
    changelogBytesPerKey = records > 0 ? bytes / records : 0;
  }

  // Restore: a fresh worker of the same application restores the store before it processes anything.
  fullGc();
  const heapBefore = process.memoryUsage().heapUsed;
  const restoreLog = watchLog({ bench: 'processor' });
  const restorer = new Worker({ topology: dedupTopology(app, output), config, groupId: app, logger: restoreLog.logger });
  try {
    await restorer.start();
    const deadline = Date.now() + 600_000;
    while (restoreLog.first('state restored from changelog') === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const entry = restoreLog.first('state restored from changelog');
    if (!entry) throw new Error('the restoring worker never logged its restore');
    fullGc();
    const entries = Number(entry.restoredEntries);
    restores.push({ seconds: Number(entry.seconds), entries, heapPerKey: (process.memoryUsage().heapUsed - heapBefore) / entries });
  } finally {
    await restorer.stop();
  }
  note(`run: ${fmt(rates.at(-1)!)} records/s; restore ${restores.at(-1)!.seconds} s for ${fmt(restores.at(-1)!.entries)} keys, ${round(restores.at(-1)!.heapPerKey)} B heap per key`);
  await cleanup(kafka, [output, changelogTopic(app, 'ids')], [app]);
}

try {
  await createTopic(kafka, input, PARTITIONS);
  const seeded = await produce(kafka, input, seed());
  note(`seeded ${input}: ${fmt(seeded.records)} records (${fmt(KEYS)} ids) in ${seeded.seconds.toFixed(1)} s`);
  const ends = await endOffsets(kafka, input);
  for (let i = 0; i < RUNS; i++) await run(ends, i === 0);
  const results: BenchResult[] = [
    { metric: 'dedup processor, exactly-once', value: round(median(rates)), unit: 'records/s (median of runs, one worker)' },
    { metric: 'dedup processor, min of runs', value: round(Math.min(...rates)), unit: 'records/s' },
    { metric: 'dedup processor, max of runs', value: round(Math.max(...rates)), unit: 'records/s' },
    { metric: 'store keys', value: KEYS, unit: `ids (${fmt(RECORDS)} records, ${PARTITIONS} partitions)` },
    { metric: 'restore time', value: round(median(restores.map((r) => r.seconds)), 2), unit: 's for the whole store (median of runs)' },
    { metric: 'restored entries', value: median(restores.map((r) => r.entries)), unit: 'keys' },
    { metric: 'changelog bytes per key', value: round(changelogBytesPerKey, 1), unit: 'B of record key + value (deterministic)' },
    { metric: 'heap per key after restore', value: round(median(restores.map((r) => r.heapPerKey))), unit: 'B (heap after GC ÷ keys; includes the worker)' },
    { metric: 'runs', value: RUNS, unit: 'runs' },
  ];
  report('processor', results);
} finally {
  await cleanup(kafka, topics, groups);
  await stack.close();
}
