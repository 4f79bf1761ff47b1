import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeProduceRequest, encodeRecordBatch, produceRequest, type OutgoingMessage } from './produceRequest.ts';
import './snappy.ts';

// kafkajs' own record batch pieces (not replaced by src/kafka/kafkajs.ts): the oracle for bytes and decoding.
const require = createRequire(import.meta.url);
const Long = require('kafkajs/src/utils/long');
const Decoder = require('kafkajs/src/protocol/decoder');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C');
const { registerSnappy } = await import('./snappy.ts');
registerSnappy();

const NOW = 1_763_800_000_000;

/** kafkajs 2.2.4's partition encoding (produce v3), for messages that all carry a timestamp of the same width. */
async function kafkajsBatch(messages: OutgoingMessage[], opts: { producerId: bigint; producerEpoch: number; firstSequence: number; transactional: boolean; compression: number }): Promise<Buffer> {
  const timestamps = messages.map((m) => Number(m.timestamp));
  const first = Math.min(...timestamps);
  const records = messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: Number(m.timestamp) - first }));
  const batch = await RecordBatch({
    compression: opts.compression,
    records,
    firstTimestamp: first,
    maxTimestamp: Math.max(...timestamps),
    producerId: Long.fromString(opts.producerId.toString()),
    producerEpoch: opts.producerEpoch,
    firstSequence: opts.firstSequence,
    transactional: opts.transactional,
    lastOffsetDelta: records.length - 1,
  });
  return batch.buffer;
}

const bytes = fc.oneof(
  fc.constant(null),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
);
const headerValue = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)));
// kafkajs' decoder collects headers in a plain object, so a key like "valueOf" meets Object.prototype: leave those out.
const headerKey = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((k) => !(k in Object.prototype));
const headers = fc.dictionary(headerKey, fc.oneof(headerValue, fc.array(headerValue, { minLength: 1, maxLength: 3 })), { maxKeys: 4 });
const message = fc.record({ key: bytes, value: bytes, headers, timestamp: fc.integer({ min: NOW, max: NOW + 9_000_000 }).map(String) }, { requiredKeys: ['key', 'value', 'timestamp'] });
const batchOptions = fc.record({
  producerId: fc.bigInt({ min: -1n, max: (1n << 62n) - 1n }),
  producerEpoch: fc.integer({ min: 0, max: 32_767 }),
  firstSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  transactional: fc.boolean(),
});

const asBuffer = (b: OutgoingMessage['key']) => (b == null ? null : Buffer.from(b));

describe('produce request encoder', () => {
  it('writes the same bytes as kafkajs for any messages (uncompressed)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 30 }), batchOptions, async (messages, opts) => {
        const ours = await encodeRecordBatch({ messages, ...opts, compression: 0, now: NOW });
        expect(ours.equals(await kafkajsBatch(messages, { ...opts, compression: 0 }))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips through kafkajs’ decoder, with a valid CRC, for every codec we register', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 20 }), batchOptions, fc.constantFrom(0, 1, 2), async (messages, opts, compression) => {
        const batch = await encodeRecordBatch({ messages, ...opts, compression, now: NOW });
        expect(batch.readUInt32BE(17)).toBe(crc32C(batch.subarray(21)));
        const decoded = await decodeRecordBatch(new Decoder(batch));
        expect(decoded.inTransaction).toBe(opts.transactional);
        expect(decoded.producerId).toBe(opts.producerId.toString());
        expect(decoded.producerEpoch).toBe(opts.producerEpoch);
        expect(decoded.firstSequence).toBe(opts.firstSequence);
        expect(decoded.records.length).toBe(messages.length);
        decoded.records.forEach((r: { key: Buffer | null; value: Buffer | null; timestamp: string; offset: string; headers: Record<string, unknown> }, i: number) => {
          const m = messages[i];
          expect(r.offset).toBe(String(i));
          expect(r.timestamp).toBe(m.timestamp);
          expect(r.key).toEqual(asBuffer(m.key));
          expect(r.value).toEqual(asBuffer(m.value));
          // kafkajs decodes a header that occurs once as a value, several times as an array.
          const expectedHeaders = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) && v.length > 1 ? v.map(asBuffer) : asBuffer((Array.isArray(v) ? v[0] : v) as Buffer | string)]));
          expect(r.headers).toEqual(expectedHeaders);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('stamps records without a timestamp with the time of the request, and rejects a timestamp that is not a number', async () => {
    const batch = await encodeRecordBatch({ messages: [{ key: 'a', value: 'b' }, { key: null, value: null, timestamp: String(NOW - 5) }], producerId: -1n, producerEpoch: 0, firstSequence: 0, transactional: false, compression: 0, now: NOW });
    const decoded = await decodeRecordBatch(new Decoder(batch));
    expect(decoded.records.map((r: { timestamp: string }) => r.timestamp)).toEqual([String(NOW), String(NOW - 5)]);
    await expect(encodeRecordBatch({ messages: [{ key: 'a', value: 'b', timestamp: 'yesterday' }], producerId: -1n, producerEpoch: 0, firstSequence: 0, transactional: false, compression: 0, now: NOW })).rejects.toThrow(/timestamp "yesterday"/);
  });

  it('takes a timestamp as a number of ms too (the runtime sends its outputs as emitted), with the same bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 20 }), batchOptions, async (messages, opts) => {
        const numeric = messages.map((m) => ({ ...m, timestamp: Number(m.timestamp) }));
        const ours = await encodeRecordBatch({ messages: numeric, ...opts, compression: 0, now: NOW });
        expect(ours.equals(await encodeRecordBatch({ messages, ...opts, compression: 0, now: NOW }))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('lays out the request: transactional id, acks, timeout, topics, partitions with their batch sizes', async () => {
    const request = produceRequest({ acks: -1, timeout: 30_000, transactionalId: 'tx-1', producerId: Long.fromNumber(42), producerEpoch: 3, topicData: [{ topic: 'out', partitions: [{ partition: 5, firstSequence: 7, messages: [{ key: 'k', value: 'v', timestamp: String(NOW) }] }] }] });
    expect(request.apiVersion).toBe(3);
    expect(request.expectResponse()).toBe(true);
    const body = (await request.encode()).buf;
    const d = new Decoder(body);
    expect(d.readString()).toBe('tx-1');
    expect(d.readInt16()).toBe(-1);
    expect(d.readInt32()).toBe(30_000);
    expect(d.readInt32()).toBe(1);
    expect(d.readString()).toBe('out');
    expect(d.readInt32()).toBe(1);
    expect(d.readInt32()).toBe(5);
    const size = d.readInt32();
    expect(size).toBe(body.length - d.offset);
    const batch = await decodeRecordBatch(d);
    expect(batch).toMatchObject({ producerId: '42', producerEpoch: 3, firstSequence: 7, inTransaction: true });
    const plain = await encodeProduceRequest({ acks: 1, timeout: 1000, topicData: [] });
    expect(new Decoder(plain).readString()).toBe(null);
  });
});
