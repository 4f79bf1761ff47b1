// Restore of window state from a store's changelog, and the state's memory per series.
//
// The changelog of 1,000,000 series (one open 1-minute window each, as a rollup holds between window closes)
// is written in the runtime's own bucketed format: for each of 6 partitions, the store a Task of the rollup
// topology creates is filled and checkpointed by that Task's BucketedChangelog, and the records are produced to
// `changelogTopic(app, store)` (compacted, 6 partitions). Optionally the full state is checkpointed several
// times (BENCH_CHECKPOINTS), as per-batch checkpoints leave it before compaction runs.
// Then a fresh process (a new worker: nothing warm) restores all 6 partitions the way Worker.initTasks does —
// `readPartitions` of the changelog, then `Task.restore` per partition — and reports the time, the memory after
// GC divided by the restored entries (the restored records released), and its peak RSS. Memory is the V8 heap
// plus ArrayBuffer contents: a store that keeps its columns in typed arrays holds them outside `heapUsed`.
// Both aggregates a rollup uses are measured: `sum` (a double) and `summary` ({count, sum, min, max}).
//
// Env: BENCH_SERIES (default 1000000), BENCH_RUNS (3 restores per aggregate), BENCH_CHECKPOINTS (1),
// BENCH_AGGREGATES (sum,summary).
import { spawn } from 'node:child_process';
import { cleanup, createTopic, produce } from './lib/kafka.ts';
import { envNumber, fullGc, note, rng, round, unique } from './lib/util.ts';
import { median, report, type BenchResult } from './report.ts';

import { topology, changelogTopic } from '../src/runtime/index.ts';
import { Task } from '../src/runtime/task.ts';
import { sum, summary, tumblingWindows } from '../src/operators/index.ts';
import { float64Serde } from '../src/state/index.ts';
import { summarySerde } from '../src/operators/index.ts';

const SERIES = Math.round(envNumber('BENCH_SERIES', 1_000_000));
const RUNS = Math.round(envNumber('BENCH_RUNS', 3));
const CHECKPOINTS = Math.round(envNumber('BENCH_CHECKPOINTS', 1));
const AGGREGATES = (process.env.BENCH_AGGREGATES ?? 'sum,summary').split(',') as Array<'sum' | 'summary'>;
const PARTITIONS = 6;
const STORE = 'rollup1m';
const WINDOW_MS = 60_000;
const START = Date.UTC(2026, 10, 22, 8, 0, 0);

/** The rollup topology whose store is restored; only its store spec and application id matter here. */
function rollup(app: string, aggregate: 'sum' | 'summary') {
  const stream = topology(app).stream<number>({ topic: `${app}-in`, decode: () => [] }).windowedBy(tumblingWindows(WINDOW_MS));
  return aggregate === 'sum'
    ? stream.aggregate(sum((v: number) => v), { store: STORE, serde: float64Serde }).to(`${app}-out`).build()
    : stream.aggregate(summary((v: number) => v), { store: STORE, serde: summarySerde }).to(`${app}-out`).build();
}

interface ChildResult {
  readMs: number;
  applyMs: number;
  entries: number;
  records: number;
  bytes: number;
  heapPerEntry: number;
  /** Of heapPerEntry: bytes in ArrayBuffers (typed array contents), which `heapUsed` leaves out. */
  arrayBuffersPerEntry: number;
  heapMiB: number;
  peakRssMiB: number;
}

