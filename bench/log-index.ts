// Log blocks + full-text indexing on one worker: log records/s through topologies/log-index.yaml (the log_index step),
// compiled with the repo's loader, its task driven in process the way a worker drives it (batches of 500 fetched
// records, a commit every 20,000 log records: the default 100 ms commit interval at 200,000 logs/s; at every commit
// the step's unwritten rows go to its store as chunks and the changelogs and outputs are taken). No Kafka I/O: the
// processing ceiling of one task; the schema registry is used once (the index codec registers its schema). Measured
// with patterns on (the shipped topology) and off. At the end what is open is flushed (segments written), inside the
// timing. Baseline in the same runs: OTLP decoding of the same records alone.
//
// Input: the varied log workload of bench/lib/logWorkload.ts (access lines, application lines, JSON bodies, errors
// with stack traces, Kubernetes events), export batches of 128 records of one service per otlp_logs record, one log
// record every 1/BENCH_LOG_RATE s of event time. Sizes are deterministic: otlp.logs.blocks and otlp.index record bytes
// (key + value) per log record, against the raw text (bodies; bodies + attribute text) and the raw OTLP protobuf.
//
// End to end too (BENCH_KAFKA=0 skips it): the same records (dated from an hour ago) on a 6-partition topic of the
// stack, keyed and placed by service, read by a Worker running the topology exactly-once; logs/s from the group join
// (and from start) until the group's committed offsets reach the end of the input.
//
// Env: BENCH_LOGS (default 300,000), BENCH_LOG_RATE (log records per event-time second, 5,000), BENCH_RUNS (3),
// BENCH_KAFKA (1), BENCH_PROFILE=1 profiles the last in-process run with patterns on (bench/results/log-index.cpuprofile).
import { readFileSync } from 'node:fs';
import type { Kafka, Message } from 'kafkajs';
import { parse } from 'yaml';
import type { Config } from '../src/config/index.ts';
import { logger } from '../src/log.ts';
import { decodeLogs, encodeLogs } from '../src/otlp/index.ts';
import { Worker } from '../src/runtime/index.ts';
import { parseTopology } from '../src/topology/index.ts';
import { cleanup, createTopic, endOffsets, produce, waitForCommitted, withAdmin } from './lib/kafka.ts';
import { watchLog } from './lib/logWatch.ts';
import { logInputs, type LogInput } from './lib/logWorkload.ts';
import { printProfile, startProfile } from './lib/profile.ts';
import { benchStack } from './lib/stack.ts';
import { runTask, type SpanRecord } from './lib/traceWorkload.ts';
import { envNumber, fullGc, note, round, unique } from './lib/util.ts';
import { median, report, type BenchResult } from './report.ts';

logger.level = process.env.LOG_LEVEL ?? 'warn';

const LOGS = Math.round(envNumber('BENCH_LOGS', 300_000));
const RATE = envNumber('BENCH_LOG_RATE', 5_000);
const RUNS = Math.round(envNumber('BENCH_RUNS', 3));
const KAFKA = process.env.BENCH_KAFKA !== '0';
const PARTITIONS = 6;
const START_MS = Date.UTC(2026, 10, 1);
const TOPICS = { blocks: 'bench.log-index.blocks', index: 'bench.log-index.index' };
const fmt = (n: number) => round(n).toLocaleString('en-US');
const spread = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;

