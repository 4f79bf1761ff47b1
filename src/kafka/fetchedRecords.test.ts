import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Batch, decodeRecord, type DecodedRecord } from './fetchedRecords.ts';
import { encodeRecordBatch } from './produceRequest.ts';
import { stockKafkajs as stock } from '../../test/helpers/stockKafkajs.ts';

const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder');

const stockDecodeRecord = stock('kafkajs/src/protocol/recordBatch/record/v0/decoder') as typeof decodeRecord;
const StockBatch = stock('kafkajs/src/consumer/batch') as typeof Batch;

const NOW = 1_763_800_000_000;
const value = fc.oneof(fc.constant(null), fc.uint8Array({ maxLength: 50 }).map((a) => Buffer.from(a)));
// kafkajs collects headers in a plain object, so names like "valueOf" meet Object.prototype there: leave those out.
const headerKey = fc.string({ maxLength: 8 }).filter((k) => !(k in Object.prototype));
const message = fc.record({
  key: value,
  value,
  headers: fc.dictionary(headerKey, fc.oneof(fc.string({ maxLength: 8 }), fc.array(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 3 })), { maxKeys: 3 }),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }).map((t) => String(NOW + t)),
});
const context = fc.record({
  firstOffset: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }).map(String),
  firstTimestamp: fc.oneof(fc.constant(String(NOW)), fc.bigInt({ min: 0n, max: (1n << 62n) }).map(String)),
  timestampType: fc.constantFrom(0, 1),
  maxTimestamp: fc.constant(String(NOW + 99)),
  magicByte: fc.constant(2),
  producerId: fc.constant('7'),
  inTransaction: fc.boolean(),
  isControlBatch: fc.boolean(),
});

/** Each record's bytes (after its length prefix, as kafkajs' batch decoder hands them to the record decoder). */
async function records(messages: Array<{ key: Buffer | null; value: Buffer | null; timestamp: string }>): Promise<Buffer[]> {
  const batch = await encodeRecordBatch({ messages, producerId: 1n, producerEpoch: 0, firstSequence: 0, transactional: false, compression: 0, now: NOW });
  const d = new Decoder(batch.subarray(61)); // the records, after the batch header
  return messages.map(() => d.readVarIntBytes());
}

describe('fetched records without Long arithmetic', () => {
  it('decode exactly as kafkajs does, offsets and timestamps past 2^53 included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 20 }), context, async (messages, ctx) => {
        for (const bytes of await records(messages)) {
          const ours = new Decoder(bytes);
          const theirs = new Decoder(bytes);
          expect(decodeRecord(ours, ctx)).toEqual(stockDecodeRecord(theirs, ctx));
          expect(ours.offset).toBe(bytes.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a header named like an Object.prototype member as data', async () => {
    const [bytes] = await records([{ key: null, value: null, headers: { constructor: 'a', ['__proto__']: 'c', __proto__x: 'b' }, timestamp: String(NOW) } as never]);
    const record = decodeRecord(new Decoder(bytes), { producerId: '1', inTransaction: false, firstOffset: '0', firstTimestamp: String(NOW) });
    expect(Object.keys(record.headers)).toEqual(['constructor', '__proto__', '__proto__x']);
    expect(Object.getPrototypeOf(record.headers)).toBe(Object.prototype);
    expect(record.headers.constructor).toEqual(Buffer.from('a'));
  });

  it('batches agree with kafkajs on every accessor', () => {
    const rec = (offset: number, control = false) => ({ offset: String(offset), isControlRecord: control, key: null, batchContext: { producerId: '1', inTransaction: false } }) as unknown as DecodedRecord;
    fc.assert(
      fc.property(fc.nat(1000), fc.array(fc.boolean(), { maxLength: 12 }), fc.nat(20), fc.nat(30), (start, controls, skip, extra) => {
        const raw = controls.map((c, i) => rec(start + i, c));
        const fetched = String(start + Math.min(skip, controls.length + 2));
        const data = { partition: 3, highWatermark: String(start + controls.length + extra), messages: raw, abortedTransactions: [] };
        const ours = new Batch('t', fetched, data);
        const theirs = new StockBatch('t', fetched, data);
        for (const accessor of ['isEmpty', 'isEmptyIncludingFiltered', 'isEmptyDueToFiltering', 'isEmptyControlRecord', 'isEmptyDueToLogCompactedMessages', 'firstOffset', 'lastOffset', 'offsetLag', 'offsetLagLow'] as const) {
          expect(ours[accessor](), accessor).toEqual(theirs[accessor]());
        }
        expect(ours.messages).toEqual(theirs.messages);
        expect(ours.partition).toBe(3);
      }),
    );
  });
});
