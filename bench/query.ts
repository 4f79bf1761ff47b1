// The query service (src/query/service.ts) with N generated traces of about 20 spans materialized from Kafka: catch-up
// rate, disk bytes per span, index size, and latencies through the HTTP API — trace by id, tags search, TraceQL search.
//
// Preparation: the traces (bench/lib/traceWorkload.ts) go through topologies/trace-index.yaml in process, one task per
// partition (4), the way trace-index.ts runs it, with a flush at the end so every block is sealed; its otlp.traces and
// otlp.index records are produced once to fresh topics of the shared stack (the index schema registered as the
// topology registers it). Then, BENCH_CATCHUP_RUNS times, a fresh replica (own LMDB data dir) starts and catches up:
// spans/s from start() until ready (group join included). The last replica answers the queries: BENCH_REQUESTS
// (1,000) sequential requests of each kind after 100 warm-up requests, repeated BENCH_RUNS times (medians of p50, p99
// and max). Searches use limit=20 (Tempo's default) and a rotation of queries over services, routes, span names,
// status and durations (those that find nothing are counted).
//
// Scale: `--traces=N` (or BENCH_TRACES; default 50,000). The issue's 1,000,000 traces take about an hour to prepare on
// a 2-core machine. Env: BENCH_RUNS (3), BENCH_CATCHUP_RUNS (3), BENCH_REQUESTS (1000).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { logger } from '../src/log.ts';
import { QueryService } from '../src/query/service.ts';
import type { Span } from '../src/otlp/index.ts';
import { cleanup, createTopic, produce } from './lib/kafka.ts';
import { benchStack } from './lib/stack.ts';
import { arrivals, benchTraces, runTask, traceIndexTopology, type SpanRecord } from './lib/traceWorkload.ts';
import { envNumber, fullGc, note, rng, round, unique } from './lib/util.ts';
import { median, quantile, report, type BenchResult } from './report.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';

const flag = process.argv.find((a) => a.startsWith('--traces='));
const TRACES = flag ? Math.round(Number(flag.slice('--traces='.length))) : Math.round(envNumber('BENCH_TRACES', 50_000));
if (!(TRACES > 0)) throw new Error(`--traces: expected a positive number, got ${flag}`);
const RUNS = Math.round(envNumber('BENCH_RUNS', 3));
const CATCHUP_RUNS = Math.round(envNumber('BENCH_CATCHUP_RUNS', 3));
const REQUESTS = Math.round(envNumber('BENCH_REQUESTS', 1_000));
const PARTITIONS = 4;
const START_MS = Date.UTC(2026, 10, 1);
const fmt = (n: number) => round(n).toLocaleString('en-US');
const spread = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;

/** Bytes the files of a directory take on disk (allocated blocks: LMDB's file is sparse). */
function diskBytes(dir: string): { allocated: number; apparent: number } {
  let allocated = 0;
  let apparent = 0;
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue;
    const s = statSync(join(f.parentPath, f.name));
    allocated += s.blocks * 512;
    apparent += s.size;
  }
  return { allocated, apparent };
}

