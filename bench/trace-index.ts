// Trace assembly + indexing on one worker: spans/s through topologies/trace-index.yaml (assemble → trace_index),
// compiled with the repo's loader, its task driven in process the way a worker drives it (batches of 500 fetched
// records, a commit every 20,000 spans: the default 100 ms commit interval at 200,000 spans/s; changelogs and outputs
// taken at every commit). No Kafka I/O: this is the processing ceiling of one task; the schema registry is used once
// (the index codec registers its schema).
//
// Input: generated shop traces of about 20 spans (bench/lib/traceWorkload.ts), one otlp_spans record per trace and
// service, in export order; one trace starting every 1/BENCH_TRACE_RATE s of event time. At the end the open traces
// are flushed (and blocks sealed), inside the timing. Baseline in the same runs: decoding the same records.
// Sizes are deterministic: otlp.traces and otlp.index record bytes (key + value) per span, and the index relative to
// the raw OTLP protobuf of the spans (the input records' values).
//
// End to end too (BENCH_KAFKA=0 skips it): the same records (dated from an hour ago) on a 6-partition topic of the
// stack, keyed and placed by trace id, read by a Worker running the topology exactly-once; spans/s from the group join
// (and from start) until the group's committed offsets reach the end of the input. The traces of the last gap stay
// open there, as in a live stream.
//
// Env: BENCH_TRACES (default 50,000), BENCH_TRACE_RATE (traces per event-time second, 1,000), BENCH_RUNS (3),
// BENCH_KAFKA (1), BENCH_PROFILE=1 profiles the last in-process run (bench/results/trace-index.cpuprofile).
import { readFileSync } from 'node:fs';
import type { Kafka, Message } from 'kafkajs';
import { parse } from 'yaml';
import type { Config } from '../src/config/index.ts';
import { Worker } from '../src/runtime/index.ts';
import { cleanup, createTopic, endOffsets, produce, waitForCommitted, withAdmin } from './lib/kafka.ts';
import { watchLog } from './lib/logWatch.ts';
import { decodeTraces, encodeTraces } from '../src/otlp/index.ts';
import { parseTopology } from '../src/topology/index.ts';
import { logger } from '../src/log.ts';
import { benchStack } from './lib/stack.ts';
import { printProfile, startProfile } from './lib/profile.ts';
import { arrivals, benchTraces, runTask, type SpanRecord } from './lib/traceWorkload.ts';
import { envNumber, fullGc, note, round, unique } from './lib/util.ts';
import { median, report, type BenchResult } from './report.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';

const TRACES = Math.round(envNumber('BENCH_TRACES', 50_000));
const RATE = envNumber('BENCH_TRACE_RATE', 1_000);
const RUNS = Math.round(envNumber('BENCH_RUNS', 3));
const KAFKA = process.env.BENCH_KAFKA !== '0';
const PARTITIONS = 6;
const START_MS = Date.UTC(2026, 10, 1);
const TOPICS = { traces: 'bench.trace-index.traces', index: 'bench.trace-index.index' };
const fmt = (n: number) => round(n).toLocaleString('en-US');
const spread = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;