/** The shipped topology file with the bench's output topics; `patterns: false` turns the miner off. */
function logIndexTopology(o: { patterns: boolean; topics?: { blocks: string; index: string }; app?: { id: string; input: string } }) {
  const doc = parse(readFileSync('topologies/log-index.yaml', 'utf8')) as { application: string; source: { topic: string }; steps: Array<Record<string, Record<string, unknown>>> };
  const step = doc.steps[0].log_index;
  const topics = o.topics ?? TOPICS;
  Object.assign(step, { blocks_topic: topics.blocks, index_topic: topics.index });
  if (!o.patterns) step.patterns = false;
  if (o.app) {
    doc.application = o.app.id;
    doc.source.topic = o.app.input;
  }
  const loaded = parseTopology(JSON.stringify(doc), 'log-index.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.topology;
}

/** runTask (bench/lib/traceWorkload.ts) counts "spans" per input record: here, log records. */
const asTaskInput = (r: LogInput): SpanRecord => ({ key: r.key, value: r.value, at: r.at, spans: r.logs });

/** Services go round robin over the partitions in the order they first appear, so no partition is empty. */
const partitions = new Map<string, number>();
const partitionOf = (service: string) => {
  let p = partitions.get(service);
  if (p === undefined) partitions.set(service, (p = partitions.size % PARTITIONS));
  return p;
};

/** The input on a topic of the stack, dated from an hour ago on (whole seconds), placed by service. */
async function seedKafka(kafka: Kafka, topic: string, input: LogInput[]): Promise<Map<number, bigint>> {
  const shift = Math.floor((Date.now() - 3_600_000 - START_MS) / 1000) * 1000;
  const batches = function* () {
    let batch: Message[] = [];
    let size = 0;
    for (const r of input) {
      if (batch.length > 0 && size + r.value.length > 512 * 1024) {
        yield batch;
        batch = [];
        size = 0;
      }
      const logs = decodeLogs(r.value).map((l) => ({ ...l, timeMs: l.timeMs + shift, observedTimeMs: l.observedTimeMs + shift }));
      batch.push({ key: r.key, value: encodeLogs(logs), partition: partitionOf(r.key), timestamp: String(r.at + shift) });
      size += r.value.length;
    }
    if (batch.length > 0) yield batch;
  };
  const sent = await produce(kafka, topic, batches());
  note(`seeded ${topic}: ${fmt(sent.records)} records in ${sent.seconds.toFixed(1)} s`);
  return endOffsets(kafka, topic);
}

/** One worker runs the topology over the seeded topic until its group committed the end; logs/s from join and start. */
async function runWorker(kafka: Kafka, config: Config, input: string, ends: Map<number, bigint>, logs: number): Promise<{ fromJoin: number; endToEnd: number }> {
  const app = unique('bench-log-index');
  const log = watchLog({ bench: 'log-index' });
  const topology = logIndexTopology({ patterns: true, topics: { blocks: `${app}.blocks`, index: `${app}.index` }, app: { id: app, input } });
  const worker = new Worker({ topology, config, groupId: app, logger: log.logger });
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
  return { fromJoin: (logs / (done - joined)) * 1000, endToEnd: (logs / (done - t0)) * 1000 };
}

const stack = await benchStack();
const kafkaInput = unique('bench-log-index-logs');
try {
  const t0 = performance.now();
  const input = [...logInputs({ seed: 17, count: LOGS, startMs: START_MS, perSecond: RATE })];
  const taskInput = input.map(asTaskInput);
  const rawBytes = input.reduce((n, r) => n + r.value.length, 0);
  const bodyBytes = input.reduce((n, r) => n + r.bodyBytes, 0);
  const textBytes = input.reduce((n, r) => n + r.textBytes, 0);
  note(`generated ${fmt(LOGS)} log records in ${fmt(input.length)} otlp_logs records, ${(rawBytes / 2 ** 20).toFixed(0)} MiB OTLP protobuf, ${(bodyBytes / LOGS).toFixed(1)} B body per record, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const now = () => START_MS + 86_400_000;
  const rates = { on: [] as number[], off: [] as number[] };
  const decodeRates: number[] = [];
  let sizes: { blocks: number; index: number; blockRecords: number; indexRecords: number; changelog: number } | undefined;
  for (let run = 1; run <= RUNS; run++) {
    const d0 = performance.now();
    let decoded = 0;
    for (const r of input) decoded += decodeLogs(r.value).length;
    decodeRates.push((decoded / (performance.now() - d0)) * 1000);
    for (const patterns of [false, true]) {
      const topology = logIndexTopology({ patterns });
      await topology.prepare?.(stack.config);
      fullGc();
      const profiling = process.env.BENCH_PROFILE && patterns && run === RUNS ? await startProfile('bench/results/log-index.cpuprofile') : undefined;
      const result = runTask(topology, taskInput, { flush: true, now });
      const profile = await profiling?.();
      if (profile) printProfile(profile);
      if (result.spans !== LOGS) throw new Error(`the task saw ${result.spans} log records, the input has ${LOGS}`);
      (patterns ? rates.on : rates.off).push((LOGS / result.ms) * 1000);
      const blocks = result.tally.get(TOPICS.blocks);
      const index = result.tally.get(TOPICS.index);
      if (!blocks || !index) throw new Error(`no output on ${TOPICS.blocks} or ${TOPICS.index}: ${[...result.tally.keys()].join(', ')}`);
      const changelog = [...result.tally].filter(([t]) => t.endsWith('-changelog')).reduce((n, [, t]) => n + t.keyBytes + t.valueBytes, 0);
      if (patterns) sizes = { blocks: blocks.keyBytes + blocks.valueBytes, index: index.keyBytes + index.valueBytes, blockRecords: blocks.records, indexRecords: index.records, changelog };
      note(`run ${run}/${RUNS}, patterns ${patterns ? 'on' : 'off'}: ${fmt((LOGS / result.ms) * 1000)} logs/s (${(result.ms / 1000).toFixed(1)} s); ${fmt(index.records)} segments; changelog ${(changelog / LOGS).toFixed(1)} B/log`);
    }
    note(`run ${run}/${RUNS}: decode alone ${fmt(decodeRates.at(-1)!)} logs/s`);
  }
  const worker: Array<{ fromJoin: number; endToEnd: number }> = [];
  if (KAFKA) {
    await createTopic(stack.kafka, kafkaInput, PARTITIONS);
    const ends = await seedKafka(stack.kafka, kafkaInput, input);
    for (let run = 1; run <= RUNS; run++) {
      worker.push(await runWorker(stack.kafka, stack.config, kafkaInput, ends, LOGS));
      note(`worker run ${run}/${RUNS}: ${fmt(worker.at(-1)!.fromJoin)} logs/s from join, ${fmt(worker.at(-1)!.endToEnd)} from start`);
    }
  }
  const s = sizes!;
  const stored = s.blocks + s.index;
  const results: BenchResult[] = [
    { metric: 'log_index, one task, patterns on', value: round(median(rates.on)), unit: `logs/s, median (runs ${spread(rates.on)}); target ≥ 200,000` },
    { metric: 'log_index, one task, patterns off', value: round(median(rates.off)), unit: `logs/s, median (runs ${spread(rates.off)})` },
    { metric: '… patterns on ÷ decoding the same records', value: round(median(rates.on.map((r, i) => r / decodeRates[i])), 3), unit: 'ratio (same run)' },
    { metric: 'OTLP decode of the input alone', value: round(median(decodeRates)), unit: 'logs/s, median' },
    ...(KAFKA
      ? [
          { metric: 'one Worker on Kafka, exactly-once, from join', value: round(median(worker.map((w) => w.fromJoin))), unit: `logs/s, median (runs ${spread(worker.map((w) => w.fromJoin))}); ${PARTITIONS} partitions, patterns on` },
          { metric: 'one Worker on Kafka, from start', value: round(median(worker.map((w) => w.endToEnd))), unit: `logs/s, median (runs ${spread(worker.map((w) => w.endToEnd))})` },
        ]
      : []),
    { metric: 'otlp.logs.blocks bytes per log', value: round(s.blocks / LOGS, 2), unit: `B (key + value of ${fmt(s.blockRecords)} records)` },
    { metric: 'otlp.index bytes per log', value: round(s.index / LOGS, 2), unit: `B (key + value of ${fmt(s.indexRecords)} records, patterns on)` },
    { metric: 'blocks + index per log', value: round(stored / LOGS, 2), unit: 'B' },
    { metric: 'raw text per log: body', value: round(bodyBytes / LOGS, 2), unit: 'B (UTF-8)' },
    { metric: 'raw text per log: body + attributes', value: round(textBytes / LOGS, 2), unit: 'B (record attributes\' keys and values as text)' },
    { metric: 'raw OTLP protobuf per log', value: round(rawBytes / LOGS, 2), unit: 'B (input record values)' },
    { metric: 'blocks + index ÷ raw text (body + attributes)', value: round((stored / textBytes) * 100, 1), unit: '% (target < 100 %)' },
    { metric: 'blocks + index ÷ raw OTLP', value: round((stored / rawBytes) * 100, 1), unit: '%' },
    { metric: 'index ÷ blocks', value: round((s.index / s.blocks) * 100, 1), unit: '%' },
    { metric: 'changelog bytes per log', value: round(s.changelog / LOGS, 2), unit: 'B (unwritten rows as chunks at commits, block states, miners)' },
    { metric: 'peak RSS', value: round(process.resourceUsage().maxRSS / 1024), unit: 'MiB (whole process, input held in memory)' },
    { metric: 'scale', value: LOGS, unit: `log records, ${fmt(input.length)} otlp_logs records, ${fmt(RATE)} logs per event-time s` },
    { metric: 'runs', value: RUNS, unit: 'runs (machine shared: noisy)' },
  ];
  report('log-index', results);
} finally {
  await cleanup(stack.kafka, [kafkaInput], []);
  await stack.close();
}
