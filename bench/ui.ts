// The web UI's traces view in headless Chromium against a query service: (a) the waterfall of a 10,000-span trace —
// from navigation to the trace's route until its rows are drawn — and (b) the search page's first meaningful content
// (the result list) over N materialized traces.
//
// Preparation (as bench/query.ts): N generated traces of about 20 spans (bench/lib/traceWorkload.ts) plus one trace
// of 10,000 spans (generated requests grafted under one root, a new one every 0.3 ms) go through
// topologies/trace-index.yaml in process, one task per partition; the otlp.traces and otlp.index records are
// produced to fresh topics of the shared stack (and an empty logs topic, so the logs panel answers); one query
// replica catches up. Then BENCH_LOADS fresh page loads (after 2 warm-up loads) of each route, in one Chromium.
//
// What is timed: the app sets performance marks once the rows (`traces:waterfall`) or the results
// (`traces:results`) are painted (a task after the next animation frame); their startTime is ms since the navigation
// started: HTML, the bundle, the API calls, parsing, layout and rendering included. The API calls' own share is read
// from the resource timings.
//
// Scale: `--traces=N` (or BENCH_TRACES; default 50,000). The 1,000,000 traces take about an hour to prepare
// on a 2-core machine. `--keep` leaves the service running for a look in a browser (Ctrl-C ends it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import type { Browser, Page } from 'puppeteer-core';
import { Random } from '../src/gen/random.ts';
import { instancesOf, SHOP } from '../src/gen/services.ts';
import { generateTrace } from '../src/gen/traces.ts';
import { logger } from '../src/log.ts';
import type { Span } from '../src/otlp/index.ts';
import { QueryService } from '../src/query/service.ts';
import { launchBrowser } from '../test/helpers/browser.ts';
import { cleanup, createTopic, produce } from './lib/kafka.ts';
import { benchStack } from './lib/stack.ts';
import { arrivals, benchTraces, recordsOf, runTask, traceIndexTopology, type SpanRecord } from './lib/traceWorkload.ts';
import { envNumber, note, round, unique } from './lib/util.ts';
import { median, quantile, report, type BenchResult } from './report.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';

const flag = process.argv.find((a) => a.startsWith('--traces='));
const TRACES = flag ? Math.round(Number(flag.slice('--traces='.length))) : Math.round(envNumber('BENCH_TRACES', 50_000));
if (!(TRACES > 0)) throw new Error(`--traces: expected a positive number, got ${flag}`);
const KEEP = process.argv.includes('--keep');
const LOADS = Math.round(envNumber('BENCH_LOADS', 10));
const BIG_SPANS = 10_000;
const PARTITIONS = 4;
const START_MS = Date.UTC(2026, 10, 1);
const fmt = (n: number) => round(n).toLocaleString('en-US');

/** One trace of exactly `count` spans: generated requests grafted under the first one's root, spread over time. */
function bigTrace(count: number, startMs: number): Span[] {
  const rng = new Random(1_018); // not the seed of the other traces: its ids must not collide with theirs
  const instances = instancesOf(SHOP);
  const spans = generateTrace(rng, instances, startMs);
  const root = spans.find((s) => s.parentSpanId === '')!;
  for (let i = 1; spans.length < count; i++) {
    for (const s of generateTrace(rng, instances, startMs + i * 0.3)) {
      if (spans.length >= count) break;
      spans.push({ ...s, traceId: root.traceId, parentSpanId: s.parentSpanId === '' ? root.spanId : s.parentSpanId });
    }
  }
  // Spans cut off above lost their parent: they stay, as orphans the waterfall shows at the top level.
  let end = root;
  for (const s of spans) if (s.endTimeMs > end.endTimeMs || (s.endTimeMs === end.endTimeMs && s.endTimeNanos > end.endTimeNanos)) end = s;
  Object.assign(root, { endTimeMs: end.endTimeMs, endTimeNanos: end.endTimeNanos });
  return spans;
}

interface Load {
  /** ms from navigation start to the mark. */
  mark: number;
  /** ms from navigation start until the answer the view draws from (`api`) ended. */
  api: number;
}

