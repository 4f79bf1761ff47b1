// Replaying a time range of the input through a topology: start offsets by timestamp, end offsets captured at the
// start, its own consumer group, transactional ids and state, the same (or overridden) sinks. Its Kafka records —
// outputs, late records, dead letters — go to topics of its own: the live topics' consumers already saw the live
// run's records, and a second copy would count twice. The range is in Kafka record time, in event time, or both.
import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { map } from 'rxjs';
import type { Config } from '../config/index.ts';
import { DLQ_TOPIC } from '../dlq/index.ts';
import { createKafka } from '../kafka/index.ts';
import { componentLogger } from '../log.ts';
import { changelogTopic } from './changelog.ts';
import type { Flow, SourceItem, SourceSpec, Topology } from './topology.ts';
import { Worker } from './worker.ts';

export interface BackfillOptions {
  topology: Topology;
  config: Config;
  /**
   * Range of Kafka record timestamps, ms: [from, to); either end open means the log's start or its end at the start
   * of the backfill. Align both to window boundaries for results equal to the live run's.
   */
  from?: number;
  to?: number;
  /** Range of event times, ms: [fromEventTime, toEventTime); items outside it are skipped. */
  fromEventTime?: number;
  toEventTime?: number;
  /** Sink target overrides, e.g. { counts: 'counts_backfill' }. */
  sinkTargets?: Record<string, string>;
  /**
   * Suffix of the backfill's own Kafka topics: every output, late record and dead letter goes to `<topic><suffix>`
   * (default `.backfill-<runId>`), never to the topics the live run writes.
   */
  outputTopicSuffix?: string;
  /** Write the topology's own output, late and dead-letter topics instead (the live run's). */
  allowLiveTopics?: boolean;
  runId?: string;
  /** Called about once a second. */
  onProgress?: (progress: BackfillProgress) => void;
}

export interface BackfillProgress {
  done: number;
  total: number;
  recordsPerSecond: number;
  etaSeconds: number;
}

export interface BackfillResult {
  groupId: string;
  records: number;
  /** Items the event-time range left out. */
  skippedItems: number;
  /** Where each Kafka topic the topology writes went: live topic → the backfill's own (the same with allowLiveTopics). */
  topics: Map<string, string>;
  seconds: number;
  startOffsets: Map<number, bigint>;
  endOffsets: Map<number, bigint>;
}

/** What a backfill changes in a topology: where its Kafka records go, and which event times it keeps. */
export interface BackfillShape {
  application: string;
  /** A topic the topology writes → the topic the backfill writes instead (identity: the live topics). */
  topic: (topic: string) => string;
  eventTime?: { from: number; to: number };
  /** Counts items the event-time range leaves out. */
  skipped?: { items: number };
}

/**
 * The topology as a backfill runs it: its own application id (group, transactional ids, changelogs), every record
 * it emits renamed to the backfill's topics, and only items whose event time is in range decoded.
 */
export function backfillTopology(topology: Topology, shape: BackfillShape): Topology {
  const { topic, eventTime, skipped } = shape;
  const source = topology.source;
  const decode: SourceSpec<unknown>['decode'] = !eventTime
    ? source.decode
    : (message) => {
        const kept: SourceItem<unknown>[] = [];
        for (const item of source.decode(message)) {
          if (item.timestamp >= eventTime.from && item.timestamp < eventTime.to) kept.push(item);
          else if (skipped) skipped.items++;
        }
        return kept;
      };
  const renamed = new Map<string, string>();
  const rename = (flow: Flow<unknown>): Flow<unknown> => {
    if (flow.kind !== 'output' || flow.output.kind !== 'emit') return flow;
    let to = renamed.get(flow.output.topic);
    if (to === undefined) renamed.set(flow.output.topic, (to = topic(flow.output.topic)));
    return to === flow.output.topic ? flow : { kind: 'output', output: { ...flow.output, topic: to } };
  };
  return {
    ...topology,
    application: shape.application,
    source: { ...source, decode },
    outputs: topology.outputs.map((o) => ({ ...o, topic: topic(o.topic) })),
    lateTopic: topic(topology.lateTopic),
    pipeline: (ctx) => (input) => input.pipe(topology.pipeline(ctx), map(rename)),
  };
}

