// kafkajs, with three of its internal modules replaced before it loads. Import kafkajs values from here, never
// from 'kafkajs' (eslint enforces it; type imports are fine), so the replacements are in place whoever loads first:
// - consumer/filterAbortedMessages: read committed as the Java client does it (readCommitted.ts);
// - producer/groupMessagesPerPartition: linear instead of quadratic in the messages of a request;
// - protocol/requests/produce/v3/request: one-pass record batch encoding (produceRequest.ts).
// Each replacement keeps the module's signature; they are written for kafkajs 2.2.4, the pinned version.
import Module, { createRequire } from 'node:module';
import type * as KafkaJS from 'kafkajs';
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

const replacements: Record<string, unknown> = {
  'kafkajs/src/consumer/filterAbortedMessages': filterAbortedMessages,
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
