// A 1-minute tumbling sum over 100,000 gauge series with exactly-once on, end to end on the local broker:
// 6,000 OTLP export requests of 1,000 points each (6M points; every series reports every 10 s for 10 minutes,
// so each series has 6 points in each of 10 windows), 6 partitions, one worker. Then one sentinel record per
// partition far in the future closes every window, so the run is over when the group's committed offsets reach
// the end of the input: every window result is then committed to the output topic (same transaction).
//
// points/s = input points ÷ (worker.start() → committed offsets at the end), polled every 50 ms. Also: the
// same from the group join (startup excluded); plain kafkajs eachBatch consume of the same topic, with and without
// decoding every record with our OTLP decoder, as points/s and ratios. After the first run the output topic is
// read back and checked: exactly series × windows results whose values add up to the input's sum.
//
// Env: BENCH_SCALE (default 1: 100,000 series; 0.1 → 10,000 series, 600 records), BENCH_RUNS (3),
// BENCH_INTERVAL_MS (10000), BENCH_PROFILE=1 profiles the last run (bench/results/window.cpuprofile).
import type { Message } from 'kafkajs';
import { cleanup, createTopic, endOffsets, plainConsume, produce, readAll, waitForCommitted } from './lib/kafka.ts';
import { gaugeRecords, recordBatches, resources, type GaugeWorkload } from './lib/gauges.ts';
import { watchLog } from './lib/logWatch.ts';
import { printProfile, startProfile } from './lib/profile.ts';
import { envNumber, note, round, unique } from './lib/util.ts';
import { median, report, type BenchResult } from './report.ts';

import { benchStack } from './lib/stack.ts';
import { Worker, topology } from '../src/runtime/index.ts';
import { DEFAULT_COMMIT_INTERVAL_MS } from '../src/runtime/worker.ts';
import { otlpMetricPoints, pointValue } from '../src/sources/index.ts';
import { sum, tumblingWindows } from '../src/operators/index.ts';
import { float64Serde } from '../src/state/index.ts';
import { decodeMetrics } from '../src/otlp/index.ts';
import { logger } from '../src/log.ts';

// Benchmarks print tables, not the runtime's info logs (LOG_LEVEL overrides).
logger.level = process.env.LOG_LEVEL ?? 'warn';

const SCALE = envNumber('BENCH_SCALE', 1);
const RUNS = Math.round(envNumber('BENCH_RUNS', 3));
// The worker's commit interval (unset: the runtime's default; 0: a transaction per batch).
const COMMIT_INTERVAL_MS = process.env.BENCH_COMMIT_INTERVAL_MS === undefined ? undefined : Number(process.env.BENCH_COMMIT_INTERVAL_MS);
if (COMMIT_INTERVAL_MS !== undefined && !(COMMIT_INTERVAL_MS >= 0)) throw new Error(`BENCH_COMMIT_INTERVAL_MS=${process.env.BENCH_COMMIT_INTERVAL_MS}: expected ms ≥ 0`);
/** Transactions the worker's tasks committed, per topology run. */
const commits: number[] = [];
const INTERVAL_MS = Math.round(envNumber('BENCH_INTERVAL_MS', 10_000));
const WINDOW_MS = 60_000;
const PARTITIONS = 6;
const workload: GaugeWorkload = {
  series: Math.round(100_000 * SCALE),
  seriesPerResource: 1_000,
  steps: Math.round((10 * WINDOW_MS) / INTERVAL_MS),
  intervalMs: INTERVAL_MS,
  startMs: Date.UTC(2026, 10, 22, 8, 0, 0),
  partitions: PARTITIONS,
  seed: 424242,
};
const POINTS = workload.series * workload.steps;
const WINDOWS = Math.ceil((workload.steps * INTERVAL_MS) / WINDOW_MS);
const EXPECTED_RESULTS = workload.series * WINDOWS;
const fmt = (n: number) => round(n).toLocaleString('en-US');

const stack = await benchStack();
const { kafka, config } = stack;
const input = unique('bench-window-in');
const topics = [input];
const groups: string[] = [];

let inputSum = 0;
function* batches(): Generator<Message[]> {
  const counted = function* () {
    for (const r of gaugeRecords(workload)) {
      inputSum += r.valueSum;
      yield r;
    }
  };
  yield* recordBatches(counted(), workload.startMs + workload.steps * INTERVAL_MS + 10 * WINDOW_MS, PARTITIONS);
}

interface Run {
  endToEnd: number;
  fromJoin: number;
  startupMs: number;
}