/** Start and end offsets per partition of `topic` for record times [from, to); an open end is the log's start or end. */
async function resolveOffsets(admin: Admin, topic: string, from: number | undefined, to: number | undefined): Promise<{ startOffsets: Map<number, bigint>; endOffsets: Map<number, bigint> }> {
  const startOffsets = new Map<number, bigint>();
  const endOffsets = new Map<number, bigint>();
  const log = await admin.fetchTopicOffsets(topic);
  const starts = from === undefined ? log.map((o) => ({ partition: o.partition, offset: o.low })) : await admin.fetchTopicOffsetsByTimestamp(topic, from);
  const ends = to === undefined ? log.map((o) => ({ partition: o.partition, offset: o.high })) : await admin.fetchTopicOffsetsByTimestamp(topic, to);
  for (const s of starts) startOffsets.set(s.partition, BigInt(s.offset));
  for (const e of ends) endOffsets.set(e.partition, BigInt(e.offset) > startOffsets.get(e.partition)! ? BigInt(e.offset) : startOffsets.get(e.partition)!);
  return { startOffsets, endOffsets };
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** Checks a backfill's range and topic options; throws with what to change. */
export function checkBackfillOptions(options: Pick<BackfillOptions, 'from' | 'to' | 'fromEventTime' | 'toEventTime' | 'outputTopicSuffix' | 'allowLiveTopics'>): void {
  const { from, to, fromEventTime, toEventTime } = options;
  if ([from, to, fromEventTime, toEventTime].every((t) => t === undefined)) throw new Error('backfill: give a range: --from/--to (Kafka record time) and/or --from-event-time/--to-event-time');
  if (from !== undefined && to !== undefined && !(to > from)) throw new Error(`backfill: --to (${iso(to)}) must be after --from (${iso(from)})`);
  if (fromEventTime !== undefined && toEventTime !== undefined && !(toEventTime > fromEventTime)) throw new Error(`backfill: --to-event-time (${iso(toEventTime)}) must be after --from-event-time (${iso(fromEventTime)})`);
  if (options.allowLiveTopics && options.outputTopicSuffix !== undefined) throw new Error('backfill: --output-topic-suffix and --allow-live-topics exclude each other');
  if (options.outputTopicSuffix !== undefined && !/^[a-zA-Z0-9._-]+$/.test(options.outputTopicSuffix)) throw new Error(`backfill: --output-topic-suffix "${options.outputTopicSuffix}" may only use letters, digits, '.', '_' and '-' (it names topics), and not be empty`);
}

/** Runs the backfill to its end offsets and cleans up its own group and state topics. */
export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  checkBackfillOptions(options);
  const runId = options.runId ?? randomBytes(4).toString('hex');
  const application = `${options.topology.application}-backfill-${runId}`;
  const suffix = options.outputTopicSuffix ?? `.backfill-${runId}`;
  const topicOf = options.allowLiveTopics ? (topic: string) => topic : (topic: string) => `${topic}${suffix}`;
  const eventTime = options.fromEventTime === undefined && options.toEventTime === undefined ? undefined : { from: options.fromEventTime ?? -Infinity, to: options.toEventTime ?? Infinity };
  const skipped = { items: 0 };
  const topology = backfillTopology(options.topology, { application, topic: topicOf, eventTime, skipped });
  const deadLetterTopic = topicOf(DLQ_TOPIC);
  const topics = new Map([...options.topology.outputs.map((o) => o.topic), DLQ_TOPIC].map((t) => [t, topicOf(t)]));
  const log = componentLogger('backfill', { application, from: iso(options.from), to: iso(options.to), fromEventTime: iso(eventTime?.from), toEventTime: iso(eventTime?.to) });
  const kafka = createKafka(options.config);
  const topic = options.topology.source.topic;
  const admin = kafka.admin();
  await admin.connect();
  let startOffsets: Map<number, bigint>;
  let endOffsets: Map<number, bigint>;
  try {
    ({ startOffsets, endOffsets } = await resolveOffsets(admin, topic, options.from, options.to));
    await admin.setOffsets({ groupId: application, topic, partitions: [...startOffsets].map(([partition, offset]) => ({ partition, offset: offset.toString() })) });
  } finally {
    await admin.disconnect();
  }
  const total = [...endOffsets].reduce((sum, [p, end]) => sum + Number(end - startOffsets.get(p)!), 0);
  log.info({ topic, records: total, start: Object.fromEntries(startOffsets), end: Object.fromEntries(endOffsets), writes: Object.fromEntries(topics) }, 'backfill range resolved');
  if (options.allowLiveTopics) log.warn({ topics: [...topics.keys()] }, 'backfill writes the live topics (--allow-live-topics): their consumers see these records again');

  // Its own application id: own group, transactional ids and changelog topics, so live state is never touched.
  const worker = new Worker({ topology, config: options.config, groupId: application, sinkTargets: options.sinkTargets, endOffsets, deadLetterTopic, logger: log });
  const started = performance.now();
  const progress = () => {
    const committed = worker.committedOffsets();
    let done = 0;
    for (const [p, end] of endOffsets) {
      const at = committed.get(p) ?? startOffsets.get(p)!;
      done += Number((at < end ? at : end) - startOffsets.get(p)!);
    }
    const seconds = (performance.now() - started) / 1000;
    const rate = done / Math.max(seconds, 0.001);
    options.onProgress?.({ done: Math.max(0, done), total, recordsPerSecond: rate, etaSeconds: rate > 0 ? (total - done) / rate : Infinity });
  };
  const timer = setInterval(progress, 1000);
  try {
    await worker.start();
    await worker.done;
    progress();
  } finally {
    clearInterval(timer);
    await worker.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const cleanup = kafka.admin();
  await cleanup.connect();
  try {
    await cleanup.deleteTopics({ topics: options.topology.stores.map((s) => changelogTopic(application, s.name)) }).catch((err: Error) => log.warn({ err: err.message }, 'could not delete backfill changelogs'));
    await cleanup.deleteGroups([application]).catch(() => {});
  } finally {
    await cleanup.disconnect();
  }
  log.info({ records: total, skippedItems: skipped.items, seconds: Math.round(seconds * 10) / 10 }, 'backfill finished');
  return { groupId: application, records: total, skippedItems: skipped.items, topics, seconds, startOffsets, endOffsets };
}
