// Reads a topic from the beginning until a count is reached (or a quiet period passes), for assertions.
import type { Kafka, KafkaMessage } from 'kafkajs';
import { unique } from './stack.ts';

export interface ReadOptions {
  /** Stop once this many messages arrived. */
  count?: number;
  /** Stop after this long without a new message once `count` is unknown or not reached. */
  quietMs?: number;
  timeoutMs?: number;
  readUncommitted?: boolean;
}

/** All messages of `topic` from offset 0, with their partition, read by a throwaway consumer group. */
export async function readTopic(kafka: Kafka, topic: string, opts: ReadOptions = {}): Promise<Array<KafkaMessage & { partition: number }>> {
  const consumer = kafka.consumer({ groupId: unique('reader'), readUncommitted: opts.readUncommitted ?? false });
  const out: Array<KafkaMessage & { partition: number }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let last = Date.now();
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      out.push({ ...message, partition });
      last = Date.now();
    },
  });
  const started = Date.now();
  const quiet = opts.quietMs ?? 3000;
  const timeout = opts.timeoutMs ?? 60_000;
  while (Date.now() - started < timeout) {
    if (opts.count !== undefined && out.length >= opts.count) break;
    if (opts.count === undefined && out.length > 0 && Date.now() - last > quiet) break;
    if (opts.count === undefined && out.length === 0 && Date.now() - started > quiet * 3) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await consumer.disconnect();
  return out;
}
