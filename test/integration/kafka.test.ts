// kafkajs against the real broker: plain produce/consume, consume → transactional produce with sendOffsets, aborted transactions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import { readTopic } from '../helpers/consume.ts';
import { createTopic, kafka, unique } from '../helpers/stack.ts';

describe('Kafka', () => {
  let client: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    client = kafka();
    producer = client.producer({ idempotent: true });
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
  });

  it('produces and consumes keyed messages in order per partition', async () => {
    const topic = await createTopic('plain', 3);
    const messages = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` }));
    await producer.send({ topic, acks: -1, messages });
    const read = await readTopic(client, topic, { count: 300 });
    expect(read).toHaveLength(300);
    // Per key, order of values is the order produced.
    for (let k = 0; k < 7; k++) {
      const expected = messages.filter((m) => m.key === `k${k}`).map((m) => m.value);
      const got = read.filter((m) => m.key?.toString() === `k${k}`).map((m) => m.value?.toString());
      expect(got).toEqual(expected);
      expect(new Set(read.filter((m) => m.key?.toString() === `k${k}`).map((m) => m.partition)).size).toBe(1);
    }
  });

  it('consumes, produces in a transaction with sendOffsets, and commits both atomically', async () => {
    const input = await createTopic('tx-in', 2);
    const output = await createTopic('tx-out', 2);
    const groupId = unique('tx-group');
    await producer.send({ topic: input, messages: Array.from({ length: 20 }, (_, i) => ({ key: String(i % 4), value: String(i) })) });

    const txProducer = client.producer({ transactionalId: unique('tx'), idempotent: true, maxInFlightRequests: 1 });
    await txProducer.connect();
    const consumer = client.consumer({ groupId, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    let processed = 0;
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const tx = await txProducer.transaction();
        await tx.send({ topic: output, messages: batch.messages.map((m) => ({ key: m.key, value: String(Number(m.value) * 10) })) });
        await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }] });
        await tx.commit();
        processed += batch.messages.length;
      },
    });
    while (processed < 20) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    await txProducer.disconnect();

    const read = await readTopic(client, output, { count: 20 });
    expect(read.map((m) => Number(m.value)).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));

    const admin = client.admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [input] });
    await admin.disconnect();
    const committed = offsets.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committed).toBe(20);
  });

  it('keeps an aborted transaction invisible to read-committed consumers', async () => {
    const topic = await createTopic('tx-abort', 1);
    const txProducer = client.producer({ transactionalId: unique('tx-abort'), idempotent: true, maxInFlightRequests: 1 });
    await txProducer.connect();
    const aborted = await txProducer.transaction();
    await aborted.send({ topic, messages: [1, 2, 3, 4, 5].map((i) => ({ value: `aborted-${i}` })) });
    await aborted.abort();
    const committed = await txProducer.transaction();
    await committed.send({ topic, messages: [1, 2, 3].map((i) => ({ value: `committed-${i}` })) });
    await committed.commit();
    await txProducer.disconnect();

    const readCommitted = await readTopic(client, topic, { quietMs: 2000 });
    expect(readCommitted.map((m) => m.value?.toString())).toEqual(['committed-1', 'committed-2', 'committed-3']);
    // The aborted records are in the log: a read-uncommitted consumer sees them.
    const readAll = await readTopic(client, topic, { quietMs: 2000, readUncommitted: true });
    expect(readAll.map((m) => m.value?.toString())).toContain('aborted-3');
  });
});
