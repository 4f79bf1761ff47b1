// Trace workloads of the trace benches: the shop's generated traces (src/gen), grafted to about 20 spans each, as
// otlp_spans input records (one per trace and service, as each service's SDK exports its own spans and the collector's
// kafka exporter splits a request by trace id), and a driver that runs a topology's task in process the way a worker
// does: batches of fetched records, a checkpoint (commit) every `commitSpans` spans; outputs are tallied per topic and
// kept only when asked.
import { readFileSync } from 'node:fs';
import type { KafkaMessage } from 'kafkajs';
import { parse } from 'yaml';
import { Random } from '../../src/gen/random.ts';
import { instancesOf, SHOP } from '../../src/gen/services.ts';
import { generateTrace } from '../../src/gen/traces.ts';
import { flushWindows } from '../../src/operators/taskEvent.ts';
import { encodeTraces, type Span } from '../../src/otlp/index.ts';
import { Task } from '../../src/runtime/task.ts';
import type { OutgoingRecord } from '../../src/runtime/task.ts';
import type { Topology } from '../../src/runtime/topology.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { fullGc } from './util.ts';

const serviceOf = (s: Span) => String(s.resource.attributes.find((a) => a.key === 'service.name')?.value ?? '');

/**
 * `count` traces of about 20 spans, one starting every `1000 / perSecond` ms of event time from `startMs`: a
 * generated request with further requests grafted under its root (same trace id) until it has 12–18 spans or a few more (about 20 on average).
 */
export function* benchTraces(options: { seed: number; count: number; startMs: number; perSecond: number }): Generator<Span[]> {
  const rng = new Random(options.seed);
  const instances = instancesOf(SHOP);
  for (let i = 0; i < options.count; i++) {
    const startMs = options.startMs + Math.floor((i * 1000) / options.perSecond);
    const spans = generateTrace(rng, instances, startMs);
    const root = spans.find((s) => s.parentSpanId === '')!;
    const want = 12 + rng.int(0, 6);
    while (spans.length < want) {
      const more = generateTrace(rng, instances, startMs + rng.int(0, 3));
      for (const s of more) spans.push({ ...s, traceId: root.traceId, parentSpanId: s.parentSpanId === '' ? root.spanId : s.parentSpanId });
    }
    spans.sort((a, b) => a.endTimeMs - b.endTimeMs || a.endTimeNanos - b.endTimeNanos);
    yield spans;
  }
}

/** An otlp_spans record: the spans of one trace and one service. */
export interface SpanRecord {
  key: string;
  value: Buffer;
  /** Latest end time of its spans: when its service exports it. */
  at: number;
  spans: number;
}

/** A trace's input records, one per service. */
export function recordsOf(trace: Span[]): SpanRecord[] {
  const byService = new Map<string, Span[]>();
  for (const s of trace) {
    const list = byService.get(serviceOf(s));
    if (list) list.push(s);
    else byService.set(serviceOf(s), [s]);
  }
  return [...byService.values()].map((spans) => ({ key: spans[0].traceId, value: encodeTraces(spans), at: Math.max(...spans.map((s) => s.endTimeMs)), spans: spans.length }));
}

/** Input records of the traces in arrival order (by export time within windows of `window` traces). */
export function* arrivals(traces: Iterable<Span[]>, window = 2_000): Generator<SpanRecord> {
  let chunk: SpanRecord[] = [];
  let n = 0;
  const drain = () => {
    chunk.sort((a, b) => a.at - b.at);
    const out = chunk;
    chunk = [];
    return out;
  };
  for (const t of traces) {
    chunk.push(...recordsOf(t));
    if (++n % window === 0) yield* drain();
  }
  yield* drain();
}

/** Byte and record counts of a topic's output. */
export interface TopicTally {
  records: number;
  keyBytes: number;
  valueBytes: number;
}

/**
 * Runs one task of `topology` over `input` as a worker does (batches of `batch` records; a checkpoint every
 * `commitSpans` spans and at the end, after flushing what is open when `flush`). Returns the time spent, the tally
 * per topic and, for the topics in `keep`, the records themselves.
 */
export function runTask(
  topology: Topology,
  input: SpanRecord[],
  options: { partition?: number; batch?: number; commitSpans?: number; flush?: boolean; keep?: readonly string[]; now?: () => number; measureHeap?: boolean },
): { ms: number; spans: number; tally: Map<string, TopicTally>; kept: Map<string, OutgoingRecord[]>; stateHeapBytes?: number } {
  const batchSize = options.batch ?? 500;
  const commitSpans = options.commitSpans ?? 20_000;
  const keep = new Set(options.keep ?? []);
  const task = new Task(topology, options.partition ?? 0, { now: options.now });
  task.start();
  const tally = new Map<string, TopicTally>();
  const kept = new Map<string, OutgoingRecord[]>();
  const take = () => {
    for (const [topic, records] of task.takeCheckpoint().messages) {
      const t = tally.get(topic) ?? { records: 0, keyBytes: 0, valueBytes: 0 };
      for (const r of records) {
        t.records++;
        t.keyBytes += r.key === null ? 0 : Buffer.byteLength(r.key);
        t.valueBytes += r.value === null ? 0 : Buffer.byteLength(r.value);
      }
      tally.set(topic, t);
      if (keep.has(topic)) {
        const list = kept.get(topic) ?? [];
        for (const r of records) list.push(r);
        kept.set(topic, list);
      }
    }
  };
  let spans = 0;
  let sinceCommit = 0;
  if (options.measureHeap) fullGc();
  const heapBefore = process.memoryUsage().heapUsed;
  let t0 = performance.now();
  for (let i = 0; i < input.length; i += batchSize) {
    const messages: KafkaMessage[] = [];
    for (let j = i; j < Math.min(input.length, i + batchSize); j++) {
      const r = input[j];
      messages.push({ key: Buffer.from(r.key), value: r.value, offset: String(j), timestamp: String(r.at), attributes: 0, headers: {} } as KafkaMessage);
      spans += r.spans;
      sinceCommit += r.spans;
    }
    task.process(messages, BigInt(Math.min(input.length, i + batchSize)));
    if (sinceCommit >= commitSpans) {
      take();
      sinceCommit = 0;
    }
  }
  let stateHeapBytes: number | undefined;
  if (options.measureHeap) {
    // The task's state before the final flush (open, remembered and block traces), outside the timing.
    take();
    const paused = performance.now();
    fullGc();
    stateHeapBytes = process.memoryUsage().heapUsed - heapBefore;
    t0 += performance.now() - paused;
  }
  if (options.flush) task.control(flushWindows);
  take();
  const ms = performance.now() - t0;
  void task.close();
  return { ms, spans, tally, kept, stateHeapBytes };
}

/** The shipped trace-index topology writing to the bench's own topics. */
export function traceIndexTopology(topics: { traces: string; index: string }) {
  const doc = parse(readFileSync('topologies/trace-index.yaml', 'utf8')) as { steps: Array<Record<string, Record<string, unknown>>> };
  Object.assign(doc.steps[1].trace_index, { traces_topic: topics.traces, index_topic: topics.index });
  const loaded = parseTopology(JSON.stringify(doc), 'trace-index.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.topology;
}
