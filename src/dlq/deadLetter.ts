// Dead letters: a record a consumer cannot decode or validate is copied to the dead-letter topic (`otlp.dlq`)
// with headers that say what went wrong and where it came from, counted, and the partition moves on.
// The copy keeps the original key, value and headers untouched, so it can be inspected or replayed as it was —
// unless it would not fit the dead-letter topic's max.message.bytes: a broker refuses such a record, the
// transaction holding it fails, and the partition would replay it forever. Then the value (and if need be the key
// and the original headers) is cut, and headers say what was cut and how large it was.
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
  /** How many times processing the record failed before it was given up (records that made the pipeline throw). */
  attempts: 'dlq.attempts',
  /** What was cut to fit the topic: `value`, `value,key` or `value,key,headers`. */
  truncated: 'dlq.truncated',
  /** Size of the original value (and key), bytes, when cut. */
  originalValueBytes: 'dlq.original.value.bytes',
  originalKeyBytes: 'dlq.original.key.bytes',
} as const;

/**
 * The largest dead letter by default: the broker's default max.message.bytes (1 MiB + 12). Pass the topic's own
 * value where it is known (see `recordLimits` in the runtime).
 */
export const DEFAULT_DEAD_LETTER_MAX_BYTES = 1024 * 1024 + 12;

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

/** Options of one dead letter. */
export interface DeadLetterOptions {
  /** The dead-letter topic's max.message.bytes (default DEFAULT_DEAD_LETTER_MAX_BYTES). */
  maxBytes?: number;
  /** Failed attempts before the record was given up, for records that made the pipeline throw. */
  attempts?: number;
}

/** The dead-letter message for `source` failing with `error`, at time `now` (ms), cut to fit `options.maxBytes`. */
export function deadLetterRecord(source: DeadLetterSource, error: unknown, now: number = Date.now(), options: DeadLetterOptions = {}): Message {
  const err = error instanceof Error ? error : new Error(String(error));
  const ours: IHeaders = {};
  ours[DLQ_HEADERS.error] = err.message.slice(0, MAX_ERROR_CHARS);
  ours[DLQ_HEADERS.errorType] = err.name;
  ours[DLQ_HEADERS.sourceTopic] = source.topic;
  ours[DLQ_HEADERS.sourcePartition] = String(source.partition);
  ours[DLQ_HEADERS.sourceOffset] = source.offset;
  if (source.timestamp !== undefined) ours[DLQ_HEADERS.sourceTimestamp] = source.timestamp;
  ours[DLQ_HEADERS.time] = new Date(now).toISOString();
  if (options.attempts !== undefined) ours[DLQ_HEADERS.attempts] = String(options.attempts);
  return fitted(source, ours, options.maxBytes ?? DEFAULT_DEAD_LETTER_MAX_BYTES);
}

// A record batch of one record costs 61 bytes of batch header and up to about 30 of record framing; each header
// a few bytes of lengths.
const RECORD_OVERHEAD = 128;
const HEADER_OVERHEAD = 10;

function bytesOf(value: Buffer | string | null | undefined): number {
  if (value == null) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function headerBytes(headers: IHeaders): number {
  let size = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) size += HEADER_OVERHEAD + Buffer.byteLength(name) + bytesOf(v);
  }
  return size;
}

/**
 * The dead letter of `source`, its original headers under ours, in at most `maxBytes`: the value is cut first, then
 * the key, then the original headers are left out, each only if what is left does not fit yet.
 */
function fitted(source: DeadLetterSource, ours: IHeaders, maxBytes: number): Message {
  const { key, value } = source;
  const original = source.headers ?? {};
  const room = (withOriginal: boolean) => maxBytes - RECORD_OVERHEAD - headerBytes(ours) - (withOriginal ? headerBytes(original) : 0);
  if (bytesOf(key) + bytesOf(value) <= room(true)) return { key, value, headers: { ...original, ...ours } };
  ours[DLQ_HEADERS.truncated] = 'value';
  ours[DLQ_HEADERS.originalValueBytes] = String(bytesOf(value));
  if (bytesOf(key) > room(true)) {
    ours[DLQ_HEADERS.truncated] = 'value,key';
    ours[DLQ_HEADERS.originalKeyBytes] = String(bytesOf(key));
  }
  const withOriginal = room(true) >= 0;
  if (!withOriginal) ours[DLQ_HEADERS.truncated] = 'value,key,headers';
  const left = Math.max(0, room(withOriginal));
  const keptKey = key === null ? null : key.subarray(0, left);
  const keptValue = value === null ? null : value.subarray(0, left - (keptKey?.length ?? 0));
  return { key: keptKey, value: keptValue, headers: withOriginal ? { ...original, ...ours } : ours };
}

export interface DeadLetterQueueOptions {
  topic?: string;
  /** The topic's max.message.bytes: larger dead letters are cut to fit (default DEFAULT_DEAD_LETTER_MAX_BYTES). */
  maxBytes?: number;
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
    const message = deadLetterRecord(source, error, clock(), { maxBytes: options.maxBytes });
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
