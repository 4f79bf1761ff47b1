import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import kafkajs, { groupMessagesPerPartition, murmur2 } from './kafkajs.ts';
import { stockKafkajs } from '../../test/helpers/stockKafkajs.ts';
import { produceRequest } from './produceRequest.ts';
import { filterAbortedMessages } from './readCommitted.ts';

const require = createRequire(import.meta.url);

describe('kafkajs with replaced internals', () => {
  it('hands kafkajs our modules wherever it requires them', () => {
    expect(kafkajs.Kafka).toBeTypeOf('function');
    expect(require('kafkajs/src/consumer/filterAbortedMessages')).toBe(filterAbortedMessages);
    expect(require('kafkajs/src/producer/groupMessagesPerPartition')).toBe(groupMessagesPerPartition);
    expect(require('kafkajs/src/protocol/requests/produce/v3/request')).toBe(produceRequest);
    // Versions 4–7 wrap version 3 and only change the version number.
    const v7 = require('kafkajs/src/protocol/requests/produce/v7/request')({ acks: -1, timeout: 1000, topicData: [] });
    expect(v7.apiVersion).toBe(7);
    expect(v7.apiName).toBe('Produce');
  });

  it('groups messages per partition in their order', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(5)), (partitions) => {
        const messages = partitions.map((partition, i) => ({ partition, i }));
        const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata: [{}], messages, partitioner: ({ message }) => (message as { partition: number }).partition });
        for (let p = 0; p <= 5; p++) expect(grouped[p] ?? []).toEqual(messages.filter((m) => m.partition === p));
        expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner: () => 0 })).toEqual({});
      }),
    );
  });

  it('hashes keys exactly like kafkajs’ Java-compatible murmur2', () => {
    const stock = stockKafkajs('kafkajs/src/producer/partitioners/default/murmur2') as (key: unknown) => number;
    expect(require('kafkajs/src/producer/partitioners/default/murmur2')).toBe(murmur2);
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 600 }), fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)), fc.integer()), (key) => {
        expect(murmur2(key)).toBe(stock(key));
      }),
      { numRuns: 500 },
    );
  });
});
