// Read committed after fenced writers: transactional producers (one id per writer, like the runtime's tasks) are
// "killed" in the middle of transactions over several partitions — dropped without commit or abort — and their
// next owners (same transactional id: same producer id, bumped epoch) fence them, which aborts the open
// transactions, then commit more. Our read path (src/kafka: the kafkajs replacements) must show exactly the
// committed records, reading in one fetch or in fetches of a few hundred bytes (the aborted-transaction lists then
// span fetch boundaries), and agree with the Java client reading committed.
import { afterAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import { readTopic } from '../helpers/consume.ts';
import { kafkaLibs, readCommittedWithJava } from '../helpers/javaReader.ts';
import { createTopic, kafka, stackSettings, unique } from '../helpers/stack.ts';
import { seededRandom } from '../helpers/workers.ts';

const WRITERS = 3;
const PARTITIONS = 3;

/** Every record of `topic`, read committed by a consumer whose fetches return at most `maxBytesPerPartition`. */
async function readInSmallFetches(client: Kafka, topic: string, want: number, maxBytesPerPartition: number): Promise<string[]> {
  const consumer = client.consumer({ groupId: unique('small-fetches'), maxBytesPerPartition, maxBytes: maxBytesPerPartition * PARTITIONS });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let fetches = 0;
  consumer.on(consumer.events.FETCH, () => fetches++);
  await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
  const deadline = Date.now() + 60_000;
  // One more than wanted is waited for (a few seconds) to catch aborted records shown.
  while (values.length < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2000));
  await consumer.disconnect();
  expect(fetches).toBeGreaterThan(10);
  return values;
}

describe('read committed after fenced transactional writers', () => {
  const producers: Producer[] = [];
  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect().catch(() => {})));
  });

  it('shows exactly the committed records, in one fetch or many, as the Java client does', async () => {
    const topic = await createTopic('fenced', PARTITIONS);
    const client = kafka();
    const ids = Array.from({ length: WRITERS }, (_, w) => unique(`fenced-writer-${w}`));
    const random = seededRandom(7);
    const committed: string[] = [];
    let aborted = 0;
    let n = 0;
    const owner = async (id: string) => {
      const p = client.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
      producers.push(p);
      await p.connect();
      // The runtime's fence: InitProducerId with the transactional id aborts the previous owner's open transaction.
      const fence = await p.transaction();
      await fence.abort();
      return p;
    };
    for (let generation = 0; generation < 3; generation++) {
      const owners = await Promise.all(ids.map(owner));
      for (let t = 0; t < 6; t++) {
        for (let w = 0; w < WRITERS; w++) {
          const tx = await owners[w].transaction();
          const values = Array.from({ length: 1 + Math.floor(random() * 8) }, () => `g${generation}-w${w}-${n++}`);
          await tx.send({ topic, acks: -1, messages: values.map((value, i) => ({ key: value, value, partition: (i + t + w) % PARTITIONS })) });
          if (random() < 0.2) {
            await tx.abort();
            aborted += values.length;
          } else {
            await tx.commit();
            committed.push(...values);
          }
        }
      }
      // Killed in the middle of a transaction on every partition: written, never ended. The next generation's
      // owners fence these; the last generation's are fenced below.
      for (let w = 0; w < WRITERS; w++) {
        const tx = await owners[w].transaction();
        const values = Array.from({ length: PARTITIONS * 2 }, () => `dead-g${generation}-w${w}-${n++}`);
        await tx.send({ topic, acks: -1, messages: values.map((value, i) => ({ key: value, value, partition: i % PARTITIONS })) });
        aborted += values.length;
      }
    }
    await Promise.all(ids.map(owner));
    expect(aborted).toBeGreaterThan(100);

    const sorted = (values: string[]) => [...values].sort();
    const oneFetch = await readTopic(client, topic, { count: committed.length + 1, timeoutMs: 15_000 });
    expect(sorted(oneFetch.map((m) => m.value!.toString()))).toEqual(sorted(committed));
    expect(sorted(await readInSmallFetches(client, topic, committed.length + 1, 300))).toEqual(sorted(committed));
    if (kafkaLibs()) {
      const java = await readCommittedWithJava(stackSettings().KAFKA_BROKERS, topic);
      expect(sorted(java.map((r) => r.value))).toEqual(sorted(committed));
    }
  });
});
