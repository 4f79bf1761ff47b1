// Kafka helpers for benches: topics, seeding, a plain kafkajs eachBatch consumer as the baseline, and waiting for
// a consumer group's committed offsets to reach the end of a topic.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Admin, Kafka, KafkaMessage, Message } from 'kafkajs';
import { sleep, unique } from './util.ts';

export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(kafka: Kafka, topic: string, numPartitions: number, config: Record<string, string> = {}): Promise<void> {
  await withAdmin(kafka, (admin) =>
    admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }] }),
  );
}

/** Deletes the topics that exist among `topics` and the consumer groups among `groups`; never throws. */
export async function cleanup(kafka: Kafka, topics: string[], groups: string[] = []): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 30_000 }).catch(() => {});
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => {});
  }).catch(() => {});
}

/** Sends message batches (each a list of messages with explicit partitions) in order, idempotently, acks=all. */
export async function produce(kafka: Kafka, topic: string, batches: Iterable<Message[]>): Promise<{ records: number; bytes: number; seconds: number }> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const t0 = performance.now();
  let records = 0;
  let bytes = 0;
  try {
    for (const messages of batches) {
      await producer.send({ topic, acks: -1, messages });
      records += messages.length;
      for (const m of messages) bytes += (m.value as Buffer | null)?.length ?? 0;
    }
  } finally {
    await producer.disconnect();
  }
  return { records, bytes, seconds: (performance.now() - t0) / 1000 };
}

/** High-water mark per partition. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const offsets = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(topic));
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
}

export interface ConsumeRun {
  records: number;
  bytes: number;
  /** ms from `run()` to the group join, and from the join (fetching starts) to the last record. */
  startupMs: number;
  processMs: number;
}

export interface PlainConsumeOptions {
  /** Same fetch sizing as the worker uses, so the comparison is about the runtime, not the fetch size. */
  maxBytesPerPartition?: number;
  maxBytes?: number;
  partitionsConsumedConcurrently?: number;
  /** Work per message (e.g. decoding), to measure a baseline that does what the topology's source does. */
  onMessage?: (m: KafkaMessage) => void;
}

/** Plain kafkajs consumer (eachBatch, fresh group, from the beginning) reading `total` records of `topic`. */
export async function plainConsume(kafka: Kafka, topic: string, total: number, opts: PlainConsumeOptions = {}): Promise<ConsumeRun> {
  const groupId = unique('bench-plain');
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 << 20, maxBytes: opts.maxBytes ?? 32 << 20, readUncommitted: false });
  let records = 0;
  let bytes = 0;
  let joined = 0;
  let last = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const onMessage = opts.onMessage;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, () => (joined ||= performance.now()));
    const t0 = performance.now();
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          bytes += m.value?.length ?? 0;
          if (onMessage) onMessage(m);
        }
        records += batch.messages.length;
        if (records >= total && last === 0) {
          last = performance.now();
          resolveDone();
        }
      },
    });
    await done;
    return { records, bytes, startupMs: joined - t0, processMs: last - joined };
  } finally {
    await consumer.disconnect().catch(() => {});
    await withAdmin(kafka, (admin) => admin.deleteGroups([groupId])).catch(() => {});
  }
}

/**
 * `plainConsume` on kafkajs as published, in a child process: our processes load kafkajs with replaced internals
 * (src/kafka/kafkajs.ts), so an in-process baseline would not be plain kafkajs.
 */
export async function stockConsume(brokers: string[], topic: string, total: number, opts: Omit<PlainConsumeOptions, 'onMessage'> = {}): Promise<ConsumeRun> {
  const script = fileURLToPath(new URL('./stockConsume.ts', import.meta.url));
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [script, JSON.stringify({ brokers, topic, total, ...opts })], { timeout: 600_000, maxBuffer: 1 << 20 }, (err, out, errOut) =>
      err ? reject(new Error(`stock kafkajs consumer failed: ${err.message}\n${errOut}`)) : resolve(out),
    ),
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ConsumeRun;
}

