// createOtlpProducer(): OTLP requests in, Kafka records out — keyed and split exactly like the OpenTelemetry
// Collector's kafka exporter with its partition options on (COLLECTOR-KAFKA.md), values kept under the topic's
// max.message.bytes, acks=all, snappy, and an answer only once Kafka has every record (see delivery.ts).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { IHeaders, Kafka } from 'kafkajs';
import {
  partitioners, splitBySize, splitLogs, splitLogsJson, splitMetrics, splitMetricsJson, splitTraces, splitTracesJson,
  type KafkaRecord, type OversizedItem, type Partitioner, type Signal,
} from '../otlp/index.ts';
import { componentLogger, type Logger } from '../log.ts';
import { countItems } from './countItems.ts';
import { Delivery, recordBytes, type DeliveryMode, type DeliveryState, type PlacedRecord } from './delivery.ts';
import { readTopicLayouts, type TopicLayout } from './topics.ts';

/** Default topics: the collector kafka exporter's. */
export const DEFAULT_TOPICS: Readonly<Record<Signal, string>> = { traces: 'otlp_spans', metrics: 'otlp_metrics', logs: 'otlp_logs' };

export type PartitionerName = Partitioner['name'];
export type RequestFormat = 'protobuf' | 'json';

export interface OtlpProducerOptions {
  kafka: Kafka;
  /**
   * murmur2 (default): Java's and kafkajs' default, the collector's `sticky_key: {hasher: murmur2}`.
   * sarama_compat: the collector's default. Every producer of a topic must use the same one.
   */
  partitioner?: PartitionerName;
  topics?: Partial<Record<Signal, string>>;
  /** transactional (default): nothing half-written; idempotent: at-least-once. See delivery.ts. */
  delivery?: DeliveryMode;
  /**
   * Lane i adds `-i`. Default: unique per producer (host, pid, random), so producers never fence each other; give
   * one stable per instance to have a restarted instance fence its predecessor.
   */
  transactionalId?: string;
  /** Kafka producers writing in parallel, each with one send or transaction in flight (default 4). */
  producers?: number;
  /** Create missing topics with this many partitions (default 6); false to require them. */
  createTopics?: { numPartitions: number } | false;
  /** Lower the record limit below the topic's max.message.bytes (e.g. to leave room for other producers). */
  maxMessageBytes?: number;
  /** Bytes one group commit may hold (default 1 MiB: encoding and snappy run synchronously, so a group blocks the event loop for as long as it takes). */
  maxGroupBytes?: number;
  /** A request not acknowledged by Kafka within this time fails as unavailable (default 15 s). */
  deliveryTimeoutMs?: number;
  log?: Logger;
}

/** A request split into the records to produce, with the items that can never fit. */
export interface PreparedRequest {
  signal: Signal;
  topic: string;
  records: PlacedRecord[];
  /** Items in the request (spans, data points or log records). */
  items: number;
  /** Items left out because even alone they exceed the topic's message size. */
  rejected: OversizedItem[];
  /** Bytes of the records. */
  bytes: number;
}

/** Writes OTLP requests to Kafka with the collector's keys; see the file comment. */
export interface OtlpProducer {
  connect(): Promise<void>;
  /** Waits for what is queued, then disconnects. */
  disconnect(): Promise<void>;
  /** Splits and validates a request without producing; throws OtlpDecodeError for bad input. */
  prepare(signal: Signal, body: Uint8Array | string | object, format?: RequestFormat, headers?: IHeaders): PreparedRequest;
  /** Produces prepared records; resolves once Kafka has all of them. Throws KafkaUnavailableError. */
  send(prepared: PreparedRequest): Promise<void>;
  /** prepare + send. */
  export(signal: Signal, body: Uint8Array | string | object, opts?: { format?: RequestFormat; headers?: IHeaders }): Promise<PreparedRequest>;
  /** The partition a key goes to in a signal's topic. */
  partitionFor(signal: Signal, key: Uint8Array): number;
  readonly state: DeliveryState;
  readonly topics: Readonly<Record<Signal, string>>;
  readonly partitioner: Partitioner;
}

const SPLITTERS: Record<Signal, Record<RequestFormat, (body: never) => KafkaRecord[]>> = {
  traces: { protobuf: splitTraces, json: splitTracesJson },
  metrics: { protobuf: splitMetrics, json: splitMetricsJson },
  logs: { protobuf: splitLogs, json: splitLogsJson },
};

// Room left in a record batch for the key, headers and record framing.
const RECORD_HEADROOM = 1024;

/** Creates an OTLP producer; call connect() before use. */
export function createOtlpProducer(options: OtlpProducerOptions): OtlpProducer {
  const log = options.log ?? componentLogger('producer');
  const partitioner = partitioners[options.partitioner ?? 'murmur2'];
  if (partitioner === undefined) throw new Error(`unknown partitioner ${options.partitioner}; choose murmur2 or sarama_compat`);
  const topics: Record<Signal, string> = { ...DEFAULT_TOPICS, ...options.topics };
  let layouts = new Map<string, TopicLayout>();

  const messageLimit = (topic: string): number => {
    const topicMax = layouts.get(topic)?.maxMessageBytes ?? 1_048_588;
    return Math.min(topicMax, options.maxMessageBytes ?? Infinity);
  };
  const delivery = new Delivery({
    kafka: options.kafka,
    mode: options.delivery ?? 'transactional',
    transactionalId: options.transactionalId ?? `otlp-streams-producer-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
    lanes: options.producers ?? 4,
    maxGroupBytes: options.maxGroupBytes ?? 1 << 20,
    timeoutMs: options.deliveryTimeoutMs ?? 15_000,
    maxMessageBytes: messageLimit,
    onConnect: async () => {
      layouts = await readTopicLayouts(options.kafka, Object.values(topics), options.createTopics ?? { numPartitions: 6 });
    },
    log,
  });

  const partitionFor = (signal: Signal, key: Uint8Array): number => {
    const layout = layouts.get(topics[signal]);
    if (layout === undefined) throw new Error('producer not connected');
    // An empty key (all-zero trace id) is still a key: it hashes like any other, as in the collector.
    return partitioner.partition(key, layout.partitions);
  };

  const prepare = (signal: Signal, body: Uint8Array | string | object, format: RequestFormat = 'protobuf', headers?: IHeaders): PreparedRequest => {
    const topic = topics[signal];
    const split = SPLITTERS[signal][format](body as never);
    const limit = messageLimit(topic) - RECORD_HEADROOM;
    const records: PlacedRecord[] = [];
    const rejected: OversizedItem[] = [];
    let items = 0;
    let bytes = 0;
    for (const record of split) {
      const sized = splitBySize(signal, record, limit);
      rejected.push(...sized.oversized);
      for (const r of sized.records) {
        const out: PlacedRecord = { topic, partition: partitionFor(signal, r.key), key: r.key, value: r.value, headers };
        records.push(out);
        items += countItems(signal, r.value);
        bytes += recordBytes(out);
      }
    }
    return { signal, topic, records, items: items + rejected.length, rejected, bytes };
  };

  const send = async (prepared: PreparedRequest): Promise<void> => {
    if (prepared.records.length === 0) return;
    await delivery.deliver(prepared.records, prepared.bytes);
  };

  return {
    connect: () => delivery.start(),
    disconnect: () => delivery.close(),
    prepare,
    send,
    async export(signal, body, opts = {}) {
      const prepared = prepare(signal, body, opts.format, opts.headers);
      await send(prepared);
      return prepared;
    },
    partitionFor,
    get state() {
      return delivery.state;
    },
    topics,
    partitioner,
  };
}
