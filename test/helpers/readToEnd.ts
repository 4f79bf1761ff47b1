// Reads a whole topic (to the end offsets it has when the call starts) into a list, for assertions that need every
// record ("exactly one record per …"), once its writers are done.
import type { Kafka } from 'kafkajs';
import { readToEnd as readEach, type ReadMessage } from '../../src/kafka/readToEnd.ts';

export type { ReadMessage };

export async function readToEnd(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<ReadMessage[]> {
  const out: ReadMessage[] = [];
  await readEach(kafka, topic, (m) => void out.push(m), { group: 'to-end', timeoutMs });
  return out;
}
