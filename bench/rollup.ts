// The 1m level of the rollup chain end to end with exactly-once on the local stack: raw OTLP metric points →
// topologies/metrics-rollup.yaml (compiled with the repo's loader; own application id and topics, the postgres sink
// step left out, the `series` step kept) → the rollup topic, one worker. 100,000 series (100 metric names × 10
// attribute sets × 100 resources: half gauges, a quarter cumulative counters, a quarter delta sums), one point per
// series every 10 s for 10 minutes: 6M points in 6,000 OTLP records of 1,000 points, 6 partitions. One sentinel
// record per partition far in the future closes every window; the run is over when the group's committed offsets
// reach the end of the input (every window result is then committed to the rollup topic in the same transaction).
//
// Two variants, interleaved run by run: (a) `quantiles: []` (count/sum/min/max/last, no sketch), (b) the file's
// quantiles (DDSketch on every gauge). Baseline in the same runs: plain kafkajs eachBatch consume + OTLP decode.
// State per series: the window store's changelog record (key + value bytes) of a series' 1m window after its 6
// points, computed exactly with the aggregate's serde over the workload's first minute, and the heap after GC of a
// window store holding that minute for every series (the decoded points the partials' identities reference included).
// After the first run of each variant the rollup topic is read back and checked: series × windows records, their
// points, gauge sums and delta sums equal the input's.
//
// Env: BENCH_SCALE (default 1: 100,000 series; 0.1 → 10,000), BENCH_RUNS (3), BENCH_VARIANTS (a,b),
// BENCH_PROFILE=1 profiles the last run of each variant (bench/results/rollup-<variant>.cpuprofile).
import { readFileSync } from 'node:fs';
import type { Kafka, Message } from 'kafkajs';
import { parse } from 'yaml';
import { cleanup, createTopic, endOffsets, plainConsume, produce, readAll, waitForCommitted, withAdmin } from './lib/kafka.ts';
import { recordBatches } from './lib/gauges.ts';
import { gaugeSeries, metricRecords, resources, type MetricWorkload } from './lib/metricWorkload.ts';
import { watchLog } from './lib/logWatch.ts';
import { printProfile, startProfile } from './lib/profile.ts';
import { envNumber, fullGc, note, round, unique } from './lib/util.ts';
import { median, report, type BenchResult } from './report.ts';

import { benchStack } from './lib/stack.ts';
import { Worker } from '../src/runtime/index.ts';
import { parseTopology } from '../src/topology/index.ts';
import { decodeMetrics, encodeMetrics, seriesId, type MetricPoint } from '../src/otlp/index.ts';
import { metricAggregator, type MetricPartial } from '../src/operators/metrics/metric.ts';
import { rollupCodec, type RollupRecord } from '../src/operators/metrics/rollupRecord.ts';
import { encodeWindowKey, inMemoryWindowStore, uvarintLength } from '../src/state/index.ts';
import type { Config } from '../src/config/index.ts';
import { logger } from '../src/log.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';

const TOPOLOGY_FILE = 'topologies/metrics-rollup.yaml';
const SCALE = envNumber('BENCH_SCALE', 1);
const RUNS = Math.round(envNumber('BENCH_RUNS', 3));
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'a,b').split(',').filter((v): v is Variant => v === 'a' || v === 'b');
type Variant = 'a' | 'b';
const LABEL: Record<Variant, string> = { a: 'count/sum/min/max/last (quantiles: [])', b: 'with quantile sketches (default quantiles)' };
const WINDOW_MS = 60_000;
const INTERVAL_MS = 10_000;
const PARTITIONS = 6;
// Recent event times: the rollup topic keeps records by time, and old ones would be deleted at once.
const START_MS = Math.floor((Date.now() - 40 * WINDOW_MS) / WINDOW_MS) * WINDOW_MS;
const workload: MetricWorkload = { series: Math.round(100_000 * SCALE), steps: (10 * WINDOW_MS) / INTERVAL_MS, intervalMs: INTERVAL_MS, startMs: START_MS, partitions: PARTITIONS, seed: 141414 };
const POINTS = workload.series * workload.steps;
const WINDOWS = (workload.steps * INTERVAL_MS) / WINDOW_MS;
const EXPECTED_RESULTS = workload.series * WINDOWS;
const fmt = (n: number) => round(n).toLocaleString('en-US');

/** The topology file with this run's application id and topics, the sink left out; `quantiles` replaced when given. */
function rollupTopology(app: string, input: string, quantiles: number[] | undefined) {
  const doc = parse(readFileSync(TOPOLOGY_FILE, 'utf8')) as { application: string; source: { topic: string }; steps: Record<string, Record<string, unknown>>[] };
  doc.application = app;
  doc.source.topic = input;
  doc.steps = doc.steps.filter((s) => !('sink' in s));
  for (const step of doc.steps) {
    if (step.to) step.to.topic = `${app}.rollup.1m`;
    if (step.series) step.series.topic = `${app}.series`;
    if (step.aggregate && quantiles !== undefined) step.aggregate.quantiles = quantiles;
  }
  const loaded = parseTopology(JSON.stringify(doc), TOPOLOGY_FILE);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.topology;
}

