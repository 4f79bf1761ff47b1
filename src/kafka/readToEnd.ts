// Reads a topic from its start to the end offsets it has when the call starts: every committed record, nothing left
// unread. The end is known by offsets, not by a quiet period; transaction markers occupy offsets but reach no
// eachMessage, so a batch's end moves the position too.
import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export type ReadMessage = KafkaMessage & { partition: number };

export interface ReadToEndOptions {
  /** Consumer group prefix (a random suffix keeps each read its own group). */
  group?: string;
  /** Gives up with an error naming the partitions behind; default 60 s. */
  timeoutMs?: number;
}

/** Calls `onMessage` for each record of `topic` up to its current end offsets; resolves with the count. */
export async function readToEnd(kafka: Kafka, topic: string, onMessage: (message: ReadMessage) => void | Promise<void>, options: ReadToEndOptions = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  const positions = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
  let read = 0;
  const consumer = kafka.consumer({ groupId: `${options.group ?? 'otlp-streams-read'}-${randomBytes(4).toString('hex')}` });
  let finished!: () => void;
  let crashed!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finished = resolve;
    crashed = reject;
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => crashed(new Error(`${topic}: the reading consumer crashed: ${payload.error.message}`)));
  const advance = (partition: number, next: bigint) => {
    if (next > (positions.get(partition) ?? 0n)) positions.set(partition, next);
    if ([...ends].every(([p, end]) => positions.get(p)! >= end)) finished();
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => advance(payload.partition, BigInt(payload.lastOffset) + 1n));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        read++;
        await onMessage({ ...message, partition });
        advance(partition, BigInt(message.offset) + 1n);
      },
    });
    advance(0, 0n);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const behind = [...ends].filter(([p, end]) => positions.get(p)! < end).map(([p, end]) => `partition ${p} at ${positions.get(p)} of ${end}`);
        reject(new Error(`${topic}: not read to its end within ${timeoutMs} ms (${behind.join(', ')}; ${read} records read)`));
      }, timeoutMs);
    });
    await Promise.race([done, expired]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
  }
  return read;
}
