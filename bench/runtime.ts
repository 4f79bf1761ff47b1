// Runtime overhead: records/s through an identity topology (source → .to(output), exactly-once: one Kafka
// transaction per task commit holding the outputs and the consumer offset) divided by a plain kafkajs eachBatch
// consumer reading the same seeded topic in the same run (`overhead ratio`, the definition). The plain
// consumer is kafkajs as published, run in a child process (bench/lib/stockConsume.ts): our processes load kafkajs
// with replaced internals (src/kafka/kafkajs.ts, docs/kafkajs.md), which make consuming faster too, so the same
// plain consumer in this process is reported apart. A further baseline isolates the runtime's own cost from
// Kafka's: the same exactly-once copy written directly on (our) kafkajs (transactional producer per partition, one
// transaction per batch, sendOffsets, commit).
// Runs alternate (plain, kafkajs copy, topology, plain, …); figures are medians of the per-run values.
//
// Every rate runs from the consumer group join (fetching starts) to the end: for the plain consumer the last
// record seen, for the copies the moment the group's committed offsets (admin API, polled every 50 ms) reach
// the end of every partition — everything processed, produced and committed. Startup before the join is
// reported apart; it is a fixed cost, not throughput. Fetch sizing is the worker's (4 MiB per partition,
// 32 MiB per fetch, all partitions concurrently) for every contender.
//
// A million records per run: a run of 200,000 lasts about a second, and the topology's fixed costs after the join
// (each task's transactional producer starting and fencing, the last commit interval, polling for the committed
// offsets) take a large share of it: 166 K records/s at 200,000 against 251 K at 1,000,000 in the same hour.
// Env: BENCH_RECORDS (default 1000000), BENCH_VALUE_BYTES (200), BENCH_RUNS (5), BENCH_PROFILE=1 writes a CPU
// profile of the last topology run to bench/results/runtime.cpuprofile and prints its top self-time functions.
import type { Message } from 'kafkajs';
import { cleanup, createTopic, endOffsets, plainConsume, produce, readAll, startTransactionalCopy, stockConsume, waitForCommitted } from './lib/kafka.ts';
import { watchLog } from './lib/logWatch.ts';
import { printProfile, startProfile } from './lib/profile.ts';
import { envNumber, note, rng, round, unique } from './lib/util.ts';
import { median, report, type BenchResult } from './report.ts';

import { benchStack } from './lib/stack.ts';
import { Worker, topology } from '../src/runtime/index.ts';
import { DEFAULT_COMMIT_INTERVAL_MS } from '../src/runtime/worker.ts';
import { logger } from '../src/log.ts';

// Benchmarks print tables, not the runtime's info logs (LOG_LEVEL overrides).
logger.level = process.env.LOG_LEVEL ?? 'warn';

const RECORDS = Math.round(envNumber('BENCH_RECORDS', 1_000_000));
const VALUE_BYTES = Math.round(envNumber('BENCH_VALUE_BYTES', 200));
const RUNS = Math.round(envNumber('BENCH_RUNS', 5));
// The worker's commit interval (unset: the runtime's default; 0: a transaction per batch).
const COMMIT_INTERVAL_MS = process.env.BENCH_COMMIT_INTERVAL_MS === undefined ? undefined : Number(process.env.BENCH_COMMIT_INTERVAL_MS);
if (COMMIT_INTERVAL_MS !== undefined && !(COMMIT_INTERVAL_MS >= 0)) throw new Error(`BENCH_COMMIT_INTERVAL_MS=${process.env.BENCH_COMMIT_INTERVAL_MS}: expected ms ≥ 0`);
/** Transactions the worker's tasks committed, per topology run. */
const commits: number[] = [];
const PARTITIONS = 6;
const MAX_BYTES_PER_PARTITION = 4 << 20; // the worker's default

function* seed(): Generator<Message[]> {
  const random = rng(20261122);
  const t0 = Date.UTC(2026, 10, 22);
  for (let i = 0; i < RECORDS; i += 5000) {
    const batch: Message[] = [];
    for (let j = i; j < Math.min(RECORDS, i + 5000); j++) {
      const value = Buffer.allocUnsafe(VALUE_BYTES);
      for (let b = 0; b < VALUE_BYTES; b++) value[b] = 32 + Math.floor(random() * 95);
      batch.push({ key: `key-${j % 10_000}`, value, partition: j % PARTITIONS, timestamp: String(t0 + j) });
    }
    yield batch;
  }
}

interface Sample {
  rate: number;
  startupMs: number;
}

const stack = await benchStack();
const { kafka, config } = stack;
const input = unique('bench-runtime-in');
const topics = [input];
const groups: string[] = [];
const plain: Sample[] = [];
const plainOurs: number[] = [];
const copy: Sample[] = [];
const topo: Sample[] = [];
const fmt = (n: number) => round(n).toLocaleString('en-US');

async function runCopy(ends: Map<number, bigint>): Promise<Sample> {
  const output = unique('bench-eos-copy-out');
  topics.push(output);
  await createTopic(kafka, output, PARTITIONS);
  const t0 = performance.now();
  const c = await startTransactionalCopy(kafka, input, output, { maxBytesPerPartition: MAX_BYTES_PER_PARTITION, partitions: PARTITIONS });
  groups.push(c.groupId);
  try {
    const done = await waitForCommitted(kafka, c.groupId, input, ends, { timeoutMs: 300_000 });
    const joined = await c.joinedAt;
    return { rate: (RECORDS / (done - joined)) * 1000, startupMs: joined - t0 };
  } finally {
    await c.stop();
    await cleanup(kafka, [output], [c.groupId]);
  }
}