/** Loads `url` in a fresh document and waits for `mark`; returns its time and when the answer of `api` ended. */
async function load(page: Page, url: string, mark: string, api: string, check: (page: Page) => Promise<void>): Promise<Load> {
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForFunction((m) => performance.getEntriesByName(m).length > 0, { timeout: 120_000, polling: 50 }, mark);
  await check(page);
  return page.evaluate(
    (m, path) => {
      const at = performance.getEntriesByName(m)[0].startTime;
      const ends = performance.getEntriesByType('resource').filter((r) => r.name.includes(path)).map((r) => (r as unknown as { responseEnd: number }).responseEnd);
      return { mark: at, api: Math.max(0, ...ends) };
    },
    mark,
    api,
  );
}

const stack = await benchStack();
const { kafka, config } = stack;
const id = unique('bench-ui');
const topics = { traces: `${id}.traces`, index: `${id}.index`, logs: `${id}.logs` };
const dirs: string[] = [];
let service: QueryService | undefined;
let browser: Browser | undefined;
try {
  const t0 = performance.now();
  const perPartition: SpanRecord[][] = Array.from({ length: PARTITIONS }, () => []);
  let spans = 0;
  const big = bigTrace(BIG_SPANS, START_MS + 1_000);
  const bigId = big[0].traceId;
  const all = function* () {
    yield* benchTraces({ seed: 18, count: TRACES, startMs: START_MS, perSecond: 1_000 });
    yield big;
  };
  for (const r of arrivals(all())) {
    perPartition[parseInt(r.key.slice(0, 8), 16) % PARTITIONS].push(r);
    spans += r.spans;
  }
  note(`generated ${fmt(TRACES)} traces and one of ${fmt(BIG_SPANS)} spans (${recordsOf(big).length} input records): ${fmt(spans)} spans in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const topology = traceIndexTopology(topics);
  await topology.prepare?.(config);
  // The 10,000-span trace is one otlp.traces record of a few MiB.
  await createTopic(kafka, topics.traces, PARTITIONS, { 'max.message.bytes': String(64 * 2 ** 20) });
  await createTopic(kafka, topics.index, PARTITIONS);
  await createTopic(kafka, topics.logs, PARTITIONS);
  const now = () => START_MS + 86_400_000;
  for (let p = 0; p < PARTITIONS; p++) {
    const out = runTask(topology, perPartition[p], { partition: p, flush: true, keep: [topics.traces, topics.index], now });
    perPartition[p] = [];
    for (const [topic, list] of out.kept) {
      const batches = function* () {
        let batch: Message[] = [];
        let size = 0;
        for (const r of list) {
          const n = r.value === null ? 0 : Buffer.byteLength(r.value);
          if (batch.length > 0 && size + n > 512 * 1024) {
            yield batch;
            batch = [];
            size = 0;
          }
          batch.push({ key: r.key, value: r.value, headers: r.headers, partition: p });
          size += n;
        }
        if (batch.length > 0) yield batch;
      };
      await produce(kafka, topic, batches());
    }
    note(`partition ${p}: indexed ${fmt(out.spans)} spans in ${(out.ms / 1000).toFixed(1)} s and produced its records`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ui-'));
  dirs.push(dataDir);
  service = new QueryService(kafka, config, { host: '127.0.0.1', port: 0, dataDir, peers: [], topics, tenancy: { mode: 'none' }, log: logger });
  const c0 = performance.now();
  await service.start();
  await service.ready;
  note(`prepared in ${((performance.now() - t0) / 1000).toFixed(0)} s (replica caught up in ${((performance.now() - c0) / 1000).toFixed(1)} s)`);
  const base = `http://127.0.0.1:${service.port}`;
  const startS = Math.floor(START_MS / 1000);
  const endS = Math.ceil((START_MS + (TRACES / 1_000) * 1000) / 1000) + 60;
  const searchUrl = `${base}/ui/#/traces?service=frontend&start=${START_MS}&end=${endS * 1000}`;
  const traceUrl = `${base}/ui/#/traces?trace=${bigId}`;
  if (KEEP) {
    // A look in a browser instead of the measurement; Ctrl-C cleans up.
    note(`kept running (Ctrl-C ends it): ${searchUrl}\n  ${traceUrl}`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  } else {
    await measure(base, searchUrl, traceUrl, startS, endS, spans);
  }
} finally {
  await browser?.close().catch(() => {});
  await service?.stop().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await cleanup(kafka, [topics.traces, topics.index, topics.logs], []);
  await stack.close();
}

async function measure(base: string, searchUrl: string, traceUrl: string, startS: number, endS: number, spans: number): Promise<void> {
  // After --keep: puppeteer ends the process on Ctrl-C.
  browser = await launchBrowser();
  const bundle = await (await fetch(`${base}/ui/assets/app.js`)).arrayBuffer();
  const searchApi = await fetch(`${base}/api/search?tags=service.name%3Dfrontend&start=${startS}&end=${endS}&limit=50`).then((r) => r.json() as Promise<{ traces: unknown[] }>);
  if (searchApi.traces.length === 0) throw new Error('the search finds nothing');

  const page = await browser.newPage();
  const waterfall: Load[] = [];
  const results: Load[] = [];
  const cold: Load[] = [];
  const checkTrace = async (p: Page) => {
    const count = await p.$eval('[data-testid="trace-span-count"]', (el) => el.textContent);
    if (count !== String(BIG_SPANS)) throw new Error(`the trace page says ${count} spans, expected ${BIG_SPANS}`);
    const rows = await p.$$eval('[data-testid="waterfall-row"]', (r) => r.length);
    if (rows < 10 || rows > 200) throw new Error(`${rows} waterfall rows in the DOM: expected only those in view`);
  };
  const checkSearch = async (p: Page) => {
    const rows = await p.$$eval('[data-testid="trace-result"]', (r) => r.length);
    if (rows !== searchApi.traces.length) throw new Error(`${rows} result rows, the API finds ${searchApi.traces.length}`);
  };
  for (let i = -2; i < LOADS; i++) {
    const w = await load(page, traceUrl, 'traces:waterfall', '/analysis', checkTrace);
    const r = await load(page, searchUrl, 'traces:results', '/api/search', checkSearch);
    if (i === -2) cold.push(w, r);
    if (i < 0) continue;
    waterfall.push(w);
    results.push(r);
    note(`load ${i + 1}/${LOADS}: waterfall ${w.mark.toFixed(0)} ms (the analysis answered by ${w.api.toFixed(0)} ms); search results ${r.mark.toFixed(0)} ms (the search answered by ${r.api.toFixed(0)} ms)`);
  }
  const stats = (xs: number[]) => ({ p50: median(xs), max: Math.max(...xs), p90: quantile(xs, 0.9) });
  const w = stats(waterfall.map((l) => l.mark));
  const wRender = stats(waterfall.map((l) => l.mark - l.api));
  const r = stats(results.map((l) => l.mark));
  const out: BenchResult[] = [
    { metric: 'waterfall of a 10,000-span trace, navigation → rows drawn, p50', value: round(w.p50), unit: `ms over ${LOADS} loads (p90 ${round(w.p90)}, max ${round(w.max)}); target < 1,000 ms` },
    { metric: '… of which after the analysis answered (parse, layout, render), p50', value: round(wRender.p50), unit: `ms (max ${round(wRender.max)}); the analysis itself answered by ${round(median(waterfall.map((l) => l.api)))} ms (p50)` },
    { metric: 'search page, navigation → result list drawn, p50', value: round(r.p50), unit: `ms over ${LOADS} loads (p90 ${round(r.p90)}, max ${round(r.max)}); 50 results of service=frontend; target < 1,000 ms` },
    { metric: 'waterfall, first load of a fresh browser (empty cache)', value: round(cold[0].mark), unit: 'ms (one load; the search page loads after it, cached)' },
    { metric: 'app bundle', value: bundle.byteLength, unit: 'B (app.js, minified, uncompressed)' },
    { metric: 'scale', value: TRACES, unit: `traces (+ one of ${fmt(BIG_SPANS)} spans), ${fmt(spans)} spans materialized; the issue asks 1,000,000 traces` },
  ];
  report('ui', out);
}