/** Resolves when `groupId` has committed `ends` on every partition of `topic`; polls every `everyMs`. */
export async function waitForCommitted(kafka: Kafka, groupId: string, topic: string, ends: Map<number, bigint>, opts: { everyMs?: number; timeoutMs?: number; failed?: () => Error | undefined } = {}): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  try {
    for (;;) {
      const err = opts.failed?.();
      if (err) throw err;
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const behind = committed.partitions.filter((p) => BigInt(p.offset) < (ends.get(p.partition) ?? 0n));
      if (behind.length === 0 && committed.partitions.length >= ends.size) return performance.now();
      if (Date.now() > deadline) throw new Error(`group ${groupId} still behind on ${topic} after ${opts.timeoutMs ?? 600_000} ms`);
      await sleep(opts.everyMs ?? 50);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Reads a topic (read committed) from the beginning until `expected` records arrived or it stays quiet. */
export async function readAll(kafka: Kafka, topic: string, expected: number, onMessage: (m: KafkaMessage) => void, quietMs = 10_000): Promise<number> {
  const groupId = unique('bench-verify');
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxBytesPerPartition: 8 << 20, maxBytes: 64 << 20 });
  let count = 0;
  let lastSeen: number;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) onMessage(m);
        count += batch.messages.length;
        lastSeen = Date.now();
      },
    });
    lastSeen = Date.now();
    while (count < expected && Date.now() - lastSeen < quietMs) await sleep(100);
    return count;
  } finally {
    await consumer.disconnect().catch(() => {});
    await withAdmin(kafka, (admin) => admin.deleteGroups([groupId])).catch(() => {});
  }
}

/** Messages per kafkajs send in the exactly-once copy (see startTransactionalCopy). */
export const SEND_CHUNK = 2_000;

/**
 * The consume → transform → produce loop written directly on kafkajs, as the runtime does it: one transactional
 * producer per input partition, one transaction per batch with the batch's records (keyed, default partitioner, in sends of SEND_CHUNK)
 * and the consumer offset. The ceiling an exactly-once topology can reach on kafkajs. Returns the group id and
 * the time of the group join; completion is observed like the topology's, with `waitForCommitted`.
 */
export async function startTransactionalCopy(kafka: Kafka, input: string, output: string, opts: { maxBytesPerPartition?: number; partitions: number }): Promise<{ groupId: string; joinedAt: Promise<number>; stop: () => Promise<void> }> {
  const groupId = unique('bench-eos-copy');
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 << 20, maxBytes: 32 << 20 });
  const producers = new Map<number, Promise<import('kafkajs').Producer>>();
  const producerFor = (partition: number) => {
    let p = producers.get(partition);
    if (!p) {
      const producer = kafka.producer({ transactionalId: `${groupId}-${partition}`, idempotent: true, maxInFlightRequests: 1 });
      p = producer.connect().then(() => producer);
      producers.set(partition, p);
    }
    return p;
  };
  let resolveJoin!: (t: number) => void;
  const joinedAt = new Promise<number>((resolve) => (resolveJoin = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => resolveJoin(performance.now()));
  await consumer.connect();
  await consumer.subscribe({ topic: input, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: opts.partitions,
    eachBatch: async ({ batch, heartbeat }) => {
      if (batch.messages.length === 0) return;
      const producer = await producerFor(batch.partition);
      const tx = await producer.transaction();
      try {
        const messages = batch.messages.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp }));
        // kafkajs groups a send's messages by partition in quadratic time (groupMessagesPerPartition copies the
        // partition's array for every message), so large batches go out in chunks.
        for (let i = 0; i < messages.length; i += SEND_CHUNK) await tx.sendBatch({ acks: -1, topicMessages: [{ topic: output, messages: messages.slice(i, i + SEND_CHUNK) }] });
        await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }] }] });
        await tx.commit();
      } catch (err) {
        await tx.abort().catch(() => {});
        throw err;
      }
      await heartbeat();
    },
  });
  return {
    groupId,
    joinedAt,
    stop: async () => {
      await consumer.disconnect().catch(() => {});
      for (const p of producers.values()) await (await p).disconnect().catch(() => {});
    },
  };
}