const stack = await benchStack();
const { kafka, config } = stack;
const id = unique('bench-query');
const topics = { traces: `${id}.traces`, index: `${id}.index` };
const dirs: string[] = [];
let service: QueryService | undefined;
try {
  // Preparation: traces → the trace-index topology (in process, per partition) → records on Kafka.
  const t0 = performance.now();
  const perPartition: SpanRecord[][] = Array.from({ length: PARTITIONS }, () => []);
  const ids: string[] = [];
  const vocabulary = { services: new Set<string>(), routes: new Set<string>(), names: new Set<string>() };
  const sampled = (traces: Iterable<Span[]>) =>
    (function* () {
      for (const t of traces) {
        ids.push(t[0].traceId);
        if (ids.length <= 2_000) {
          for (const s of t) {
            for (const a of s.resource.attributes) if (a.key === 'service.name') vocabulary.services.add(String(a.value));
            for (const a of s.attributes) if (a.key === 'http.route') vocabulary.routes.add(String(a.value));
            vocabulary.names.add(s.name);
          }
        }
        yield t;
      }
    })();
  let spans = 0;
  let rawBytes = 0;
  for (const r of arrivals(sampled(benchTraces({ seed: 16, count: TRACES, startMs: START_MS, perSecond: 1_000 })))) {
    perPartition[parseInt(r.key.slice(0, 8), 16) % PARTITIONS].push(r);
    spans += r.spans;
    rawBytes += r.value.length;
  }
  note(`generated ${fmt(TRACES)} traces, ${fmt(spans)} spans (${(spans / TRACES).toFixed(1)} per trace), ${(rawBytes / 2 ** 20).toFixed(0)} MiB OTLP, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const topology = traceIndexTopology(topics);
  await topology.prepare?.(config);
  await createTopic(kafka, topics.traces, PARTITIONS);
  await createTopic(kafka, topics.index, PARTITIONS);
  const sizes = { traces: 0, index: 0, traceRecords: 0, indexRecords: 0 };
  const now = () => START_MS + 86_400_000;
  for (let p = 0; p < PARTITIONS; p++) {
    const out = runTask(topology, perPartition[p], { partition: p, flush: true, keep: [topics.traces, topics.index], now });
    perPartition[p] = [];
    for (const [topic, list] of out.kept) {
      const messages: Message[] = list.map((r) => ({ key: r.key, value: r.value, headers: r.headers, partition: p }));
      const bytes = list.reduce((n, r) => n + (r.key === null ? 0 : Buffer.byteLength(r.key)) + (r.value === null ? 0 : Buffer.byteLength(r.value)), 0);
      if (topic === topics.traces) {
        sizes.traces += bytes;
        sizes.traceRecords += list.length;
      } else {
        sizes.index += bytes;
        sizes.indexRecords += list.length;
      }
      // Sends of at most ~512 KiB: a produce request's record batch must stay under the broker's 1 MiB.
      const batches = function* () {
        let batch: Message[] = [];
        let size = 0;
        for (const m of messages) {
          const n = (m.value as Buffer | null)?.length ?? 0;
          if (batch.length > 0 && size + n > 512 * 1024) {
            yield batch;
            batch = [];
            size = 0;
          }
          batch.push(m);
          size += n;
        }
        if (batch.length > 0) yield batch;
      };
      await produce(kafka, topic, batches());
    }
    note(`partition ${p}: indexed ${fmt(out.spans)} spans in ${(out.ms / 1000).toFixed(1)} s and produced its records`);
  }
  note(`prepared in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${fmt(sizes.traceRecords)} otlp.traces records (${(sizes.traces / 2 ** 20).toFixed(0)} MiB), ${fmt(sizes.indexRecords)} otlp.index records (${(sizes.index / 2 ** 20).toFixed(1)} MiB)`);

  // Catch-up: fresh replicas from offset 0 until ready.
  const catchUp: number[] = [];
  let disk = { allocated: 0, apparent: 0 };
  let used = 0;
  for (let run = 1; run <= CATCHUP_RUNS; run++) {
    await service?.stop();
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-query-'));
    dirs.push(dataDir);
    fullGc();
    service = new QueryService(kafka, config, { host: '127.0.0.1', port: 0, dataDir, peers: [], topics, tenancy: { mode: 'none' }, log: logger });
    const c0 = performance.now();
    await service.start();
    await service.ready;
    const seconds = (performance.now() - c0) / 1000;
    catchUp.push(spans / seconds);
    disk = diskBytes(dataDir);
    used = service.store.usedBytes();
    note(`catch-up ${run}/${CATCHUP_RUNS}: ${seconds.toFixed(1)} s, ${fmt(catchUp.at(-1)!)} spans/s; store ${(used / 2 ** 20).toFixed(0)} MiB used, ${(disk.allocated / 2 ** 20).toFixed(0)} MiB on disk`);
  }
  const base = `http://127.0.0.1:${service!.port}`;
  // Where the store's bytes go: pages of each sub-database (branch + leaf + overflow) and its entries.
  const breakdown: BenchResult[] = [];
  const store = service!.store;
  for (const name of ['traces', 'summaries', 'recent', 'postings', 'tagValues', 'operations', 'blocks', 'segments'] as const) {
    const st = store[name].getStats() as { pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number; entryCount: number };
    const bytes = (st.treeBranchPageCount + st.treeLeafPageCount + st.overflowPages) * st.pageSize;
    breakdown.push({ metric: `store: ${name} per span`, value: round(bytes / spans, 1), unit: `B (${fmt(st.entryCount)} entries, ${(bytes / 2 ** 20).toFixed(0)} MiB)` });
  }
  note(`store by sub-database: ${breakdown.map((b) => `${b.metric.slice(7, -9)} ${b.value} B/span`).join(', ')}`);

  // Queries.
  const random = rng(2026);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const services = [...vocabulary.services].sort();
  const routes = [...vocabulary.routes].sort();
  const names = [...vocabulary.names].sort();
  const tagQueries = [
    () => `tags=${encodeURIComponent(`service.name=${pick(services)}`)}`,
    () => `tags=${encodeURIComponent(`http.route=${pick(routes)}`)}`,
    () => `tags=${encodeURIComponent(`service.name=${pick(services)}`)}&minDuration=20ms`,
    () => `tags=${encodeURIComponent(`http.request.method=POST http.route=${pick(routes)}`)}`,
    () => `tags=${encodeURIComponent('http.response.status_code=500')}`,
  ];
  const traceqlQueries = [
    () => `{ resource.service.name = "${pick(services)}" && duration > 20ms }`,
    () => `{ span.http.route = "${pick(routes)}" }`,
    () => '{ status = error }',
    () => `{ name = "${pick(names)}" } || { resource.service.name = "${pick(services)}" && kind = server }`,
    () => `{ resource.service.name = "${pick(services)}" && status = error }`,
  ];
  let empty = 0;
  const timed = async (path: string, check: (status: number, body: string) => void, headers: Record<string, string> = {}): Promise<number> => {
    const q0 = performance.now();
    const res = await fetch(base + path, { headers });
    const body = Buffer.from(await res.arrayBuffer());
    const ms = performance.now() - q0;
    check(res.status, headers.accept ? '' : body.toString());
    return ms;
  };
  const okTrace = (status: number, body: string) => {
    if (status !== 200) throw new Error(`trace by id: ${status} ${body.slice(0, 200)}`);
  };
  const okSearch = (path: string) => (status: number, body: string) => {
    if (status !== 200) throw new Error(`${path}: ${status} ${body.slice(0, 200)}`);
    if ((JSON.parse(body) as { traces: unknown[] }).traces.length === 0) empty++;
  };
  const kinds = {
    'trace by id (OTLP JSON)': () => `/api/traces/${pick(ids)}`,
    'trace by id (protobuf)': () => `/api/traces/${pick(ids)}`,
    'tags search': () => `/api/search?${pick(tagQueries)()}&limit=20`,
    'TraceQL search': () => `/api/search?q=${encodeURIComponent(pick(traceqlQueries)())}&limit=20`,
  } as const;
  const latencies: Record<keyof typeof kinds, { p50: number[]; p99: number[]; max: number[]; empty: number[] }> = {
    'trace by id (OTLP JSON)': { p50: [], p99: [], max: [], empty: [] },
    'trace by id (protobuf)': { p50: [], p99: [], max: [], empty: [] },
    'tags search': { p50: [], p99: [], max: [], empty: [] },
    'TraceQL search': { p50: [], p99: [], max: [], empty: [] },
  };
  for (let run = 1; run <= RUNS; run++) {
    const line: string[] = [];
    for (const [kind, path] of Object.entries(kinds) as [keyof typeof kinds, () => string][]) {
      const byId = kind.startsWith('trace by id');
      const check = (p: string) => (byId ? okTrace : okSearch(p));
      const headers: Record<string, string> = kind === 'trace by id (protobuf)' ? { accept: 'application/protobuf' } : {};
      for (let i = 0; i < 100; i++) {
        const p = path();
        await timed(p, check(p), headers);
      }
      empty = 0;
      const ms: number[] = [];
      const slow: [number, string][] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const p = path();
        ms.push(await timed(p, check(p), headers));
        slow.push([ms.at(-1)!, p]);
      }
      if (run === RUNS && !byId) {
        slow.sort((a, b) => b[0] - a[0]);
        note(`slowest ${kind}es: ${slow.slice(0, 4).map(([t, p]) => `${t.toFixed(0)} ms ${decodeURIComponent(p.replace('/api/search?', ''))}`).join(' | ')}`);
      }
      const l = latencies[kind];
      l.empty.push(empty);
      l.p50.push(quantile(ms, 0.5));
      l.p99.push(quantile(ms, 0.99));
      l.max.push(Math.max(...ms));
      line.push(`${kind} p50 ${quantile(ms, 0.5).toFixed(2)} p99 ${quantile(ms, 0.99).toFixed(2)} max ${Math.max(...ms).toFixed(1)} ms`);
    }
    note(`queries ${run}/${RUNS}: ${line.join('; ')}`);
  }

  const TARGETS: Record<keyof typeof kinds, string> = { 'trace by id (OTLP JSON)': '< 2 ms', 'trace by id (protobuf)': '< 2 ms', 'tags search': '< 30 ms', 'TraceQL search': '< 100 ms' };
  const results: BenchResult[] = [];
  for (const kind of Object.keys(kinds) as (keyof typeof kinds)[]) {
    const l = latencies[kind];
    results.push(
      { metric: `${kind} p50`, value: round(median(l.p50), 3), unit: `ms, median of runs (${REQUESTS} requests each)` },
      { metric: `${kind} p99`, value: round(median(l.p99), 3), unit: `ms, median of runs (${l.p99.map((x) => x.toFixed(2)).join(', ')}); target ${TARGETS[kind]}` },
      { metric: `${kind} max`, value: round(median(l.max), 3), unit: 'ms, median of runs' },
    );
    if (!kind.startsWith('trace by id')) results.push({ metric: `${kind}, found nothing`, value: median(l.empty), unit: `of ${REQUESTS} requests (median of runs; a search finding fewer than the limit reads every candidate)` });
  }
  results.push(
    { metric: 'catch-up from Kafka', value: round(median(catchUp)), unit: `spans/s, median (runs ${spread(catchUp)}); start → ready, group join included` },
    { metric: 'disk bytes per span', value: round(disk.allocated / spans, 1), unit: `B (LMDB data dir, allocated; ${(disk.allocated / 2 ** 20).toFixed(0)} MiB)` },
    { metric: 'store pages in use per span', value: round(used / spans, 1), unit: 'B (LMDB pages × page size)' },
    ...breakdown,
    { metric: 'otlp.index bytes per span', value: round(sizes.index / spans, 2), unit: `B (key + value, ${fmt(sizes.indexRecords)} records)` },
    { metric: 'otlp.traces bytes per span', value: round(sizes.traces / spans, 2), unit: `B (key + value, ${fmt(sizes.traceRecords)} records)` },
    { metric: 'index ÷ raw OTLP spans', value: round((sizes.index / rawBytes) * 100, 2), unit: `% (otlp.index bytes ÷ ${(rawBytes / spans).toFixed(0)} B/span of OTLP protobuf; target < 10 %)` },
    { metric: 'store ÷ raw OTLP spans', value: round((disk.allocated / rawBytes) * 100, 1), unit: '% (LMDB on disk, traces included)' },
    { metric: 'peak RSS', value: round(process.resourceUsage().maxRSS / 1024), unit: 'MiB (whole process: preparation included)' },
    { metric: 'scale', value: TRACES, unit: `traces, ${fmt(spans)} spans (${(spans / TRACES).toFixed(1)} per trace), ${PARTITIONS} partitions; the issue asks 1,000,000 traces` },
    { metric: 'runs', value: RUNS, unit: `query runs, ${CATCHUP_RUNS} catch-up runs (machine shared: noisy)` },
  );
  report('query', results);
} finally {
  await service?.stop().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await cleanup(kafka, [topics.traces, topics.index], []);
  await stack.close();
}
