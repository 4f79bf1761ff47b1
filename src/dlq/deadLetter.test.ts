import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
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
