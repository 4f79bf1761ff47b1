// How a group becomes sends, with a fake kafkajs producer: a large request is cut into sends of at most maxGroupBytes
// (kafkajs encodes a send in one go, holding the event loop), each partition's records stay in order, and each send
// holds at most one batch per partition under the broker's limit.
import type { Kafka, ProducerBatch, TopicMessages } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { Delivery, recordBytes, type PlacedRecord } from './delivery.ts';

function fakeKafka(sends: ProducerBatch[]): Kafka {
  const producer = {
    connect: async () => {},
    disconnect: async () => {},
    sendBatch: async (batch: ProducerBatch) => {
      sends.push(batch);
      return [];
    },
  };
  return { producer: () => producer } as unknown as Kafka;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} } as never;

describe('Delivery sends', () => {
  it('cuts a large request into sends under maxGroupBytes, keeping every partition in order', async () => {
    const sends: ProducerBatch[] = [];
    const maxGroupBytes = 64 << 10;
    const maxMessageBytes = 16 << 10;
    const delivery = new Delivery({
      kafka: fakeKafka(sends), mode: 'idempotent', transactionalId: 't', lanes: 1, maxGroupBytes, timeoutMs: 5000,
      maxMessageBytes: () => maxMessageBytes, onConnect: async () => {}, log: quiet,
    });
    await delivery.start();
    const records: PlacedRecord[] = Array.from({ length: 3000 }, (_, i) => ({
      topic: 'spans', partition: i % 6, key: Buffer.from(`k${i}`), value: Buffer.alloc(200, i % 251),
    }));
    const bytes = records.reduce((n, r) => n + recordBytes(r), 0);
    await delivery.deliver(records, bytes);

    expect(sends.length).toBeGreaterThan(bytes / maxGroupBytes);
    const seen = new Map<number, string[]>();
    for (const send of sends) {
      const messages = (send.topicMessages as TopicMessages[]).flatMap((t) => t.messages);
      const perPartition = new Map<number, number>();
      for (const m of messages) perPartition.set(m.partition!, (perPartition.get(m.partition!) ?? 0) + recordBytes({ key: m.key as Buffer, value: m.value as Buffer }));
      for (const size of perPartition.values()) expect(size).toBeLessThanOrEqual(maxMessageBytes);
      // A single partition's chunk may reach maxMessageBytes; several together stay under maxGroupBytes.
      const total = [...perPartition.values()].reduce((a, b) => a + b, 0);
      if (perPartition.size > 1) expect(total).toBeLessThanOrEqual(maxGroupBytes);
      for (const m of messages) seen.set(m.partition!, [...(seen.get(m.partition!) ?? []), String(m.key)]);
    }
    for (let p = 0; p < 6; p++) {
      expect(seen.get(p)).toEqual(records.filter((r) => r.partition === p).map((r) => r.key.toString()));
    }
    await delivery.close();
  });
});