// ---- child: one restore in a fresh process -------------------------------------------------------------
if (process.env.BENCH_RESTORE_CHILD) {
  const { app, aggregate, brokers } = JSON.parse(process.env.BENCH_RESTORE_CHILD) as { app: string; aggregate: 'sum' | 'summary'; brokers: string };
  const { envLayer, resolveConfig } = await import('../src/config/index.ts');
  const { createKafka } = await import('../src/kafka/index.ts');
  const { readPartitions } = await import('../src/runtime/restore.ts');
  const kafka = createKafka(resolveConfig([envLayer({ KAFKA_BROKERS: brokers })]), { clientId: 'otlp-streams-bench-restore' });
  const topo = rollup(app, aggregate);
  const topic = changelogTopic(app, STORE);
  const partitions = Array.from({ length: PARTITIONS }, (_, p) => p);
  // The read and apply run in a function of their own: a record left in a register of this (top-level) frame
  // would keep its whole fetch response buffer alive, i.e. most of the changelog bytes, and count as state.
  async function restoreAll() {
    const t0 = performance.now();
    const records = await readPartitions(kafka, [topic], partitions);
    const t1 = performance.now();
    let entries = 0;
    const tasks = partitions.map((p) => {
      const task = new Task(topo, p);
      entries += task.restore(STORE, records.get(`${topic}:${p}`) ?? []).entries;
      return task;
    });
    const t2 = performance.now();
    let count = 0;
    let bytes = 0;
    for (const list of records.values()) for (const r of list) {
      count++;
      bytes += r.value?.length ?? 0;
    }
    records.clear();
    return { tasks, entries, count, bytes, readMs: t1 - t0, applyMs: t2 - t1 };
  }
  fullGc();
  const before = process.memoryUsage();
  const { tasks, entries, count, bytes, readMs, applyMs } = await restoreAll();
  fullGc();
  const after = process.memoryUsage();
  const size = tasks.reduce((n, t) => n + (t.stores.get(STORE) as unknown as { size: number }).size, 0);
  const result: ChildResult = {
    readMs, applyMs, entries: size, records: count, bytes,
    heapPerEntry: (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / entries,
    arrayBuffersPerEntry: (after.arrayBuffers - before.arrayBuffers) / entries,
    heapMiB: after.heapUsed / 2 ** 20, peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  if (size !== entries) throw new Error(`restored ${entries} entries but the stores hold ${size}`);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

// ---- parent ----------------------------------------------------------------------------------------------
import { benchStack } from './lib/stack.ts';
import { logger } from '../src/log.ts';

// Benchmarks print tables, not the runtime's info logs (LOG_LEVEL overrides).
logger.level = process.env.LOG_LEVEL ?? 'warn';

function restoreInChild(app: string, aggregate: 'sum' | 'summary', brokers: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', import.meta.filename], {
      env: { ...process.env, BENCH_RESTORE_CHILD: JSON.stringify({ app, aggregate, brokers: brokers.join(',') }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`restore child exited ${code}: ${out}`));
      else resolve(JSON.parse(line) as ChildResult);
    });
  });
}

/** 32 hex characters, like a series id; deterministic. */
function seriesKeys(random: () => number, n: number): string[] {
  const hex = '0123456789abcdef';
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    for (let c = 0; c < 32; c++) s += hex[Math.floor(random() * 16)];
    out.push(s);
  }
  return out;
}

/** Writes the changelog of SERIES series, partition by partition, through each partition's Task. */
async function writeChangelog(kafka: import('kafkajs').Kafka, app: string, aggregate: 'sum' | 'summary'): Promise<{ records: number; bytes: number; seconds: number }> {
  const topo = rollup(app, aggregate);
  const topic = changelogTopic(app, STORE);
  await createTopic(kafka, topic, PARTITIONS, { 'cleanup.policy': 'compact' });
  const random = rng(777);
  let records = 0;
  let bytes = 0;
  let seconds = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const n = Math.floor(SERIES / PARTITIONS) + (p < SERIES % PARTITIONS ? 1 : 0);
    const task = new Task(topo, p);
    const store = task.stores.get(STORE) as unknown as { put(key: string, start: number, end: number, aggregate: unknown): void };
    const changelog = task.changelogs.get(STORE)!;
    for (let c = 0; c < CHECKPOINTS; c++) {
      for (const key of seriesKeys(random, c === 0 ? n : 0)) {
        const x = Math.round(random() * 1e6) / 1000;
        store.put(key, START, START + WINDOW_MS, aggregate === 'sum' ? x : { count: 6, sum: 6 * x, min: x / 2, max: 2 * x });
      }
      if (c > 0) {
        // Later checkpoints: every bucket dirty again, as a batch touching series in every bucket leaves them.
        for (const entry of (task.stores.get(STORE) as unknown as { entries(): Array<{ key: string; start: number; end: number; aggregate: unknown }> }).entries()) store.put(entry.key, entry.start, entry.end, entry.aggregate);
      }
      const messages = changelog.checkpoint(START + WINDOW_MS / 2);
      const sent = await produce(kafka, topic, chunks(messages.map((m) => ({ key: m.key, value: m.value, partition: p }))));
      records += sent.records;
      bytes += sent.bytes;
      seconds += sent.seconds;
    }
    await task.close();
  }
  return { records, bytes, seconds };
}

