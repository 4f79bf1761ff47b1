// The consumer's per-record work, without kafkajs 2.2.4's Long arithmetic: kafkajs parses the batch's first
// offset and timestamp from decimal strings with a 64-bit Long class for every record, and again for every record
// in its Batch filter. Here each batch's bases are parsed once and records use plain numbers (BigInt past 2^53).
// Both replacements keep kafkajs' module shapes: `(decoder, batchContext) => record` and `class Batch`.
import { createRequire } from 'node:module';
import { withoutAborted, type AbortedTransaction } from './readCommitted.ts';

const require = createRequire(import.meta.url);
const LOG_APPEND_TIME = (require('kafkajs/src/protocol/timestampTypes') as { LOG_APPEND_TIME: number }).LOG_APPEND_TIME;

/** kafkajs' protocol Decoder (the members used here). */
interface Decoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readVarInt(): number;
  readVarLong(): { toString(): string };
  readVarIntString(): string | null;
  readVarIntBytes(): Buffer | null;
}

export interface BatchContext {
  producerId: string;
  inTransaction: boolean;
  firstOffset?: string;
  firstTimestamp?: string;
  maxTimestamp?: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType?: number;
  [field: string]: unknown;
}

type Headers = Record<string, Buffer | null | Array<Buffer | null>>;

export interface DecodedRecord {
  magicByte?: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  isControlRecord: boolean;
  batchContext: BatchContext;
}

/** A decimal string as a number when that is exact, else undefined. */
function exact(decimal: string | undefined): number | undefined {
  if (decimal === undefined) return undefined;
  const n = Number(decimal);
  return Number.isSafeInteger(n) ? n : undefined;
}

const bases = new WeakMap<BatchContext, { offset?: number; timestamp?: number }>();

function basesOf(ctx: BatchContext): { offset?: number; timestamp?: number } {
  let b = bases.get(ctx);
  if (!b) bases.set(ctx, (b = { offset: exact(ctx.firstOffset), timestamp: exact(ctx.firstTimestamp) }));
  return b;
}

function addDecimal(base: number | undefined, baseText: string | undefined, delta: number | bigint): string {
  if (base !== undefined && typeof delta === 'number') {
    const sum = base + delta;
    if (Number.isSafeInteger(sum)) return String(sum);
  }
  return (BigInt(baseText ?? 0) + BigInt(delta)).toString();
}

/** A zigzag varlong: a number while exact, else a bigint (via kafkajs' own reader). */
function readVarLong(d: Decoder): number | bigint {
  const buf = d.buffer;
  const start = d.offset;
  let pos = start;
  let raw = 0;
  let scale = 1;
  let byte: number;
  do {
    if (scale > 2 ** 42) {
      d.offset = start;
      return BigInt(d.readVarLong().toString());
    }
    byte = buf[pos++];
    raw += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte >= 0x80);
  d.offset = pos;
  return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
}

function readHeaders(d: Decoder): Headers {
  const headers: Headers = {};
  const count = d.readVarInt();
  for (let i = 0; i < count; i++) {
    const key = d.readVarIntString() ?? 'null';
    const value = d.readVarIntBytes();
    // Own properties only: a header named like an Object.prototype member ("constructor", "__proto__") is data.
    if (!Object.hasOwn(headers, key)) {
      // Assignment to "__proto__" would set the prototype: define that one as a property.
      if (key === '__proto__') Object.defineProperty(headers, key, { value, enumerable: true, writable: true, configurable: true });
      else headers[key] = value;
    } else {
      const existing = headers[key];
      headers[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
  }
  return headers;
}

/** Drop-in for kafkajs' `protocol/recordBatch/record/v0/decoder.js`. */
export function decodeRecord(decoder: Decoder, batchContext: BatchContext = { producerId: '-1', inTransaction: false }): DecodedRecord {
  const { firstOffset, firstTimestamp, magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
  const base = basesOf(batchContext);
  const attributes = decoder.readInt8();
  const timestampDelta = readVarLong(decoder);
  const timestamp = timestampType === LOG_APPEND_TIME && maxTimestamp ? maxTimestamp : addDecimal(base.timestamp, firstTimestamp, timestampDelta);
  const offset = addDecimal(base.offset, firstOffset, decoder.readVarInt());
  const key = decoder.readVarIntBytes();
  const value = decoder.readVarIntBytes();
  const headers = readHeaders(decoder);
  return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord: isControlBatch, batchContext };
}

interface PartitionData {
  partition: number;
  highWatermark: string;
  abortedTransactions?: AbortedTransaction[] | null;
  messages: DecodedRecord[];
}

const big = (decimal: string | number | bigint) => BigInt(decimal);

/**
 * Drop-in for kafkajs' `consumer/batch.js`: the records of one partition from one fetch, without those before the
 * fetched offset (a compressed batch can start earlier), aborted ones and control records.
 */
export class Batch {
  readonly fetchedOffset: string;
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  readonly rawMessages: DecodedRecord[];
  readonly messagesWithinOffset: DecodedRecord[];
  readonly messages: DecodedRecord[];

  constructor(topic: string, fetchedOffset: string, partitionData: PartitionData) {
    this.fetchedOffset = fetchedOffset;
    this.topic = topic;
    this.partition = partitionData.partition;
    this.highWatermark = partitionData.highWatermark;
    this.rawMessages = partitionData.messages;
    // Offsets ascend within a partition's fetch: skip the head below the fetched offset.
    const from = big(fetchedOffset);
    let first = 0;
    while (first < this.rawMessages.length && big(this.rawMessages[first].offset) < from) first++;
    this.messagesWithinOffset = first === 0 ? this.rawMessages : this.rawMessages.slice(first);
    this.messages = withoutAborted(this.messagesWithinOffset, partitionData.abortedTransactions).filter((m) => !m.isControlRecord);
  }

  isEmpty(): boolean {
    return this.messages.length === 0;
  }

  isEmptyIncludingFiltered(): boolean {
    return this.messagesWithinOffset.length === 0;
  }

  /** Records came but all were filtered out (compaction, control records, aborted transactions). */
  isEmptyDueToFiltering(): boolean {
    return this.isEmpty() && this.rawMessages.length > 0;
  }

  isEmptyControlRecord(): boolean {
    return this.isEmpty() && this.messagesWithinOffset.some((m) => m.isControlRecord);
  }

  /** Every record came before the fetched offset (a compacted or compressed batch's head). */
  isEmptyDueToLogCompactedMessages(): boolean {
    return this.rawMessages.length > 0 && this.isEmptyIncludingFiltered();
  }

  firstOffset(): string | null {
    return this.isEmptyIncludingFiltered() ? null : this.messagesWithinOffset[0].offset;
  }

  lastOffset(): string {
    if (this.isEmptyDueToLogCompactedMessages()) return this.fetchedOffset;
    if (this.isEmptyIncludingFiltered()) return (big(this.highWatermark) - 1n).toString();
    return this.messagesWithinOffset[this.messagesWithinOffset.length - 1].offset;
  }

  /** Lag after the last record of the batch. */
  offsetLag(): string {
    return (big(this.highWatermark) - 1n - big(this.lastOffset())).toString();
  }

  /** Lag from the first record of the batch. */
  offsetLagLow(): string {
    if (this.isEmptyIncludingFiltered()) return '0';
    return (big(this.highWatermark) - 1n - big(this.firstOffset()!)).toString();
  }
}