async function runTopology(ends: Map<number, bigint>, run: number): Promise<Run> {
  const app = unique('bench-window');
  const output = `${app}-out`;
  topics.push(output, `${app}.late`, `${app}-sum1m-changelog`);
  groups.push(app);
  const rollup = topology(app)
    .stream(otlpMetricPoints(input, 'otlp_proto'))
    .windowedBy(tumblingWindows(WINDOW_MS), { grace: 0 })
    .aggregate(sum((p) => pointValue(p) ?? 0), { store: 'sum1m', serde: float64Serde })
    .to(output, {
      key: (r) => r.key,
      value: (r) => {
        const b = Buffer.allocUnsafe(8);
        b.writeDoubleBE(r.aggregate);
        return b;
      },
    })
    .build();
  const log = watchLog({ bench: 'window' });
  const worker = new Worker({ topology: rollup, config, groupId: app, commitIntervalMs: COMMIT_INTERVAL_MS, logger: log.logger });
  const profiling = process.env.BENCH_PROFILE && run === RUNS ? await startProfile('bench/results/window.cpuprofile') : undefined;
  const t0 = performance.now();
  let done: number;
  try {
    await worker.start();
    done = await waitForCommitted(kafka, app, input, ends, { timeoutMs: 900_000 });
  } finally {
    const profile = await profiling?.();
    if (profile) printProfile(profile);
    commits.push([...worker.tasks.values()].reduce((n, t) => n + t.stats.commits, 0));
    await worker.stop();
  }
  const joined = log.firstAt('partitions assigned') ?? t0;
  if (run === 1) {
    let total = 0;
    const count = await readAll(kafka, output, EXPECTED_RESULTS, (m) => {
      total += m.value!.readDoubleBE(0);
    });
    if (count !== EXPECTED_RESULTS) throw new Error(`output ${output}: ${count} window results, expected exactly ${EXPECTED_RESULTS}`);
    if (Math.abs(total - inputSum) > 1e-6 * Math.abs(inputSum)) throw new Error(`output ${output}: values add up to ${total}, the input to ${inputSum}`);
    note(`checked ${output}: ${fmt(count)} window results, values add up to the input's sum`);
  }
  await cleanup(kafka, [output, `${app}.late`, `${app}-sum1m-changelog`], [app]);
  return { endToEnd: (POINTS / (done - t0)) * 1000, fromJoin: (POINTS / (done - joined)) * 1000, startupMs: joined - t0 };
}

try {
  await createTopic(kafka, input, PARTITIONS);
  const seeded = await produce(kafka, input, batches());
  note(`seeded ${input}: ${fmt(seeded.records)} records, ${fmt(POINTS)} points of ${fmt(workload.series)} series (${resources(workload)} resources), ${(seeded.bytes / 2 ** 20).toFixed(0)} MiB in ${seeded.seconds.toFixed(1)} s`);
  const ends = await endOffsets(kafka, input);

  const plain: number[] = [];
  const plainDecode: number[] = [];
  const topo: Run[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const p = await plainConsume(kafka, input, seeded.records, { partitionsConsumedConcurrently: PARTITIONS });
    plain.push((POINTS / p.processMs) * 1000);
    let decoded = 0;
    const d = await plainConsume(kafka, input, seeded.records, { partitionsConsumedConcurrently: PARTITIONS, onMessage: (m) => (decoded += decodeMetrics(m.value!).length) });
    if (decoded !== POINTS + PARTITIONS) throw new Error(`decoded ${decoded} points, expected ${POINTS + PARTITIONS}`);
    plainDecode.push((POINTS / d.processMs) * 1000);
    topo.push(await runTopology(ends, run));
    const t = topo[run - 1];
    note(`run ${run}/${RUNS}: topology ${fmt(t.endToEnd)} points/s end to end (${fmt(t.fromJoin)} from the join); plain consume ${fmt(plain[run - 1])}, consume + decode ${fmt(plainDecode[run - 1])} points/s`);
  }

  const e2e = median(topo.map((t) => t.endToEnd));
  const results: BenchResult[] = [
    { metric: 'tumbling 1m sum, exactly-once, end to end', value: round(e2e), unit: 'points/s (worker start → all windows committed; target ≥ 500,000)' },
    { metric: 'same, from group join', value: round(median(topo.map((t) => t.fromJoin))), unit: 'points/s' },
    { metric: 'plain kafkajs eachBatch consume', value: round(median(plain)), unit: 'points/s' },
    { metric: 'plain consume + OTLP decode', value: round(median(plainDecode)), unit: 'points/s' },
    { metric: 'topology ÷ plain consume', value: round(median(topo.map((t, i) => t.fromJoin / plain[i])), 3), unit: 'ratio (from join)' },
    { metric: 'topology ÷ consume + decode', value: round(median(topo.map((t, i) => t.fromJoin / plainDecode[i])), 3), unit: 'ratio (from join)' },
    { metric: 'topology startup (start → assigned)', value: round(median(topo.map((t) => t.startupMs))), unit: 'ms' },
    { metric: 'points per run', value: POINTS, unit: `points in ${fmt(seeded.records)} records (${fmt(workload.series)} series, ${PARTITIONS} partitions)` },
    { metric: 'window results per run', value: EXPECTED_RESULTS, unit: `results (${WINDOWS} windows × series)` },
    { metric: 'input size', value: round(seeded.bytes / 2 ** 20, 1), unit: 'MiB' },
    { metric: 'scale', value: SCALE, unit: 'BENCH_SCALE' },
    { metric: 'commit interval', value: COMMIT_INTERVAL_MS ?? DEFAULT_COMMIT_INTERVAL_MS, unit: 'ms (BENCH_COMMIT_INTERVAL_MS; 0: a transaction per batch)' },
    { metric: 'task commits per run', value: median(commits), unit: 'transactions, all tasks (median of runs)' },
    { metric: 'runs', value: RUNS, unit: 'interleaved' },
  ];
  report('window', results);
} finally {
  await cleanup(kafka, topics, groups);
  await stack.close();
}