async function runTopology(ends: Map<number, bigint>, run: number): Promise<Sample> {
  const app = unique('bench-identity');
  const output = `${app}-out`;
  topics.push(output);
  groups.push(app);
  const identity = topology(app)
    .stream<Buffer | null>({ topic: input, decode: (m) => [{ key: m.key === null ? null : m.key.toString(), timestamp: m.timestamp, value: m.value }] })
    .to(output, { value: (v) => v })
    .build();
  const log = watchLog({ bench: 'runtime' });
  const worker = new Worker({ topology: identity, config, groupId: app, commitIntervalMs: COMMIT_INTERVAL_MS, maxBytesPerPartition: MAX_BYTES_PER_PARTITION, logger: log.logger });
  const profiling = process.env.BENCH_PROFILE && run === RUNS ? await startProfile('bench/results/runtime.cpuprofile') : undefined;
  const t0 = performance.now();
  let done: number;
  try {
    await worker.start();
    done = await waitForCommitted(kafka, app, input, ends, { timeoutMs: 300_000 });
  } finally {
    const profile = await profiling?.();
    if (profile) printProfile(profile);
    commits.push([...worker.tasks.values()].reduce((n, t) => n + t.stats.commits, 0));
    await worker.stop();
  }
  const joined = log.firstAt('partitions assigned');
  if (joined === undefined) throw new Error('the worker never logged its assignment');
  if (run === 1) {
    const seen = await readAll(kafka, output, RECORDS, () => {});
    if (seen !== RECORDS) throw new Error(`identity topology wrote ${seen} records to ${output}, expected exactly ${RECORDS}`);
  }
  await cleanup(kafka, [output], [app]);
  return { rate: (RECORDS / (done - joined)) * 1000, startupMs: joined - t0 };
}

try {
  await createTopic(kafka, input, PARTITIONS);
  const seeded = await produce(kafka, input, seed());
  note(`seeded ${input}: ${fmt(seeded.records)} records of ${VALUE_BYTES} bytes in ${seeded.seconds.toFixed(1)} s`);
  const ends = await endOffsets(kafka, input);

  for (let run = 1; run <= RUNS; run++) {
    const fetching = { maxBytesPerPartition: MAX_BYTES_PER_PARTITION, partitionsConsumedConcurrently: PARTITIONS };
    const p = await stockConsume(stack.brokers, input, RECORDS, fetching);
    plain.push({ rate: (p.records / p.processMs) * 1000, startupMs: p.startupMs });
    const ours = await plainConsume(kafka, input, RECORDS, fetching);
    plainOurs.push((ours.records / ours.processMs) * 1000);
    copy.push(await runCopy(ends));
    topo.push(await runTopology(ends, run));
    note(`run ${run}/${RUNS}: plain ${fmt(plain[run - 1].rate)} (ours ${fmt(plainOurs[run - 1])}), kafkajs EOS copy ${fmt(copy[run - 1].rate)}, topology ${fmt(topo[run - 1].rate)} records/s; ratio ${(topo[run - 1].rate / plain[run - 1].rate).toFixed(3)}`);
  }

  const ratios = topo.map((t, i) => t.rate / plain[i].rate);
  const vsCopy = topo.map((t, i) => t.rate / copy[i].rate);
  const results: BenchResult[] = [
    { metric: 'overhead ratio', value: round(median(ratios), 3), unit: 'identity topology ÷ plain consume (median of per-run ratios; target ≥ 0.7)' },
    { metric: 'identity topology, exactly-once', value: round(median(topo.map((t) => t.rate))), unit: 'records/s' },
    { metric: 'plain kafkajs eachBatch consume', value: round(median(plain.map((t) => t.rate))), unit: 'records/s (kafkajs 2.2.4 as published, child process)' },
    { metric: 'plain consume on our kafkajs layer', value: round(median(plainOurs)), unit: 'records/s (same consumer, replaced internals)' },
    { metric: 'kafkajs exactly-once copy (no runtime)', value: round(median(copy.map((t) => t.rate))), unit: 'records/s (on our kafkajs layer)' },
    { metric: 'topology ÷ kafkajs exactly-once copy', value: round(median(vsCopy), 3), unit: 'ratio (the runtime’s own overhead)' },
    { metric: 'overhead ratio, min of runs', value: round(Math.min(...ratios), 3), unit: 'ratio' },
    { metric: 'overhead ratio, max of runs', value: round(Math.max(...ratios), 3), unit: 'ratio' },
    { metric: 'topology startup (start → assigned)', value: round(median(topo.map((t) => t.startupMs))), unit: 'ms' },
    { metric: 'plain startup (run → joined)', value: round(median(plain.map((t) => t.startupMs))), unit: 'ms' },
    { metric: 'records per run', value: RECORDS, unit: `records of ${VALUE_BYTES} B, ${PARTITIONS} partitions` },
    { metric: 'commit interval', value: COMMIT_INTERVAL_MS ?? DEFAULT_COMMIT_INTERVAL_MS, unit: 'ms (BENCH_COMMIT_INTERVAL_MS; 0: a transaction per batch)' },
    { metric: 'task commits per run', value: median(commits), unit: 'transactions, all tasks (median of runs)' },
    { metric: 'runs', value: RUNS, unit: 'interleaved triples' },
  ];
  report('runtime', results);
} finally {
  await cleanup(kafka, topics, groups);
  await stack.close();
}
