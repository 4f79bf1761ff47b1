// Dead letters: a record a consumer cannot decode or validate is copied to the dead-letter topic (`otlp.dlq`)
// with headers that say what went wrong and where it came from, counted, and the partition moves on.
// The copy keeps the original key, value and headers untouched, so it can be inspected or replayed as it was.
import type { IHeaders, Message, ProducerRecord } from 'kafkajs';
import { Counter, register as defaultRegistry, type Registry } from 'prom-client';

export const DLQ_TOPIC = 'otlp.dlq';

/** Header names on every dead letter. */
export const DLQ_HEADERS = {
  error: 'dlq.error',
  errorType: 'dlq.error.type',
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  sourceTimestamp: 'dlq.source.timestamp',
  time: 'dlq.time',
} as const;

/** Where a consumed record came from, and the record itself (a kafkajs KafkaMessage fits). */
export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  /** Record timestamp (ms since epoch, as kafkajs gives it). */
  timestamp?: string;
}

/** Anything that can produce: a kafkajs Producer or an open Transaction. */
export interface RecordSender {
  send(record: ProducerRecord): Promise<unknown>;
}

// Errors can carry anything; keep the header readable and bounded.
const MAX_ERROR_CHARS = 4000;

/** The dead-letter message for `source` failing with `error`, at time `now` (ms). */
export function deadLetterRecord(source: DeadLetterSource, error: unknown, now: number = Date.now()): Message {
  const err = error instanceof Error ? error : new Error(String(error));
  const headers: IHeaders = { ...source.headers };
  headers[DLQ_HEADERS.error] = err.message.slice(0, MAX_ERROR_CHARS);
  headers[DLQ_HEADERS.errorType] = err.name;
  headers[DLQ_HEADERS.sourceTopic] = source.topic;
  headers[DLQ_HEADERS.sourcePartition] = String(source.partition);
  headers[DLQ_HEADERS.sourceOffset] = source.offset;
  if (source.timestamp !== undefined) headers[DLQ_HEADERS.sourceTimestamp] = source.timestamp;
  headers[DLQ_HEADERS.time] = new Date(now).toISOString();
  return { key: source.key, value: source.value, headers };
}

export interface DeadLetterQueueOptions {
  topic?: string;
  /** Registry for the counter (default: prom-client's global one). */
  registry?: Registry;
  clock?: () => number;
}

/** Sends dead letters through a given producer or transaction, counting them by source topic and error type. */
export interface DeadLetterQueue {
  readonly topic: string;
  /** Sends the dead letter for `source` via `sender` (inside the caller's transaction when `sender` is one). */
  send(sender: RecordSender, source: DeadLetterSource, error: unknown): Promise<void>;
  /**
   * Runs `decode` on the record; on failure sends the dead letter and returns undefined, so the caller skips
   * the record and the partition keeps going.
   */
  decodeOrDeadLetter<T>(sender: RecordSender, source: DeadLetterSource, decode: (value: Buffer) => T): Promise<T | undefined>;
}

const COUNTER_NAME = 'otlp_dlq_records_total';

function dlqCounter(registry: Registry): Counter<'source_topic' | 'error_type'> {
  const existing = registry.getSingleMetric(COUNTER_NAME);
  if (existing) return existing as Counter<'source_topic' | 'error_type'>;
  return new Counter({
    name: COUNTER_NAME,
    help: 'Records sent to the dead-letter topic, by source topic and error type',
    labelNames: ['source_topic', 'error_type'],
    registers: [registry],
  });
}

/** Creates the dead-letter handler every consumer shares. */
export function createDeadLetterQueue(options: DeadLetterQueueOptions = {}): DeadLetterQueue {
  const topic = options.topic ?? DLQ_TOPIC;
  const clock = options.clock ?? Date.now;
  const counter = dlqCounter(options.registry ?? defaultRegistry);
  const send = async (sender: RecordSender, source: DeadLetterSource, error: unknown): Promise<void> => {
    const message = deadLetterRecord(source, error, clock());
    await sender.send({ topic, messages: [message] });
    counter.inc({ source_topic: source.topic, error_type: String(message.headers?.[DLQ_HEADERS.errorType]) });
  };
  return {
    topic,
    send,
    async decodeOrDeadLetter(sender, source, decode) {
      try {
        if (source.value === null) throw new Error('record has no value (tombstone)');
        return decode(source.value);
      } catch (err) {
        await send(sender, source, err);
        return undefined;
      }
    },
  };
}
