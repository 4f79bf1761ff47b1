// The rollup's aggregation alone, in process, no Kafka: the rollup bench's points (decoded from their OTLP records
// with series ids, as the source does) through the `metric` aggregator into a window store, 1m tumbling windows,
// the changelog drained (serialized) every CHECKPOINT_POINTS points as a task's commit does, and every closed
// window read as its Rollup record (toRollupRecord, without the Avro encoding). What src/operators/metrics costs
// per point, without the noise of the broker: the before/after figure for changes to the aggregators.
//
// Env: BENCH_SCALE (default 0.3: 30,000 series, 1.8M points), BENCH_RUNS (5), BENCH_VARIANTS (a,b).
import { metricRecords, type MetricWorkload } from './lib/metricWorkload.ts';
import { envNumber, fullGc, note, round } from './lib/util.ts';
import { median, report, type BenchResult } from './report.ts';
import { encodeMetrics } from '../src/otlp/index.ts';
import { decodeMetricPointsWithIds } from '../src/otlp/seriesId.ts';
import { metricAggregator, type MetricPartial } from '../src/operators/metrics/metric.ts';
import { toRollupRecord } from '../src/operators/metrics/rollupRecord.ts';
import { inMemoryWindowStore } from '../src/state/index.ts';

const SCALE = envNumber('BENCH_SCALE', 0.3);
const RUNS = Math.round(envNumber('BENCH_RUNS', 5));
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'a,b').split(',').filter((v) => v === 'a' || v === 'b');
const WINDOW_MS = 60_000;
// About what a task commits at 100 ms intervals at the rollup bench's rates.
const CHECKPOINT_POINTS = 20_000;
const workload: MetricWorkload = { series: Math.round(100_000 * SCALE), steps: 60, intervalMs: 10_000, startMs: Date.UTC(2026, 10, 22, 8, 0, 0), partitions: 1, seed: 141414 };

// Encoded records, decoded inside the timed loop as the source does: holding every decoded point at once would make
// the garbage collector's work, not the aggregation's, the figure.
const records = [...metricRecords(workload)].map((r) => encodeMetrics(r.points));
const POINTS = records.reduce((n, bytes) => n + decodeMetricPointsWithIds(bytes).points.length, 0);
note(`${POINTS.toLocaleString('en-US')} points of ${workload.series.toLocaleString('en-US')} series, checkpoint every ${CHECKPOINT_POINTS.toLocaleString('en-US')} points`);

/** ms to decode every record with series ids (subtracted from a run's time for the aggregation alone). */
function decodeOnly(): number {
  fullGc();
  const t0 = performance.now();
  let n = 0;
  for (const bytes of records) n += decodeMetricPointsWithIds(bytes).points.length;
  if (n !== POINTS) throw new Error('decode');
  return performance.now() - t0;
}

function once(sketch: boolean): { ms: number; results: number; changelogBytes: number; check: number } {
  const aggregator = metricAggregator({ sketch });
  const store = inMemoryWindowStore<string, MetricPartial>({ name: 'bench', aggregateSerde: aggregator.serde });
  const quantiles = sketch ? undefined : [];
  let results = 0;
  let changelogBytes = 0;
  let check = 0;
  let sinceCheckpoint = 0;
  fullGc();
  const t0 = performance.now();
  let streamTime = -Infinity;
  for (const bytes of records) {
    const { points, seriesIds: ids } = decodeMetricPointsWithIds(bytes);
    for (let i = 0; i < points.length; i++) {
      const point = points[i];
      const t = point.timeMs;
      if (t > streamTime) {
        streamTime = t;
        for (const e of store.takeEndedBy(streamTime - 10_000)) {
          const record = toRollupRecord({ kind: 'window', key: e.key, window: { start: e.start, end: e.end }, aggregate: e.aggregate, final: true, streamTime }, quantiles);
          results++;
          check += (record?.points?.long ?? 0) + (record?.sum?.double ?? 0) + (record?.quantiles[0]?.value ?? 0) + record!.partial.length;
        }
      }
      const start = t - (t % WINDOW_MS);
      const key = ids[i];
      store.put(key, start, start + WINDOW_MS, aggregator.add(store.aggregateOf(key, start) ?? aggregator.init(), point, t));
      if (++sinceCheckpoint === CHECKPOINT_POINTS) {
        sinceCheckpoint = 0;
        for (const r of store.drainChangelog()) changelogBytes += r.key.length + (r.value?.length ?? 0);
      }
    }
  }
  for (const e of store.takeEndedBy(Infinity)) {
    const record = toRollupRecord({ kind: 'window', key: e.key, window: { start: e.start, end: e.end }, aggregate: e.aggregate, final: true, streamTime }, quantiles);
    results++;
    check += (record?.points?.long ?? 0) + (record?.sum?.double ?? 0) + (record?.quantiles[0]?.value ?? 0) + record!.partial.length;
  }
  for (const r of store.drainChangelog()) changelogBytes += r.key.length + (r.value?.length ?? 0);
  return { ms: performance.now() - t0, results, changelogBytes, check };
}

const results: BenchResult[] = [];
const fmt = (n: number) => round(n).toLocaleString('en-US');
for (const v of VARIANTS) {
  const withDecode: number[] = [];
  const alone: number[] = [];
  let first: ReturnType<typeof once> | undefined;
  for (let run = 0; run < RUNS; run++) {
    const decodeMs = decodeOnly();
    const r = once(v === 'b');
    if (first && (r.results !== first.results || r.changelogBytes !== first.changelogBytes || r.check !== first.check)) throw new Error('runs disagree');
    first ??= r;
    withDecode.push((POINTS / r.ms) * 1000);
    alone.push((POINTS / (r.ms - decodeMs)) * 1000);
  }
  note(`(${v}) runs: ${withDecode.map(fmt).join(', ')} points/s with decoding; ${alone.map(fmt).join(', ')} without; ${first!.results} results, changelog ${first!.changelogBytes} bytes, check ${first!.check}`);
  const label = v === 'a' ? 'no sketch' : 'with sketch';
  results.push(
    { metric: `(${v}) ${label}: decode + add + checkpoint + result record`, value: round(median(withDecode)), unit: `points/s, median of ${RUNS} (${fmt(Math.min(...withDecode))}–${fmt(Math.max(...withDecode))})` },
    { metric: `(${v}) ${label}: same without the decoding`, value: round(median(alone)), unit: `points/s, median of ${RUNS} (${fmt(Math.min(...alone))}–${fmt(Math.max(...alone))}); a decode-only pass timed before each run` },
    { metric: `(${v}) changelog bytes written`, value: first!.changelogBytes, unit: `bytes (${first!.results} window results; check value ${first!.check})` },
  );
}
report('aggregate', results);
