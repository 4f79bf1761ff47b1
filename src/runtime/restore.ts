// Reading chosen partitions of changelog topics from the beginning to the end offsets seen at the start.
// kafkajs has no manual assignment, so a throwaway consumer group with an assigner that hands its only member
// exactly those partitions stands in for it. Only the latest record per key is kept while reading (what compaction
// would leave), so a restore holds one image of the store however many checkpoints the log still holds.
import { randomBytes } from 'node:crypto';
import { fixedAssigner } from '../kafka/fixedAssigner.ts';
import type { Kafka } from 'kafkajs';

export interface RestoredRecord {
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * Keeps the latest record per key, in the order of their offsets (a record replaces its key's earlier one and moves
 * to the end). Records without a key are dropped: compaction would not keep them either.
 */
export class LatestByKey {
  private readonly records = new Map<string, RestoredRecord>();

  add(key: Buffer | null, value: Buffer | null): void {
    if (key === null) return;
    // latin1 maps each byte to one char: a cheap, exact string key. Copies, so the fetched response can be freed.
    const id = key.toString('latin1');
    this.records.delete(id);
    this.records.set(id, { key: own(key), value: value === null ? null : own(value) });
  }

  get size(): number {
    return this.records.size;
  }

  /** The kept records, oldest offset first. */
  values(): RestoredRecord[] {
    return [...this.records.values()];
  }
}

/** A buffer of its own: kafkajs hands out views of the whole fetch response, which a kept view would pin in memory. */
function own(buf: Buffer): Buffer {
  if (buf.byteLength === buf.buffer.byteLength) return buf;
  // Not Buffer.from: small copies would share a pool slab with unrelated buffers.
  const copy = Buffer.allocUnsafeSlow(buf.length);
  buf.copy(copy);
  return copy;
}

/**
 * The latest committed record per key of `partitions` of each topic, in offset order, read up to the end offsets at
 * the time of the call. Returns records per "topic:partition".
 */
export async function readPartitions(kafka: Kafka, topics: string[], partitions: number[], onProgress?: (read: number, total: number) => void): Promise<Map<string, RestoredRecord[]>> {
  const out = new Map<string, LatestByKey>();
  const admin = kafka.admin();
  await admin.connect();
  const pending = new Map<string, bigint>();
  try {
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      for (const p of partitions) {
        out.set(`${topic}:${p}`, new LatestByKey());
        const o = offsets.find((x) => x.partition === p);
        if (o && BigInt(o.high) > BigInt(o.low)) pending.set(`${topic}:${p}`, BigInt(o.high));
      }
    }
  } finally {
    await admin.disconnect();
  }
  const result = () => new Map([...out].map(([key, latest]) => [key, latest.values()]));
  if (pending.size === 0) return result();

  const assignment: Record<string, number[]> = {};
  for (const key of pending.keys()) {
    const [topic, p] = [key.slice(0, key.lastIndexOf(':')), Number(key.slice(key.lastIndexOf(':') + 1))];
    (assignment[topic] ??= []).push(p);
  }
  const groupId = `otlp-streams-restore-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, partitionAssigners: [fixedAssigner('OtlpStreamsRestore', assignment)], maxBytesPerPartition: 8 << 20, maxBytes: 64 << 20 });
  let resolveDone!: () => void;
  let rejectDone!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // END_BATCH_PROCESS also fires for batches of only control records, which eachBatch never sees.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const key = `${payload.topic}:${payload.partition}`;
    const end = pending.get(key);
    if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) {
      pending.delete(key);
      if (pending.size === 0) resolveDone();
    }
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => rejectDone(payload.error));
  let read = 0;
  const total = [...pending.values()].reduce((sum, end) => sum + Number(end), 0);
  const progress = onProgress ? setInterval(() => onProgress(read, total), 2000) : undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: Object.keys(assignment), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const latest = out.get(`${batch.topic}:${batch.partition}`);
        if (!latest) return;
        for (const m of batch.messages) latest.add(m.key, m.value);
        read += batch.messages.length;
      },
    });
    await done;
  } finally {
    if (progress) clearInterval(progress);
    await consumer.disconnect().catch(() => {});
    const cleanup = kafka.admin();
    await cleanup.connect().catch(() => {});
    await cleanup.deleteGroups([groupId]).catch(() => {});
    await cleanup.disconnect().catch(() => {});
  }
  return result();
}