let gaugeSum = 0;
let deltaSum = 0;
function* batches(): Generator<Message[]> {
  const counted = function* () {
    for (const r of metricRecords(workload)) {
      gaugeSum += r.gaugeSum;
      deltaSum += r.deltaSum;
      yield r;
    }
  };
  yield* recordBatches(counted(), workload.startMs + workload.steps * INTERVAL_MS + 10 * WINDOW_MS, PARTITIONS);
}

/** Changelog bytes and heap per series of the first minute's windows, for one variant. */
function stateOfFirstMinute(sketch: boolean): { changelogBytes: number; valueBytes: number; heapBytes: number } {
  const aggregator = metricAggregator({ sketch });
  const serde = aggregator.serde!;
  // Decoded points, as the worker holds them: each record decodes into its own objects.
  const records: Buffer[] = [];
  for (const r of metricRecords({ ...workload, steps: WINDOW_MS / INTERVAL_MS })) records.push(encodeMetrics(r.points));
  fullGc();
  const heapBefore = process.memoryUsage().heapUsed;
  const store = inMemoryWindowStore<string, MetricPartial>({ name: 'state', aggregateSerde: serde, logged: false });
  for (const bytes of records) {
    for (const point of decodeMetrics(bytes) as MetricPoint[]) {
      const key = seriesId(point);
      const start = point.timeMs - (point.timeMs % WINDOW_MS);
      store.put(key, start, start + WINDOW_MS, aggregator.add(store.aggregateOf(key, start) ?? aggregator.init(), point, point.timeMs));
    }
  }
  records.length = 0;
  fullGc();
  const heapBytes = (process.memoryUsage().heapUsed - heapBefore) / store.size;
  let changelog = 0;
  let values = 0;
  for (const e of store.entries()) {
    const value = serde.serialize(e.aggregate).length + uvarintLength(e.end - e.start);
    values += value;
    changelog += encodeWindowKey(e.key, e.start).length + value;
  }
  if (store.size !== workload.series) throw new Error(`first minute: ${store.size} windows, expected ${workload.series}`);
  return { changelogBytes: changelog / store.size, valueBytes: values / store.size, heapBytes };
}

interface Run {
  endToEnd: number;
  fromJoin: number;
  startupMs: number;
}

async function verify(kafka: Kafka, config: Config, output: string): Promise<void> {
  const codec = rollupCodec(output);
  await codec.prepare(config);
  let points = 0;
  let gauges = 0;
  let deltas = 0;
  const count = await readAll(kafka, output, EXPECTED_RESULTS, (m) => {
    const r: RollupRecord = codec.decode(m.value!);
    points += r.points?.long ?? 0;
    if (r.kind === 'GAUGE') gauges += r.sum?.double ?? 0;
    if (r.kind === 'DELTA_SUM') deltas += r.sum?.double ?? 0;
  });
  if (count !== EXPECTED_RESULTS) throw new Error(`output ${output}: ${count} window results, expected exactly ${EXPECTED_RESULTS}`);
  if (points !== POINTS) throw new Error(`output ${output}: ${points} points, the input has ${POINTS}`);
  if (Math.abs(gauges - gaugeSum) > 1e-9 * Math.abs(gaugeSum)) throw new Error(`output ${output}: gauge sums add up to ${gauges}, the input's to ${gaugeSum}`);
  if (deltas !== deltaSum) throw new Error(`output ${output}: delta sums add up to ${deltas}, the input's to ${deltaSum}`);
  note(`checked ${output}: ${fmt(count)} window results; points, gauge sums and delta sums equal the input's`);
}

async function runTopology(kafka: Kafka, config: Config, input: string, ends: Map<number, bigint>, variant: Variant, run: number): Promise<Run> {
  const app = unique(`bench-rollup-${variant}`);
  const output = `${app}.rollup.1m`;
  const topo = rollupTopology(app, input, variant === 'a' ? [] : undefined);
  const log = watchLog({ bench: 'rollup' });
  const worker = new Worker({ topology: topo, config, groupId: app, logger: log.logger });
  const profiling = process.env.BENCH_PROFILE && run === RUNS ? await startProfile(`bench/results/rollup-${variant}.cpuprofile`) : undefined;
  const t0 = performance.now();
  let done: number;
  try {
    await worker.start();
    done = await waitForCommitted(kafka, app, input, ends, { timeoutMs: 1_800_000 });
  } finally {
    const profile = await profiling?.();
    if (profile) {
      process.stderr.write(`\n  profile of variant (${variant}) ${LABEL[variant]}:`);
      printProfile(profile);
    }
    await worker.stop();
  }
  const joined = log.firstAt('partitions assigned') ?? t0;
  try {
    if (run === 1) await verify(kafka, config, output);
  } finally {
    const mine = (await withAdmin(kafka, (admin) => admin.listTopics())).filter((t) => t.startsWith(app));
    await cleanup(kafka, mine, [app]);
  }
  return { endToEnd: (POINTS / (done - t0)) * 1000, fromJoin: (POINTS / (done - joined)) * 1000, startupMs: joined - t0 };
}

