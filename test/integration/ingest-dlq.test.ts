// Dead letters against the real broker: a poison record goes to the dead-letter topic inside the consumer's
// transaction, with headers naming error and source, and the partition goes on with the next records.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDeadLetterQueue, DLQ_HEADERS } from '../../src/dlq/index.ts';
import { Traffic } from '../../src/gen/index.ts';
import { decodeTraces, type Span } from '../../src/otlp/index.ts';
import { readTopic } from '../helpers/consume.ts';
import { createTopic, kafka, unique } from '../helpers/stack.ts';

describe('dead-letter queue', () => {
  it('moves a poison record to the DLQ topic in a transaction and keeps processing the partition', async () => {
    const client = kafka();
    const input = await createTopic('dlq-in', 1);
    const dlqTopic = await createTopic('dlq', 1);
    const traffic = new Traffic({ seed: 5, startMs: 1_767_225_600_000 });
    const good1 = traffic.encodedTraces(5).traces;
    const good2 = traffic.encodedTraces(5).traces;
    const poison = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]); // resourceSpans with a length past the end

    const source = client.producer();
    await source.connect();
    await source.send({ topic: input, messages: [{ key: 'a', value: good1 }, { key: 'b', value: poison, headers: { tenant: 't1' } }, { key: 'c', value: good2 }] });
    await source.disconnect();

    const registry = new Registry();
    const dlq = createDeadLetterQueue({ topic: dlqTopic, registry });
    const producer = client.producer({ transactionalId: unique('dlq-tx'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const consumer = client.consumer({ groupId: unique('dlq-group') });
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    const processed: Span[][] = [];
    let seen = 0;
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const tx = await producer.transaction();
        const spans = await dlq.decodeOrDeadLetter(tx, { topic, partition, ...message }, decodeTraces);
        if (spans !== undefined) processed.push(spans);
        await tx.commit();
        seen++;
      },
    });
    const deadline = Date.now() + 30_000;
    while (seen < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    await producer.disconnect();

    expect(processed).toEqual([decodeTraces(good1), decodeTraces(good2)]);
    const letters = await readTopic(client, dlqTopic, { count: 1 });
    expect(letters).toHaveLength(1);
    const [letter] = letters;
    expect(letter.key?.toString()).toBe('b');
    expect(letter.value).toEqual(poison);
    const header = (name: string) => letter.headers?.[name]?.toString();
    expect(header('tenant')).toBe('t1');
    expect(header(DLQ_HEADERS.sourceTopic)).toBe(input);
    expect(header(DLQ_HEADERS.sourcePartition)).toBe('0');
    expect(header(DLQ_HEADERS.sourceOffset)).toBe('1');
    expect(header(DLQ_HEADERS.errorType)).toBe('OtlpDecodeError');
    expect(header(DLQ_HEADERS.error)).toMatch(/invalid OTLP protobuf .*length/);
    expect(Date.parse(header(DLQ_HEADERS.time)!)).toBeGreaterThan(Date.now() - 120_000);
    expect(await registry.getSingleMetricAsString('otlp_dlq_records_total')).toContain(`source_topic="${input}",error_type="OtlpDecodeError"} 1`);
  });
});
