// Log search through the HTTP API over N materialized log records, against SQLite FTS5 over the same bodies.
//
// Preparation: N records of the varied log workload (bench/lib/logWorkload.ts) go through topologies/log-index.yaml
// (patterns on) in process, one task, driven as a worker drives it (batches of 500 fetched records, a commit every
// 20,000 log records, a flush at the end); the blocks and index records of every commit are applied to a real query
// store (LMDB in a temporary directory) in one transaction, as the query service's materializer applies a fetched
// batch. Indexing and materializing are timed apart (records/s of each). The same bodies, in the same order, go to an
// in-memory SQLite FTS5 table (rowid = arrival order, so `ORDER BY rowid DESC` is newest first), in transactions of
// 10,000 rows (records/s too); its size on disk is the page count × page size of a file copy (VACUUM INTO).
//
// Then a QueryServer with the log routes over that store answers `/api/logs/search?q=…&limit=100` over HTTP (one
// keep-alive connection, sequential requests): per query class (term, phrase, prefix, boolean, fuzzy, regex)
// BENCH_REQUESTS requests (1,000) after 50 warm-up requests, rotating over a few queries of realistic selectivity
// (rare to common words of the workload); p50/p99/max per class. FTS5 answers the equivalent queries (fuzzy and
// regex have no FTS5 equivalent) `ORDER BY rowid DESC LIMIT 100`, in process; our search in process (LogSearch,
// without HTTP, at most 200 requests per class) is measured too, to show what the HTTP layer costs.
//
// Sizes: Kafka topic bytes per log record (blocks + index, key + value), the LMDB store's used bytes per record, and
// FTS5's bytes per record, against the raw text (bodies; bodies + attribute text).
//
// Env: BENCH_LOGS (default 1,000,000; the scale is 10,000,000), BENCH_LOG_RATE (records per event-time s,
// 2,000), BENCH_REQUESTS (1,000), BENCH_PROFILE=1 profiles the HTTP query phase (bench/results/log-search.cpuprofile).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { readFileSync } from 'node:fs';
import type { KafkaMessage } from 'kafkajs';
import { parse } from 'yaml';
import { logger } from '../src/log.ts';
import { LogIndexCodec } from '../src/logs/indexRecord.ts';
import { parseSearch } from '../src/logs/search/parse.ts';
import { flushWindows } from '../src/operators/taskEvent.ts';
import { applyLogBlockRecord, applyLogIndexRecord } from '../src/query/logs/apply.ts';
import { planOf } from '../src/query/logs/plan.ts';
import { LogSearch } from '../src/query/logs/search.ts';
import { openLogStore } from '../src/query/logs/store.ts';
import { createQueryMetrics } from '../src/query/metrics.ts';
import { FanOut, LocalReplica } from '../src/query/peers.ts';
import { QueryServer } from '../src/query/server.ts';
import { openQueryStore } from '../src/query/store.ts';
import { TraceQueries } from '../src/query/traces.ts';
import { Task } from '../src/runtime/task.ts';
import { parseTopology } from '../src/topology/index.ts';
import { logInputs, NEEDLES } from './lib/logWorkload.ts';
import { printProfile, startProfile } from './lib/profile.ts';
import { benchStack } from './lib/stack.ts';
import { envNumber, note, round } from './lib/util.ts';
import { quantile, report, type BenchResult } from './report.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';

const LOGS = Math.round(envNumber('BENCH_LOGS', 1_000_000));
const RATE = envNumber('BENCH_LOG_RATE', 2_000);
const REQUESTS = Math.round(envNumber('BENCH_REQUESTS', 1_000));
const WARMUP = 50;
const START_MS = Date.UTC(2026, 10, 1);
const TOPICS = { blocks: 'bench.log-search.blocks', index: 'bench.log-search.index' };
const fmt = (n: number) => round(n).toLocaleString('en-US');
const ms = (n: number) => round(n, 2);