const spread = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;

const stack = await benchStack();
const { kafka, config } = stack;
const input = unique('bench-rollup-in');
try {
  const state = { a: stateOfFirstMinute(false), b: stateOfFirstMinute(true) };
  for (const v of ['a', 'b'] as const) note(`state per series (${v}): changelog ${state[v].changelogBytes.toFixed(1)} bytes (value ${state[v].valueBytes.toFixed(1)}), heap ${state[v].heapBytes.toFixed(0)} bytes`);

  await createTopic(kafka, input, PARTITIONS);
  const seeded = await produce(kafka, input, batches());
  note(`seeded ${input}: ${fmt(seeded.records)} records, ${fmt(POINTS)} points of ${fmt(workload.series)} series (${resources(workload)} resources, ${fmt(gaugeSeries(workload))} gauges), ${(seeded.bytes / 2 ** 20).toFixed(0)} MiB in ${seeded.seconds.toFixed(1)} s`);
  const ends = await endOffsets(kafka, input);

  const plainDecode: number[] = [];
  const topo: Record<Variant, Run[]> = { a: [], b: [] };
  for (let run = 1; run <= RUNS; run++) {
    let decoded = 0;
    const d = await plainConsume(kafka, input, seeded.records, { partitionsConsumedConcurrently: PARTITIONS, onMessage: (m) => (decoded += decodeMetrics(m.value!).length) });
    if (decoded !== POINTS + PARTITIONS) throw new Error(`decoded ${decoded} points, expected ${POINTS + PARTITIONS}`);
    plainDecode.push((POINTS / d.processMs) * 1000);
    const line = [`run ${run}/${RUNS}: consume + decode ${fmt(plainDecode[run - 1])} points/s`];
    for (const v of VARIANTS) {
      const t = await runTopology(kafka, config, input, ends, v, run);
      topo[v].push(t);
      line.push(`(${v}) ${fmt(t.endToEnd)} end to end, ${fmt(t.fromJoin)} from join`);
    }
    note(line.join('; '));
  }

  const results: BenchResult[] = [];
  for (const v of VARIANTS) {
    const runs = topo[v];
    results.push(
      { metric: `(${v}) ${LABEL[v]}, end to end`, value: round(median(runs.map((t) => t.endToEnd))), unit: `points/s, median (runs ${spread(runs.map((t) => t.endToEnd))})${v === 'a' ? '; target ≥ 500,000' : ''}` },
      { metric: `(${v}) same, from group join`, value: round(median(runs.map((t) => t.fromJoin))), unit: `points/s, median (runs ${spread(runs.map((t) => t.fromJoin))})` },
      { metric: `(${v}) topology ÷ consume + decode`, value: round(median(runs.map((t, i) => t.fromJoin / plainDecode[i])), 3), unit: 'ratio (from join, same run)' },
      { metric: `(${v}) state per series: window changelog record`, value: round(state[v].changelogBytes, 1), unit: `bytes (key + value; value alone ${round(state[v].valueBytes, 1)}), a 1m window of 6 points, mean over series` },
      { metric: `(${v}) state per series: heap after GC`, value: round(state[v].heapBytes), unit: 'bytes (window store holding one 1m window per series, decoded identities included)' },
    );
  }
  results.push(
    { metric: 'plain kafkajs consume + OTLP decode', value: round(median(plainDecode)), unit: `points/s, median (runs ${spread(plainDecode)})` },
    { metric: 'points per run', value: POINTS, unit: `points in ${fmt(seeded.records)} records (${fmt(workload.series)} series, ${PARTITIONS} partitions)` },
    { metric: 'window results per run', value: EXPECTED_RESULTS, unit: `results (${WINDOWS} windows × series)` },
    { metric: 'input size', value: round(seeded.bytes / 2 ** 20, 1), unit: 'MiB' },
    { metric: 'scale', value: SCALE, unit: 'BENCH_SCALE' },
    { metric: 'runs', value: RUNS, unit: 'interleaved (variants and baseline in each run)' },
  );
  report('rollup', results);
} finally {
  await cleanup(kafka, [input], []);
  await stack.close();
}