/** The shipped topology file, with the bench's output topic names (in process nothing is written to Kafka). */
function traceIndexTopology(topics: { traces: string; index: string } = TOPICS, app?: { id: string; input: string }) {
  const doc = parse(readFileSync('topologies/trace-index.yaml', 'utf8')) as { application: string; source: { topic: string }; steps: Array<Record<string, Record<string, unknown>>> };
  Object.assign(doc.steps[1].trace_index, { traces_topic: topics.traces, index_topic: topics.index });
  if (app) {
    doc.application = app.id;
    doc.source.topic = app.input;
  }
  const loaded = parseTopology(JSON.stringify(doc), 'trace-index.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.topology;
}

/** The input on a topic of the stack: the records of `input`, dated from an hour ago on, placed by trace id. */
async function seedKafka(kafka: Kafka, topic: string, input: SpanRecord[]): Promise<Map<number, bigint>> {
  const shift = Math.floor((Date.now() - 3_600_000 - START_MS) / 1000) * 1000;
  const reencoded = (r: SpanRecord): Message => {
    // Event time is the spans' own: move them by `shift` (whole seconds, so blocks stay aligned as in process).
    const spans = decodeTraces(r.value).map((s) => ({ ...s, startTimeMs: s.startTimeMs + shift, endTimeMs: s.endTimeMs + shift }));
    return { key: r.key, value: encodeTraces(spans), partition: parseInt(r.key.slice(0, 8), 16) % PARTITIONS, timestamp: String(r.at + shift) };
  };
  const batches = function* () {
    let batch: Message[] = [];
    let size = 0;
    for (const r of input) {
      if (batch.length > 0 && size + r.value.length > 512 * 1024) {
        yield batch;
        batch = [];
        size = 0;
      }
      batch.push(reencoded(r));
      size += r.value.length;
    }
    if (batch.length > 0) yield batch;
  };
  const sent = await produce(kafka, topic, batches());
  note(`seeded ${topic}: ${sent.records.toLocaleString('en-US')} records in ${sent.seconds.toFixed(1)} s`);
  return endOffsets(kafka, topic);
}

/** One worker runs the topology over the seeded topic until its group committed the end; spans/s from join and start. */
async function runWorker(kafka: Kafka, config: Config, input: string, ends: Map<number, bigint>, spans: number): Promise<{ fromJoin: number; endToEnd: number }> {
  const app = unique('bench-trace-index');
  const log = watchLog({ bench: 'trace-index' });
  const worker = new Worker({ topology: traceIndexTopology({ traces: `${app}.traces`, index: `${app}.index` }, { id: app, input }), config, groupId: app, logger: log.logger });
  const t0 = performance.now();
  let done: number;
  try {
    await worker.start();
    done = await waitForCommitted(kafka, app, input, ends, { timeoutMs: 1_800_000 });
  } finally {
    await worker.stop();
    const all = await withAdmin(kafka, (admin) => admin.listTopics());
    await cleanup(kafka, all.filter((t) => t.startsWith(app)), [app]);
  }
  const joined = log.firstAt('partitions assigned') ?? t0;
  return { fromJoin: (spans / (done - joined)) * 1000, endToEnd: (spans / (done - t0)) * 1000 };
}

const stack = await benchStack();
const kafkaInput = unique('bench-trace-index-spans');
try {
  const t0 = performance.now();
  const input: SpanRecord[] = [...arrivals(benchTraces({ seed: 16, count: TRACES, startMs: START_MS, perSecond: RATE }))];
  const spans = input.reduce((n, r) => n + r.spans, 0);
  const rawBytes = input.reduce((n, r) => n + r.value.length, 0);
  note(`generated ${fmt(TRACES)} traces, ${fmt(spans)} spans (${(spans / TRACES).toFixed(1)} per trace) in ${fmt(input.length)} records, ${(rawBytes / 2 ** 20).toFixed(0)} MiB OTLP protobuf, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const rates: number[] = [];
  const decodeRates: number[] = [];
  const stateHeap: number[] = [];
  let sizes: { traces: number; index: number; indexRecords: number; traceRecords: number } | undefined;
  const now = () => START_MS + 86_400_000;
  for (let run = 1; run <= RUNS; run++) {
    const d0 = performance.now();
    let decoded = 0;
    for (const r of input) decoded += decodeTraces(r.value).length;
    decodeRates.push((decoded / (performance.now() - d0)) * 1000);

    const topology = traceIndexTopology();
    await topology.prepare?.(stack.config);
    fullGc();
    const profiling = process.env.BENCH_PROFILE && run === RUNS ? await startProfile('bench/results/trace-index.cpuprofile') : undefined;
    const result = runTask(topology, input, { flush: true, now, measureHeap: true });
    stateHeap.push(result.stateHeapBytes!);
    const profile = await profiling?.();
    if (profile) printProfile(profile);
    if (result.spans !== spans) throw new Error(`the task saw ${result.spans} spans, the input has ${spans}`);
    rates.push((spans / result.ms) * 1000);
    const traces = result.tally.get(TOPICS.traces);
    const index = result.tally.get(TOPICS.index);
    if (!traces || !index) throw new Error(`no output on ${TOPICS.traces} or ${TOPICS.index}: ${[...result.tally.keys()].join(', ')}`);
    if (traces.records < TRACES) throw new Error(`${traces.records} otlp.traces records for ${TRACES} traces`);
    sizes = { traces: traces.keyBytes + traces.valueBytes, index: index.keyBytes + index.valueBytes, indexRecords: index.records, traceRecords: traces.records };
    const changelog = [...result.tally].filter(([t]) => t.endsWith('-changelog')).reduce((n, [, t]) => n + t.keyBytes + t.valueBytes, 0);
    note(`run ${run}/${RUNS}: ${fmt(rates.at(-1)!)} spans/s (${(result.ms / 1000).toFixed(1)} s); decode alone ${fmt(decodeRates.at(-1)!)} spans/s; changelogs ${(changelog / spans).toFixed(0)} B/span`);
  }
  const worker: Array<{ fromJoin: number; endToEnd: number }> = [];
  if (KAFKA) {
    await createTopic(stack.kafka, kafkaInput, PARTITIONS);
    const ends = await seedKafka(stack.kafka, kafkaInput, input);
    for (let run = 1; run <= RUNS; run++) {
      worker.push(await runWorker(stack.kafka, stack.config, kafkaInput, ends, spans));
      note(`worker run ${run}/${RUNS}: ${fmt(worker.at(-1)!.fromJoin)} spans/s from join, ${fmt(worker.at(-1)!.endToEnd)} from start`);
    }
  }
  const s = sizes!;
  const results: BenchResult[] = [
    { metric: 'assemble → trace_index, one task', value: round(median(rates)), unit: `spans/s, median (runs ${spread(rates)}); target ≥ 200,000` },
    { metric: '… ÷ decoding the same records', value: round(median(rates.map((r, i) => r / decodeRates[i])), 3), unit: 'ratio (same run)' },
    ...(KAFKA
      ? [
          { metric: 'one Worker on Kafka, exactly-once, from join', value: round(median(worker.map((w) => w.fromJoin))), unit: `spans/s, median (runs ${spread(worker.map((w) => w.fromJoin))}); ${PARTITIONS} partitions` },
          { metric: 'one Worker on Kafka, from start', value: round(median(worker.map((w) => w.endToEnd))), unit: `spans/s, median (runs ${spread(worker.map((w) => w.endToEnd))})` },
        ]
      : []),
    { metric: 'OTLP decode of the input alone', value: round(median(decodeRates)), unit: 'spans/s, median' },
    { metric: 'otlp.index bytes per span', value: round(s.index / spans, 2), unit: `B (key + value of ${fmt(s.indexRecords)} records)` },
    { metric: 'otlp.traces bytes per span', value: round(s.traces / spans, 2), unit: `B (key + value of ${fmt(s.traceRecords)} records, snappy)` },
    { metric: 'raw OTLP protobuf per span', value: round(rawBytes / spans, 2), unit: 'B (input record values)' },
    { metric: 'index ÷ raw OTLP spans', value: round((s.index / rawBytes) * 100, 2), unit: '% (target < 10 %)' },
    { metric: 'index ÷ otlp.traces', value: round((s.index / s.traces) * 100, 2), unit: '%' },
    { metric: 'task state on the heap per trace', value: round(median(stateHeap) / TRACES), unit: `B (after GC, before the final flush: open, remembered and unsealed-block traces; ${(median(stateHeap) / 2 ** 20).toFixed(0)} MiB)` },
    { metric: 'peak RSS', value: round(process.resourceUsage().maxRSS / 1024), unit: 'MiB (whole process, input held in memory)' },
    { metric: 'scale', value: TRACES, unit: `traces, ${fmt(spans)} spans (${(spans / TRACES).toFixed(1)} per trace), ${fmt(input.length)} records, ${fmt(RATE)} traces per event-time s` },
    { metric: 'runs', value: RUNS, unit: 'runs (machine shared: noisy)' },
  ];
  report('trace-index', results);
} finally {
  await cleanup(stack.kafka, [kafkaInput], []);
  await stack.close();
}