// A produce request carries one record batch per partition, and the broker refuses batches above the topic's
// max.message.bytes (1 MiB by default): bucket records go out in sends of at most 512 KiB.
function* chunks<T extends { value: Buffer | null }>(items: T[], maxBytes = 512 << 10): Generator<T[]> {
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = item.value?.length ?? 0;
    if (batch.length > 0 && bytes + size > maxBytes) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

const stack = await benchStack();
const { kafka } = stack;
const topics: string[] = [];
try {
  const results: BenchResult[] = [];
  for (const aggregate of AGGREGATES) {
    const app = unique(`bench-restore-${aggregate}`);
    topics.push(changelogTopic(app, STORE));
    const written = await writeChangelog(kafka, app, aggregate);
    fullGc();
    note(`${aggregate}: wrote ${written.records.toLocaleString('en-US')} bucket records (${(written.bytes / 2 ** 20).toFixed(1)} MiB, ${CHECKPOINTS} checkpoint(s)) of ${SERIES.toLocaleString('en-US')} series in ${written.seconds.toFixed(1)} s`);
    const runs: ChildResult[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const r = await restoreInChild(app, aggregate, stack.brokers);
      if (r.entries !== SERIES) throw new Error(`restored ${r.entries} entries, expected ${SERIES}`);
      runs.push(r);
      note(`${aggregate} run ${run}/${RUNS}: restore ${((r.readMs + r.applyMs) / 1000).toFixed(2)} s (read ${(r.readMs / 1000).toFixed(2)} s, apply ${(r.applyMs / 1000).toFixed(2)} s), ${r.heapPerEntry.toFixed(1)} B per series (${r.arrayBuffersPerEntry.toFixed(1)} in array buffers), peak RSS ${r.peakRssMiB.toFixed(0)} MiB`);
    }
    results.push(
      { metric: `${aggregate}: restore time`, value: round(median(runs.map((r) => (r.readMs + r.applyMs) / 1000)), 2), unit: `s for ${SERIES.toLocaleString('en-US')} series (target < 20)` },
      { metric: `${aggregate}: read changelog (readPartitions)`, value: round(median(runs.map((r) => r.readMs / 1000)), 2), unit: 's' },
      { metric: `${aggregate}: apply (Task.restore)`, value: round(median(runs.map((r) => r.applyMs / 1000)), 2), unit: 's' },
      { metric: `${aggregate}: state memory per series`, value: round(median(runs.map((r) => r.heapPerEntry)), 1), unit: 'bytes of heap + array buffers after GC (target ≤ 300)' },
      { metric: `${aggregate}: of which array buffers`, value: round(median(runs.map((r) => r.arrayBuffersPerEntry)), 1), unit: 'bytes per series (typed array columns)' },
      { metric: `${aggregate}: peak RSS of the restoring process`, value: round(median(runs.map((r) => r.peakRssMiB))), unit: 'MiB' },
      { metric: `${aggregate}: changelog read`, value: round(runs[0].bytes / 2 ** 20, 1), unit: `MiB in ${runs[0].records.toLocaleString('en-US')} records` },
    );
  }
  results.push(
    { metric: 'series', value: SERIES, unit: `one open window each, ${PARTITIONS} partitions, 256 buckets per task` },
    { metric: 'checkpoints in the changelog', value: CHECKPOINTS, unit: 'full-state checkpoints (uncompacted)' },
    { metric: 'runs', value: RUNS, unit: 'restores per aggregate, each in a fresh process' },
  );
  report('restore', results);
} finally {
  await cleanup(kafka, topics);
  await stack.close();
}
