// Producing test input with explicit partitions and timestamps.
import type { Kafka } from 'kafkajs';

export async function produceRecords(kafka: Kafka, topic: string, records: Array<{ key: string; partition: number; timestamp: number; value: string | number }>): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 5000) {
      await producer.send({
        topic,
        acks: -1,
        messages: records.slice(i, i + 5000).map((r) => ({ key: r.key, partition: r.partition, timestamp: String(r.timestamp), value: String(r.value) })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
