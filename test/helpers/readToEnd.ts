// Reads a topic from its start to the end offsets it has when the call starts: every committed record, and nothing
// left unread. For assertions that need a whole topic ("exactly one record per …"), once its writers are done.
import type { Kafka, KafkaMessage } from 'kafkajs';
import { unique } from './stack.ts';

export type ReadMessage = KafkaMessage & { partition: number };

export async function readToEnd(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<ReadMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  const positions = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
  const out: ReadMessage[] = [];
  const consumer = kafka.consumer({ groupId: unique('to-end') });
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
  // A batch whose records were all filtered out (transaction markers) reaches no eachMessage, but ends a batch.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => advance(payload.partition, BigInt(payload.lastOffset) + 1n));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        out.push({ ...message, partition });
        advance(partition, BigInt(message.offset) + 1n);
      },
    });
    advance(0, 0n);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const behind = [...ends].filter(([p, end]) => positions.get(p)! < end).map(([p, end]) => `partition ${p} at ${positions.get(p)} of ${end}`);
        reject(new Error(`${topic}: not read to its end within ${timeoutMs} ms (${behind.join(', ')}; ${out.length} records read)`));
      }, timeoutMs);
    });
    await Promise.race([done, expired]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
  }
  return out;
}
