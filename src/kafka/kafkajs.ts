// kafkajs, with some of its internal modules replaced before it loads. Import kafkajs values from here, never
// from 'kafkajs' (eslint enforces it; type imports are fine), so the replacements are in place whoever loads first:
// - consumer/filterAbortedMessages and consumer/batch: read committed as the Java client does it
//   (readCommitted.ts), offsets compared without parsing every record's offset into a Long (fetchedRecords.ts);
// - protocol/recordBatch/record/v0/decoder: records decoded with plain-number varlongs (fetchedRecords.ts);
// - producer/groupMessagesPerPartition: linear instead of quadratic in the messages of a request;
// - producer/partitioners/default/murmur2: Math.imul instead of 64-bit Long arithmetic (same hash, Kafka's vectors);
// - protocol/requests/produce/v3/request: one-pass record batch encoding (produceRequest.ts).
// Each replacement keeps the module's signature; they are written for kafkajs 2.2.4, the pinned version.
import Module, { createRequire } from 'node:module';
import type * as KafkaJS from 'kafkajs';
import { murmur2Hash } from '../otlp/partitioners.ts';
import { Batch, decodeRecord } from './fetchedRecords.ts';
import { produceRequest } from './produceRequest.ts';
import { filterAbortedMessages } from './readCommitted.ts';

const require = createRequire(import.meta.url);
const PATCHED_VERSION = '2.2.4';
const REPLACED = Symbol.for('otlp-streams.kafkajs-replacement');

interface Partitioner {
  (args: { topic: string; partitionMetadata: unknown[]; message: unknown }): number;
}

/** Messages of one topic by partition, in their order. */
export function groupMessagesPerPartition<M>({ topic, partitionMetadata, messages, partitioner }: { topic: string; partitionMetadata: unknown[]; messages: M[]; partitioner: Partitioner }): Record<number, M[]> {
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const list = result[partition];
    if (list) list.push(message);
    else result[partition] = [message];
  }
  return result;
}

// Keys are hashed from a reused buffer: no allocation per message for string keys.
const scratch = Buffer.allocUnsafe(1024);

/** kafkajs' murmur2 module: the Java client's hash of a key (a Buffer, or anything as its string). */
export function murmur2(key: unknown): number {
  if (Buffer.isBuffer(key)) return murmur2Hash(key);
  const text = String(key);
  if (text.length * 3 > scratch.length) return murmur2Hash(Buffer.from(text));
  return murmur2Hash(scratch, scratch.write(text, 0, 'utf8'));
}

const replacements: Record<string, unknown> = {
  'kafkajs/src/consumer/filterAbortedMessages': filterAbortedMessages,
  'kafkajs/src/consumer/batch': Batch,
  'kafkajs/src/protocol/recordBatch/record/v0/decoder': decodeRecord,
  'kafkajs/src/producer/partitioners/default/murmur2': murmur2,
  'kafkajs/src/producer/groupMessagesPerPartition': groupMessagesPerPartition,
  'kafkajs/src/protocol/requests/produce/v3/request': produceRequest,
};

function install(): void {
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== PATCHED_VERSION) throw new Error(`src/kafka/kafkajs.ts replaces internals of kafkajs ${PATCHED_VERSION}, but ${version} is installed; check the replacements against it`);
  const main = require.resolve('kafkajs');
  for (const [id, exports] of Object.entries(replacements)) {
    const filename = require.resolve(id);
    const cached = require.cache[filename] as (NodeJS.Module & { [REPLACED]?: true }) | undefined;
    // Already replaced (this module can be evaluated more than once per process, e.g. by test runners).
    if (cached?.[REPLACED]) continue;
    if (cached || require.cache[main]) throw new Error(`kafkajs was loaded before src/kafka/kafkajs.ts could replace ${id}: import kafkajs values from src/kafka/kafkajs.ts`);
    const module = new Module(filename);
    module.filename = filename;
    module.loaded = true;
    module.exports = exports;
    Object.assign(module, { [REPLACED]: true });
    require.cache[filename] = module;
  }
}

install();

/** The kafkajs module object, with the replacements in place. */
const kafkajs = require('kafkajs') as typeof KafkaJS;
export default kafkajs;
export const { logLevel, CompressionTypes, CompressionCodecs, AssignerProtocol, PartitionAssigners, Partitioners } = kafkajs;
export const Kafka = kafkajs.Kafka;
export type Kafka = KafkaJS.Kafka;