/** Query classes: ours (native syntax) and FTS5's equivalent (undefined: FTS5 has none). Words tokenize alike in both. */
const CLASSES: Array<{ name: string; target: number; queries: Array<[ours: string, fts5: string | undefined]> }> = [
  { name: 'term', target: 5, queries: [['get', 'get'], ['klarna', 'klarna'], ['deadlock', 'deadlock'], ['captured', 'captured'], ['liveness', 'liveness']] },
  {
    name: 'phrase',
    target: 5,
    queries: [['"connection refused"', '"connection refused"'], ['"already checked out"', '"already checked out"'], ['"cache miss for key"', '"cache miss for key"'], ['"read timed out"', '"read timed out"'], ['"liveness probe failed"', '"liveness probe failed"']],
  },
  { name: 'prefix', target: 60, queries: [['capt*', 'capt*'], ['dead*', 'dead*'], ['refus*', 'refus*'], ['ship*', 'ship*'], ['conn*', 'conn*']] },
  {
    name: 'boolean',
    target: 60,
    queries: [['email AND receipt', 'email AND receipt'], ['(visa OR paypal) AND captured', '(visa OR paypal) AND captured'], ['retrying NOT charge', 'retrying NOT charge'], ['slow AND query AND NOT shipments', 'slow AND query NOT shipments'], ['deadlock OR refused', 'deadlock OR refused']],
  },
  { name: 'fuzzy', target: 200, queries: [['captrued~', undefined], ['dedlock~1', undefined], ['refsued~', undefined], ['livenes~1', undefined], ['klarma~2', undefined]] },
  { name: 'regex', target: 200, queries: [['/capt.*/', undefined], ['/dead(lock|line)/', undefined], ['/(visa|paypal)/', undefined], ['/ret[a-z]+ing/', undefined], ['/5[0-9][0-9]/', undefined]] },
];

function logIndexTopology() {
  const doc = parse(readFileSync('topologies/log-index.yaml', 'utf8')) as { steps: Array<Record<string, Record<string, unknown>>> };
  Object.assign(doc.steps[0].log_index, { blocks_topic: TOPICS.blocks, index_topic: TOPICS.index });
  const loaded = parseTopology(JSON.stringify(doc), 'log-index.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.topology;
}

/** Latencies of `count` calls of `ask` (after `WARMUP`), rotating over `queries`; ms. */
async function latencies<Q>(queries: Q[], count: number, ask: (q: Q) => Promise<unknown> | unknown): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await ask(queries[i % queries.length]);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await ask(queries[i % queries.length]);
    out.push(performance.now() - t0);
  }
  return out;
}

const stats = (xs: number[]) => ({ p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: Math.max(...xs) });

