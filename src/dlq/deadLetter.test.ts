import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { encodeRecordBatch, type OutgoingMessage } from '../kafka/produceRequest.ts';
import { decodeTraces, OtlpDecodeError } from '../otlp/index.ts';
import { createDeadLetterQueue, deadLetterRecord, DLQ_HEADERS } from './index.ts';
import type { ProducerRecord } from 'kafkajs';

const source = { topic: 'otlp_spans', partition: 3, offset: '42', key: Buffer.from('k'), value: Buffer.from([0xff, 0xff]), timestamp: '1700000000000', headers: { tenant: 'a' } };

describe('deadLetterRecord', () => {
  it('keeps key, value and headers and names error, source and time', () => {
    const m = deadLetterRecord(source, new OtlpDecodeError('truncated varint', 'protobuf', 1), Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(m.key).toEqual(source.key);
    expect(m.value).toEqual(source.value);
    expect(m.headers).toMatchObject({
      tenant: 'a',
      [DLQ_HEADERS.errorType]: 'OtlpDecodeError',
      [DLQ_HEADERS.sourceTopic]: 'otlp_spans',
      [DLQ_HEADERS.sourcePartition]: '3',
      [DLQ_HEADERS.sourceOffset]: '42',
      [DLQ_HEADERS.sourceTimestamp]: '1700000000000',
      [DLQ_HEADERS.time]: '2026-01-02T03:04:05.000Z',
    });
    expect(String(m.headers?.[DLQ_HEADERS.error])).toContain('truncated varint');
  });

  it('turns a thrown non-error into a message', () => {
    expect(deadLetterRecord(source, 'boom').headers?.[DLQ_HEADERS.error]).toBe('boom');
  });
});

/** Bytes of the record batch a producer would send for `message` alone: what max.message.bytes limits. */
async function batchBytes(message: OutgoingMessage): Promise<number> {
  const batch = await encodeRecordBatch({ messages: [message], producerId: 1n, producerEpoch: 0, firstSequence: 0, transactional: true, compression: 0, now: Date.now() });
  return batch.length;
}

describe('dead letters that do not fit the topic', () => {
  it('fit max.message.bytes, untouched when they fit, else cut (value, then key, then original headers) and say so (oracle: the produce encoder)', async () => {
    const bytes = (max: number) => fc.integer({ min: 0, max }).map((n) => Buffer.alloc(n, 7));
    await fc.assert(
      fc.asyncProperty(
        fc.option(bytes(3000), { nil: null }),
        fc.option(bytes(20_000), { nil: null }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 3000 }).map((n) => 'h'.repeat(n)), { maxKeys: 4 }),
        fc.string({ maxLength: 200 }),
        fc.integer({ min: 1500, max: 12_000 }),
        async (key, value, headers, message, maxBytes) => {
          const record = { ...source, key, value, headers };
          const dead = deadLetterRecord(record, new Error(message), 0, { maxBytes });
          const size = await batchBytes(dead as OutgoingMessage);
          const h = dead.headers!;
          expect(size).toBeLessThanOrEqual(maxBytes);
          expect(h[DLQ_HEADERS.sourceOffset]).toBe('42');
          expect(h[DLQ_HEADERS.error]).toBe(message);
          const untouched = deadLetterRecord(record, new Error(message), 0, { maxBytes: 1 << 30 });
          if (h[DLQ_HEADERS.truncated] === undefined) {
            expect(dead).toEqual(untouched);
            return;
          }
          // Cut only because the whole did not fit; what is kept is the start of the original.
          expect(await batchBytes(untouched as OutgoingMessage)).toBeGreaterThan(maxBytes - 200);
          expect(h[DLQ_HEADERS.originalValueBytes]).toBe(String(value?.length ?? 0));
          expect(value?.subarray(0, dead.value?.length ?? 0)).toEqual(dead.value ?? value?.subarray(0, 0));
          const cut = String(h[DLQ_HEADERS.truncated]).split(',');
          if (cut.includes('key')) expect(h[DLQ_HEADERS.originalKeyBytes]).toBe(String(key?.length ?? 0));
          else expect(dead.key).toEqual(key);
          for (const [name, v] of Object.entries(headers)) if (!cut.includes('headers') && !name.startsWith('dlq.')) expect(h[name]).toBe(v);
        },
      ),
    );
  });

  it('cut a 2 MiB value to fit the default 1 MiB topic', async () => {
    const dead = deadLetterRecord({ ...source, value: Buffer.alloc(2 << 20, 1) }, new Error('not protobuf'));
    expect(dead.headers).toMatchObject({ [DLQ_HEADERS.truncated]: 'value', [DLQ_HEADERS.originalValueBytes]: String(2 << 20), tenant: 'a' });
    expect(await batchBytes(dead as OutgoingMessage)).toBeLessThanOrEqual(1024 * 1024 + 12);
    expect((dead.value as Buffer).length).toBeGreaterThan(1024 * 1024 - 1024);
  });
});

describe('createDeadLetterQueue', () => {
  it('sends a dead letter for a record that fails to decode, counts it, and returns undefined', async () => {
    const registry = new Registry();
    const sent: ProducerRecord[] = [];
    const dlq = createDeadLetterQueue({ topic: 'dlq-test', registry });
    const sender = { send: async (r: ProducerRecord) => void sent.push(r) };
    expect(await dlq.decodeOrDeadLetter(sender, source, decodeTraces)).toBeUndefined();
    expect(await dlq.decodeOrDeadLetter(sender, { ...source, value: Buffer.alloc(0) }, decodeTraces)).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(sent[0].topic).toBe('dlq-test');
    expect(await registry.getSingleMetricAsString('otlp_dlq_records_total')).toContain('otlp_dlq_records_total{source_topic="otlp_spans",error_type="OtlpDecodeError"} 1');
  });
});
