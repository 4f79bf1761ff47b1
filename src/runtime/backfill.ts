// Replaying a time range of the input through a topology: start offsets by timestamp, end offsets captured at the
// start, its own consumer group, transactional ids and state, the same (or overridden) sinks.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.ts';
import { createKafka } from '../kafka/index.ts';
import { componentLogger } from '../log.ts';
import { changelogTopic } from './changelog.ts';
import type { Topology } from './topology.ts';
import { Worker } from './worker.ts';

export interface BackfillOptions {
  topology: Topology;
  config: Config;
  /** Range of Kafka record timestamps, ms: [from, to). Align both to window boundaries for results equal to the live run's. */
  from: number;
  to: number;
  /** Sink target overrides, e.g. { counts: 'counts_backfill' }. */
  sinkTargets?: Record<string, string>;
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
  seconds: number;
  startOffsets: Map<number, bigint>;
  endOffsets: Map<number, bigint>;
}

/** Runs the backfill to its end offsets and cleans up its own group and state topics. */
export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  if (!(options.to > options.from)) throw new Error(`backfill: --to (${new Date(options.to).toISOString()}) must be after --from (${new Date(options.from).toISOString()})`);
  const runId = options.runId ?? randomBytes(4).toString('hex');
  const application = `${options.topology.application}-backfill-${runId}`;
  const log = componentLogger('backfill', { application, from: new Date(options.from).toISOString(), to: new Date(options.to).toISOString() });
  const kafka = createKafka(options.config);
  const topic = options.topology.source.topic;
  const admin = kafka.admin();
  await admin.connect();
  const startOffsets = new Map<number, bigint>();
  const endOffsets = new Map<number, bigint>();
  try {
    const starts = await admin.fetchTopicOffsetsByTimestamp(topic, options.from);
    const ends = await admin.fetchTopicOffsetsByTimestamp(topic, options.to);
    for (const s of starts) startOffsets.set(s.partition, BigInt(s.offset));
    for (const e of ends) endOffsets.set(e.partition, BigInt(e.offset) > startOffsets.get(e.partition)! ? BigInt(e.offset) : startOffsets.get(e.partition)!);
    await admin.setOffsets({ groupId: application, topic, partitions: [...startOffsets].map(([partition, offset]) => ({ partition, offset: offset.toString() })) });
  } finally {
    await admin.disconnect();
  }
  const total = [...endOffsets].reduce((sum, [p, end]) => sum + Number(end - startOffsets.get(p)!), 0);
  log.info({ topic, records: total, start: Object.fromEntries(startOffsets), end: Object.fromEntries(endOffsets) }, 'backfill range resolved');

  // Its own application id: own group, transactional ids and changelog topics, so live state is never touched.
  const worker = new Worker({ topology: { ...options.topology, application }, config: options.config, groupId: application, sinkTargets: options.sinkTargets, endOffsets, logger: log });
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
  log.info({ records: total, seconds: Math.round(seconds * 10) / 10 }, 'backfill finished');
  return { groupId: application, records: total, seconds, startOffsets, endOffsets };
}
