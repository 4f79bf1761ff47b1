// Span metrics and the service graph end to end with exactly-once on the local stack: the shop's seeded traces
// (src/gen) in otlp_spans records keyed and split by trace id exactly like the collector's kafka exporter (our
// producer), 6 partitions → topologies/spanmetrics.yaml and topologies/servicegraph.yaml (compiled with the repo's
// loader; own application ids and partials topics). 1,000,000 spans over 10 minutes of event time (100,000 a
// minute). Then sentinel traces far in the future on every partition close every window; a run is over when the
// group's committed offsets reach the end of the input.
//
// Three modes, interleaved run by run: each topology alone on one worker, and both at once in this one process (two
// workers; spans/s = input spans ÷ time until both groups committed). Baseline in the same runs: plain kafkajs
// eachBatch consume + OTLP trace decode. After the first run of each topology its output is read back and checked:
// span metrics' calls add up to the input's spans, and the service graph wrote request counts.
//
// Env: BENCH_SCALE (default 1: 1,000,000 spans), BENCH_RUNS (3), BENCH_MODES (spanmetrics,servicegraph,both),
// BENCH_PROFILE=1 profiles the last run of each mode (bench/results/spanmetrics-<mode>.cpuprofile).
import { readFileSync } from 'node:fs';
import type { Kafka } from 'kafkajs';
import { parse } from 'yaml';
import { cleanup, createTopic, endOffsets, plainConsume, readAll, waitForCommitted, withAdmin } from './lib/kafka.ts';
import { watchLog } from './lib/logWatch.ts';
import { printProfile, startProfile } from './lib/profile.ts';
import { envNumber, note, round, unique } from './lib/util.ts';
import { median, report, type BenchResult } from './report.ts';

import { benchStack } from './lib/stack.ts';
import { Worker } from '../src/runtime/index.ts';
import { parseTopology } from '../src/topology/index.ts';
import { decodeTraces, encodeTraces } from '../src/otlp/index.ts';
import { Traffic } from '../src/gen/index.ts';
import { createOtlpProducer } from '../src/producer/index.ts';
import { rollupCodec, type RollupRecord } from '../src/operators/metrics/rollupRecord.ts';
import type { Config } from '../src/config/index.ts';
import { logger } from '../src/log.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';

type Mode = 'spanmetrics' | 'servicegraph' | 'both';
const SCALE = envNumber('BENCH_SCALE', 1);
const RUNS = Math.round(envNumber('BENCH_RUNS', 3));
const MODES = (process.env.BENCH_MODES ?? 'spanmetrics,servicegraph,both').split(',').filter((m): m is Mode => ['spanmetrics', 'servicegraph', 'both'].includes(m));
const WINDOW_MS = 60_000;
const MINUTES = 10;
const PARTITIONS = 6;
const SPANS_PER_MINUTE = Math.round(100_000 * SCALE);
const START_MS = Math.floor((Date.now() - 40 * WINDOW_MS) / WINDOW_MS) * WINDOW_MS;
const fmt = (n: number) => round(n).toLocaleString('en-US');
const spread = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;

/** A topology file of topologies/ with this run's application id and output topic. */
function spanTopology(file: string, app: string, input: string) {
  const doc = parse(readFileSync(file, 'utf8')) as { application: string; source: { topic?: string }; steps: Record<string, Record<string, unknown>>[] };
  doc.application = app;
  doc.source.topic = input;
  for (const step of doc.steps) if (step.to) step.to.topic = `${app}.partials`;
  const loaded = parseTopology(JSON.stringify(doc), file);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.topology;
}

const FILES = { spanmetrics: 'topologies/spanmetrics.yaml', servicegraph: 'topologies/servicegraph.yaml' } as const;

/** Seeds the input: MINUTES minutes of traces, then sentinel traces until every partition has one. Returns the spans (sentinels excluded). */
async function seed(kafka: Kafka, input: string): Promise<{ spans: number; records: number; bytes: number; seconds: number }> {
  const producer = createOtlpProducer({ kafka, topics: { traces: input }, delivery: 'idempotent', createTopics: false });
  await producer.connect();
  const t0 = performance.now();
  let spans = 0;
  let records = 0;
  let bytes = 0;
  try {
    for (let minute = 0; minute < MINUTES; minute++) {
      const traffic = new Traffic({ seed: 7_000 + minute, startMs: START_MS + minute * WINDOW_MS });
      let left = SPANS_PER_MINUTE;
      while (left > 0) {
        const batch = traffic.traces(Math.min(left, 5_000));
        const sent = await producer.export('traces', encodeTraces(batch.spans));
        spans += batch.spans.length;
        records += sent.records.length;
        bytes += sent.bytes;
        left -= batch.spans.length;
      }
    }
    const before = await endOffsets(kafka, input);
    const sentinel = new Traffic({ seed: 99, startMs: START_MS + (MINUTES + 10) * WINDOW_MS });
    for (let i = 0; i < 1_000; i++) {
      await producer.export('traces', encodeTraces(sentinel.traces(1).spans));
      const now = await endOffsets(kafka, input);
      if ([...now].every(([p, end]) => end > (before.get(p) ?? 0n))) break;
    }
  } finally {
    await producer.disconnect();
  }
  return { spans, records, bytes, seconds: (performance.now() - t0) / 1000 };
}

