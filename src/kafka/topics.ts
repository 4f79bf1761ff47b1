// Creating the topics a component needs, and refusing to run on ones whose partition count differs from what it expects.
// A broker that has just started (or restarted) answers for a while with retriable errors: the controller has created
// a topic that the broker's metadata does not show yet (UNKNOWN_TOPIC_OR_PARTITION), a partition has no leader yet,
// or the leader does not host the partition yet (NOT_LEADER_FOR_PARTITION). kafkajs' createTopics with
// waitForLeaders retries only LEADER_NOT_AVAILABLE and fails on the others, so topics are created without it and
// their readiness is checked here: every partition led, and its leader answering for it, within a deadline.
import type { Admin, Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** e.g. { 'cleanup.policy': 'compact' } */
  config?: Record<string, string>;
}

const DEFAULT_WAIT_MS = 30_000;
const POLL_MS = 100;

/**
 * Creates missing topics and waits until every partition of every topic is led and its leader answers for it;
 * for existing topics checks the partition count (co-partitioned state depends on it) and returns the counts found.
 * Safe when several processes create the same topics at once. Retriable broker errors are retried until `waitMs`.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], opts: { allowMorePartitions?: boolean; waitMs?: number } = {}): Promise<Map<string, number>> {
  const waitMs = opts.waitMs ?? DEFAULT_WAIT_MS;
  const deadline = Date.now() + waitMs;
  const topics = specs.map((s) => s.topic);
  const admin = kafka.admin();
  try {
    await untilDone(`connecting to create topics ${topics.join(', ')}`, deadline, waitMs, () => admin.connect());
    await untilDone(`creating topics ${topics.join(', ')}`, deadline, waitMs, () => createMissing(admin, specs));
    const counts = await untilDone(`waiting for the partitions of ${topics.join(', ')} to be led`, deadline, waitMs, () => ledPartitions(admin, topics));
    for (const spec of specs) {
      const found = counts.get(spec.topic) ?? 0;
      const ok = found === spec.numPartitions || (opts.allowMorePartitions && found > spec.numPartitions);
      if (!ok) throw new Error(`topic ${spec.topic} has ${found} partitions, expected ${spec.numPartitions}`);
    }
    return counts;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function createMissing(admin: Admin, specs: TopicSpec[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  } catch (err) {
    // Another process may have created some a moment ago (the readiness check decides); the other answers count.
    const others = errorsOf(err).filter((e) => (e as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS');
    if (others.length === 0) return;
    if (others.every(isRetriable)) throw new NotReady(describe(err));
    throw err;
  }
}

/** Partition counts, once every partition has a leader in the metadata and that leader answers a ListOffsets for it. */
async function ledPartitions(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const metadata = await admin.fetchTopicMetadata({ topics });
  for (const t of metadata.topics) {
    if (t.partitions.length === 0) throw new NotReady(`topic ${t.name} has no partitions yet`);
    const leaderless = t.partitions.filter((p) => p.leader < 0).map((p) => p.partitionId);
    if (leaderless.length > 0) throw new NotReady(`topic ${t.name}: partitions ${leaderless.join(', ')} have no leader yet`);
  }
  // The metadata can name a leader before that broker hosts the partition: ask the leaders themselves.
  for (const topic of topics) await admin.fetchTopicOffsets(topic);
  return new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
}

/** A condition that is not met yet (not an error of the broker). */
class NotReady extends Error {
  readonly retriable = true;
}

/** The errors in `err`: an aggregate's, the one kafkajs' retrier wrapped when it gave up, or `err` itself. */
function errorsOf(err: unknown): unknown[] {
  const e = err as { errors?: unknown[]; cause?: unknown; name?: string };
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.flatMap(errorsOf);
  if (e.name === 'KafkaJSNumberOfRetriesExceeded' && e.cause) return errorsOf(e.cause);
  return [err];
}

/**
 * Whether `err` says "try again": kafkajs marks protocol errors of a broker that is loading, electing or
 * propagating metadata, and connection errors, as retriable; its own retrier wraps the last one when it gives up.
 */
export function isRetriable(err: unknown): boolean {
  const e = err as { retriable?: boolean; errors?: unknown[]; cause?: unknown; name?: string };
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every(isRetriable);
  if (e.name === 'KafkaJSNumberOfRetriesExceeded') return e.cause !== undefined && isRetriable(e.cause);
  return e.retriable === true;
}

function describe(err: unknown): string {
  const e = err as { message?: string; errors?: Array<{ message?: string; type?: string }> };
  return [e.message, ...(e.errors ?? []).map((x) => `${x.type} ${x.message}`)].join('; ');
}

/** Runs `step` until it succeeds; retriable errors are retried until the deadline, others fail at once. */
async function untilDone<T>(what: string, deadline: number, waitMs: number, step: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await step();
    } catch (err) {
      if (!isRetriable(err)) throw new Error(`${what}: ${describe(err)}`, { cause: err });
      if (Date.now() + POLL_MS > deadline) throw new Error(`${what}: not done after ${waitMs} ms; last answer: ${describe(err)}`, { cause: err });
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

/** Partition count of one existing topic; a topic created a moment ago gets a few seconds to appear in the metadata. */
export async function partitionCount(kafka: Kafka, topic: string, waitMs = 10_000): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + waitMs;
  try {
    for (;;) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        if (topics[0]?.partitions.length > 0) return topics[0].partitions.length;
        throw new Error('no partitions');
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`topic ${topic} does not exist or has no partitions (${(err as Error).message})`, { cause: err });
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