const stack = await benchStack();
const dir = mkdtempSync(join(tmpdir(), 'bench-log-search-'));
let server: QueryServer | undefined;
const store = openQueryStore(join(dir, 'store'));
try {
  const logs = openLogStore(store.root);
  const topology = logIndexTopology();
  await topology.prepare?.(stack.config);
  const codec = new LogIndexCodec(TOPICS.index);
  await codec.prepare(stack.config);

  // FTS5 over the same bodies, in arrival order.
  const fts = new DatabaseSync(':memory:');
  fts.exec('CREATE VIRTUAL TABLE logs USING fts5(body)');
  const insert = fts.prepare('INSERT INTO logs(rowid, body) VALUES (?, ?)');
  let ftsRow = 0;
  let ftsMs = 0;
  let ftsPending: string[] = [];
  const ftsFlush = () => {
    const t0 = performance.now();
    fts.exec('BEGIN');
    for (const body of ftsPending) insert.run(++ftsRow, body);
    fts.exec('COMMIT');
    ftsMs += performance.now() - t0;
    ftsPending = [];
  };

  // Our side: the task, its checkpoints applied to the store.
  const task = new Task(topology, 0, { now: () => START_MS + 86_400_000 });
  task.start();
  const sizes = { blocks: 0, index: 0, blockRecords: 0, indexRecords: 0 };
  let indexMs = 0;
  let applyMs = 0;
  const apply = () => {
    let t0 = performance.now();
    const messages = task.takeCheckpoint().messages;
    indexMs += performance.now() - t0;
    t0 = performance.now();
    const blocks = messages.get(TOPICS.blocks) ?? [];
    const index = messages.get(TOPICS.index) ?? [];
    store.root.transactionSync(() => {
      for (const r of blocks) applyLogBlockRecord(logs, r.key as string, r.value as Buffer | null);
      for (const r of index) applyLogIndexRecord(logs, codec, r.key as string, r.value as Buffer | null);
    });
    applyMs += performance.now() - t0;
    for (const r of blocks) sizes.blocks += Buffer.byteLength(r.key as string) + (r.value as Buffer).length;
    for (const r of index) sizes.index += Buffer.byteLength(r.key as string) + (r.value as Buffer).length;
    sizes.blockRecords += blocks.length;
    sizes.indexRecords += index.length;
  };
  const t0 = performance.now();
  let generateMs = 0;
  let seen = 0;
  let sinceCommit = 0;
  let offset = 0;
  let bodyBytes = 0;
  let textBytes = 0;
  let batch: KafkaMessage[] = [];
  const inputs = logInputs({ seed: 19, count: LOGS, startMs: START_MS, perSecond: RATE }, (_record, body) => {
    ftsPending.push(body);
  });
  for (let g0 = performance.now(), next = inputs.next(); !next.done; g0 = performance.now(), next = inputs.next()) {
    generateMs += performance.now() - g0;
    const r = next.value;
    if (ftsPending.length >= 10_000) ftsFlush();
    bodyBytes += r.bodyBytes;
    textBytes += r.textBytes;
    batch.push({ key: Buffer.from(r.key), value: r.value, offset: String(offset++), timestamp: String(r.at), attributes: 0, headers: {} } as KafkaMessage);
    seen += r.logs;
    sinceCommit += r.logs;
    if (batch.length >= 500 || sinceCommit >= 20_000) {
      const p0 = performance.now();
      task.process(batch, BigInt(offset));
      indexMs += performance.now() - p0;
      batch = [];
    }
    if (sinceCommit >= 20_000) {
      apply();
      sinceCommit = 0;
    }
    if (offset % 2000 === 0) note(`${fmt(seen)} records: indexing ${fmt((seen / indexMs) * 1000)}/s, materializing ${fmt((seen / applyMs) * 1000)}/s, FTS5 ${fmt((ftsRow / ftsMs) * 1000)}/s`);
  }
  if (batch.length > 0) task.process(batch, BigInt(offset));
  const f0 = performance.now();
  task.control(flushWindows);
  indexMs += performance.now() - f0;
  apply();
  ftsFlush();
  void task.close();
  if (seen !== LOGS || ftsRow !== LOGS) throw new Error(`indexed ${seen}, FTS5 got ${ftsRow}, expected ${LOGS}`);
  note(`prepared ${fmt(LOGS)} records in ${((performance.now() - t0) / 1000).toFixed(0)} s (generating ${(generateMs / 1000).toFixed(0)} s): ${fmt(sizes.indexRecords)} segments`);
  await store.root.flushed;
  const lmdbUsed = store.usedBytes();
  const ftsFile = join(dir, 'fts5.db');
  fts.exec(`VACUUM INTO '${ftsFile}'`);
  const ftsDisk = new DatabaseSync(ftsFile);
  const pages = ftsDisk.prepare('PRAGMA page_count').get() as { page_count: number };
  const pageSize = ftsDisk.prepare('PRAGMA page_size').get() as { page_size: number };
  ftsDisk.close();
  const ftsBytes = pages.page_count * pageSize.page_size;
  note(`FTS5 file ${(statSync(ftsFile).size / 2 ** 20).toFixed(0)} MiB, LMDB used ${(lmdbUsed / 2 ** 20).toFixed(0)} MiB`);
  // Where the store's pages go: entries and pages per database of the log store.
  for (const [name, db] of Object.entries(logs)) {
    const st = (db as { getStats(): Record<string, number> }).getStats();
    const pagesOf = (st.treeBranchPageCount ?? 0) + (st.treeLeafPageCount ?? 0) + (st.overflowPages ?? 0);
    note(`  LMDB ${name}: ${fmt(st.entryCount)} entries, ${fmt(pagesOf)} pages (${((pagesOf * (st.pageSize ?? 4096)) / 2 ** 20).toFixed(0)} MiB, ${((pagesOf * (st.pageSize ?? 4096)) / LOGS).toFixed(1)} B/log)`);
  }
  rmSync(ftsFile);

  // The server.
  const search = new LogSearch(logs);
  const local = new LocalReplica(new TraceQueries(store));
  server = new QueryServer({
    host: '127.0.0.1',
    port: 0,
    tenancy: { mode: 'none' },
    metrics: createQueryMetrics(() => store.usedBytes()),
    isReady: () => true,
    log: logger,
    context: { fanOut: new FanOut(local, []), localOnly: new FanOut(local, []), local, logs: search, version: 'bench' },
  });
  const port = await server.start();
  // One keep-alive connection per class: the server closes idle ones after 5 s (the in-process and FTS5 phases).
  let agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (q: string): Promise<{ logs: unknown[] }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, agent, path: `/api/logs/search?limit=100&q=${encodeURIComponent(q)}` }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`q=${q}: ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text) as { logs: unknown[] });
        });
      });
      req.on('error', reject);
      req.end();
    });
  const ftsQuery = fts.prepare('SELECT rowid, body FROM logs WHERE logs MATCH ? ORDER BY rowid DESC LIMIT 100');
  const ftsCount = fts.prepare('SELECT count(*) AS n FROM logs WHERE logs MATCH ?');

  const results: BenchResult[] = [];
  const profiling = process.env.BENCH_PROFILE ? await startProfile('bench/results/log-search.cpuprofile') : undefined;
  for (const c of CLASSES) {
    agent.destroy();
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const found: string[] = [];
    for (const [ours, theirs] of c.queries) {
      const hits = (await get(ours)).logs.length;
      const total = theirs === undefined ? '' : `, FTS5 ${(ftsQuery.all(theirs) as unknown[]).length} (of ${fmt((ftsCount.get(theirs) as { n: number }).n)} matches)`;
      found.push(`${ours} → ${hits}${total}`);
    }
    note(`${c.name}: ${found.join('; ')}`);
    const http = stats(await latencies(c.queries.map((q) => q[0]), REQUESTS, get));
    const plans = c.queries.map((q) => planOf(parseSearch(q[0])));
    const inProcess = stats(await latencies(plans, Math.min(REQUESTS, 200), (plan) => search.search(plan, { tenant: '', startMs: 0, endMs: Number.MAX_SAFE_INTEGER, limit: 100 })));
    results.push(
      { metric: `${c.name}: p50`, value: ms(http.p50), unit: 'ms (HTTP, limit 100)' },
      { metric: `${c.name}: p99`, value: ms(http.p99), unit: `ms (target ≤ ${c.target} ms)` },
      { metric: `${c.name}: max`, value: ms(http.max), unit: 'ms' },
      { metric: `${c.name}: p99 in process`, value: ms(inProcess.p99), unit: `ms (LogSearch without HTTP, ${Math.min(REQUESTS, 200)} requests; p50 ${ms(inProcess.p50)})` },
    );
    const theirs = c.queries.map((q) => q[1]);
    if (theirs.every((q) => q !== undefined)) {
      const f = stats(await latencies(theirs as string[], REQUESTS, (q) => ftsQuery.all(q)));
      results.push({ metric: `${c.name}: FTS5 p50 / p99`, value: ms(f.p99), unit: `ms p99 (p50 ${ms(f.p50)}, max ${ms(f.max)}; in process, LIMIT 100)` });
    } else {
      results.push({ metric: `${c.name}: FTS5`, value: 0, unit: 'no equivalent in FTS5' });
    }
    note(`${c.name}: HTTP p50 ${ms(http.p50)} p99 ${ms(http.p99)} max ${ms(http.max)} ms; in process p99 ${ms(inProcess.p99)} ms`);
  }
  const profile = await profiling?.();
  if (profile) printProfile(profile);
  agent.destroy();

  const stored = sizes.blocks + sizes.index;
  results.push(
    { metric: 'indexing (log_index, one task)', value: round((LOGS / indexMs) * 1000), unit: 'logs/s (patterns on)' },
    { metric: 'materializing into the store', value: round((LOGS / applyMs) * 1000), unit: 'logs/s (one LMDB transaction per commit)' },
    { metric: 'FTS5 inserts', value: round((LOGS / ftsMs) * 1000), unit: 'logs/s (in memory, 10,000 per transaction)' },
    { metric: 'Kafka topics per log (blocks + index)', value: round(stored / LOGS, 2), unit: `B (blocks ${round(sizes.blocks / LOGS, 2)}, index ${round(sizes.index / LOGS, 2)}; ${fmt(sizes.indexRecords)} segments)` },
    { metric: 'LMDB store used per log', value: round(lmdbUsed / LOGS, 2), unit: 'B (pages in use)' },
    { metric: 'FTS5 per log', value: round(ftsBytes / LOGS, 2), unit: 'B (page_count × page_size, bodies only)' },
    { metric: 'raw text per log: body', value: round(bodyBytes / LOGS, 2), unit: 'B' },
    { metric: 'raw text per log: body + attributes', value: round(textBytes / LOGS, 2), unit: 'B' },
    { metric: 'Kafka topics ÷ raw text (body + attributes)', value: round((stored / textBytes) * 100, 1), unit: '% (target < 100 %)' },
    { metric: 'FTS5 ÷ raw body text', value: round((ftsBytes / bodyBytes) * 100, 1), unit: '%' },
    { metric: 'peak RSS', value: round(process.resourceUsage().maxRSS / 1024), unit: 'MiB (whole process: FTS5 in memory too)' },
    { metric: 'scale', value: LOGS, unit: `log records (${fmt(RATE)} per event-time s; needles: deadlock ${NEEDLES.deadlock.share}, OOM ${NEEDLES.outOfMemory.share} of records)` },
    { metric: 'requests per class', value: REQUESTS, unit: `sequential, after ${WARMUP} warm-up (machine shared: noisy)` },
  );
  report('log-search', results);
} finally {
  await server?.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  await stack.close();
}