async function verify(kafka: Kafka, config: Config, which: 'spanmetrics' | 'servicegraph', topic: string, spans: number): Promise<void> {
  const codec = rollupCodec(topic);
  await codec.prepare(config);
  let calls = 0;
  let requests = 0;
  const count = await readAll(kafka, topic, Number.MAX_SAFE_INTEGER, (m) => {
    const r: RollupRecord = codec.decode(m.value!);
    if (r.identity.name.endsWith('.calls')) calls += r.sum?.double ?? 0;
    if (r.identity.name === 'traces_service_graph_request_total') requests += r.sum?.double ?? 0;
  }, 5_000);
  if (which === 'spanmetrics' && calls !== spans) throw new Error(`${topic}: calls add up to ${calls}, the input has ${spans} spans (${count} records)`);
  if (which === 'servicegraph' && !(requests > 0)) throw new Error(`${topic}: no service graph requests in ${count} records`);
  note(`checked ${topic}: ${fmt(count)} records${which === 'spanmetrics' ? `, calls add up to the input's ${fmt(spans)} spans` : `, ${fmt(requests)} requests on the edges`}`);
}

interface Run {
  endToEnd: number;
  fromJoin: number;
}

async function runMode(kafka: Kafka, config: Config, input: string, ends: Map<number, bigint>, spans: number, mode: Mode, run: number): Promise<Run> {
  const which = mode === 'both' ? (['spanmetrics', 'servicegraph'] as const) : ([mode] as const);
  const apps = which.map((w) => unique(`bench-${w}`));
  const logs = which.map(() => watchLog({ bench: 'spanmetrics' }));
  const workers = which.map((w, i) => new Worker({ topology: spanTopology(FILES[w], apps[i], input), config, groupId: apps[i], logger: logs[i].logger }));
  const profiling = process.env.BENCH_PROFILE && run === RUNS ? await startProfile(`bench/results/spanmetrics-${mode}.cpuprofile`) : undefined;
  const t0 = performance.now();
  let done: number;
  try {
    await Promise.all(workers.map((w) => w.start()));
    const finished = await Promise.all(apps.map((app) => waitForCommitted(kafka, app, input, ends, { timeoutMs: 1_800_000 })));
    done = Math.max(...finished);
  } finally {
    const profile = await profiling?.();
    if (profile) {
      process.stderr.write(`\n  profile of mode ${mode}:`);
      printProfile(profile);
    }
    for (const w of workers) await w.stop();
  }
  const joined = Math.max(...logs.map((l) => l.firstAt('partitions assigned') ?? t0));
  try {
    if (run === 1 && mode !== 'both') await verify(kafka, config, mode, `${apps[0]}.partials`, spans);
  } finally {
    const all = await withAdmin(kafka, (admin) => admin.listTopics());
    await cleanup(kafka, all.filter((t) => apps.some((a) => t.startsWith(a))), apps);
  }
  return { endToEnd: (spans / (done - t0)) * 1000, fromJoin: (spans / (done - joined)) * 1000 };
}

const stack = await benchStack();
const { kafka, config } = stack;
const input = unique('bench-spans-in');
try {
  await createTopic(kafka, input, PARTITIONS);
  const seeded = await seed(kafka, input);
  const ends = await endOffsets(kafka, input);
  const records = [...ends.values()].reduce((a, b) => a + Number(b), 0);
  note(`seeded ${input}: ${fmt(seeded.spans)} spans in ${fmt(records)} records (one per trace), ${(seeded.bytes / 2 ** 20).toFixed(0)} MiB in ${seeded.seconds.toFixed(1)} s`);

  const plainDecode: number[] = [];
  const runs: Record<Mode, Run[]> = { spanmetrics: [], servicegraph: [], both: [] };
  for (let run = 1; run <= RUNS; run++) {
    let decoded = 0;
    const d = await plainConsume(kafka, input, records, { partitionsConsumedConcurrently: PARTITIONS, onMessage: (m) => (decoded += decodeTraces(m.value!).length) });
    plainDecode.push((decoded / d.processMs) * 1000);
    const line = [`run ${run}/${RUNS}: consume + decode ${fmt(plainDecode[run - 1])} spans/s`];
    for (const mode of MODES) {
      const r = await runMode(kafka, config, input, ends, seeded.spans, mode, run);
      runs[mode].push(r);
      line.push(`${mode} ${fmt(r.endToEnd)} (${fmt(r.fromJoin)} from join)`);
    }
    note(line.join('; '));
  }

  const LABEL: Record<Mode, string> = {
    spanmetrics: 'spanmetrics.yaml alone, one worker',
    servicegraph: 'servicegraph.yaml alone, one worker',
    both: 'both, two workers in one process',
  };
  const results: BenchResult[] = [];
  for (const mode of MODES) {
    const rs = runs[mode];
    results.push(
      { metric: `${LABEL[mode]}, end to end`, value: round(median(rs.map((r) => r.endToEnd))), unit: `spans/s, median (runs ${spread(rs.map((r) => r.endToEnd))}); target ≥ 200,000` },
      { metric: `${LABEL[mode]}, from group join`, value: round(median(rs.map((r) => r.fromJoin))), unit: `spans/s, median (runs ${spread(rs.map((r) => r.fromJoin))})` },
      { metric: `${LABEL[mode]} ÷ consume + decode`, value: round(median(rs.map((r, i) => r.fromJoin / plainDecode[i])), 3), unit: 'ratio (from join, same run)' },
    );
  }
  results.push(
    { metric: 'plain kafkajs consume + OTLP trace decode', value: round(median(plainDecode)), unit: `spans/s, median (runs ${spread(plainDecode)})` },
    { metric: 'spans per run', value: seeded.spans, unit: `spans in ${fmt(records)} records (${PARTITIONS} partitions, ${MINUTES} minutes)` },
    { metric: 'input size', value: round(seeded.bytes / 2 ** 20, 1), unit: 'MiB' },
    { metric: 'scale', value: SCALE, unit: 'BENCH_SCALE' },
    { metric: 'runs', value: RUNS, unit: 'interleaved (modes and baseline in each run)' },
  );
  report('spanmetrics', results);
} finally {
  await cleanup(kafka, [input], []);
  await stack.close();
}
