// Produce requests (versions 3–7) encoded in one pass: sizes first, then every record batch written into one
// exactly sized buffer with plain-number varints and a SIMD CRC32C. kafkajs 2.2.4 builds an encoder object per
// record, does 64-bit varint arithmetic through its Long class and computes the CRC in JavaScript a byte at a
// time; that was most of the cost of an exactly-once copy. The bytes follow Kafka's RecordBatch v2 format
// (magic 2); tests compare them with kafkajs' own encoder and decode them with kafkajs' decoder.
import { createRequire } from 'node:module';
import { crc32c } from '@node-rs/crc32';

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
}
const Encoder = require('kafkajs/src/protocol/encoder') as new (size?: number) => KafkajsEncoder;
const { lookupCodec, Types: CompressionTypes } = require('kafkajs/src/protocol/message/compression') as {
  lookupCodec(type: number): { compress(encoder: { buffer: Buffer }): Promise<Buffer> };
  Types: { None: number };
};
const PRODUCE_API_KEY = 0;

type Bytes = Buffer | string | null | undefined;

/** A message as kafkajs' producer passes it on. */
export interface OutgoingMessage {
  key?: Bytes;
  value?: Bytes;
  headers?: Record<string, Bytes | Bytes[]>;
  timestamp?: string | number | null;
}

export interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: OutgoingMessage[];
}

export interface TopicData {
  topic: string;
  partitions: PartitionData[];
}

export interface ProduceRequestArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: { toString(): string } | number | bigint;
  producerEpoch?: number;
  compression?: number;
  topicData: TopicData[];
}

export interface RecordBatchArgs {
  messages: OutgoingMessage[];
  producerId: bigint;
  producerEpoch: number;
  firstSequence: number;
  transactional: boolean;
  compression: number;
  /** Timestamp of records that carry none (ms). */
  now: number;
}

const MAGIC = 2;
const TRANSACTIONAL = 0x10;
const CODEC_MASK = 0x07;
// baseOffset 8, batchLength 4, partitionLeaderEpoch 4, magic 1, crc 4, attributes 2, lastOffsetDelta 4,
// firstTimestamp 8, maxTimestamp 8, producerId 8, producerEpoch 2, baseSequence 4, record count 4.
const BATCH_HEADER = 61;
const CRC_START = 21;

function byteLength(b: Bytes): number {
  if (b == null) return -1;
  return typeof b === 'string' ? Buffer.byteLength(b) : b.length;
}

function sizeOfVarInt(n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  let size = 1;
  while (z >= 0x80) {
    z >>>= 7;
    size++;
  }
  return size;
}

function sizeOfVarLong(n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    size++;
  }
  return size;
}

function writeVarInt(buf: Buffer, pos: number, n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[pos++] = z;
  return pos;
}

function writeVarLong(buf: Buffer, pos: number, n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 0x80) {
    buf[pos++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  buf[pos++] = z;
  return pos;
}

/** Writes a varint length and the bytes (length -1 for null). */
function writeBytes(buf: Buffer, pos: number, b: Bytes, length: number): number {
  pos = writeVarInt(buf, pos, length);
  if (b == null) return pos;
  if (typeof b !== 'string') {
    buf.set(b, pos); // TypedArray#set: a fraction of Buffer#copy's cost for small values
    return pos + length;
  }
  // Short ASCII strings (keys, ids) are cheaper copied by hand than through the UTF-8 encoder.
  if (length === b.length && length <= 64) {
    for (let i = 0; i < length; i++) buf[pos + i] = b.charCodeAt(i);
    return pos + length;
  }
  return pos + buf.write(b, pos, 'utf8');
}

const NO_HEADERS: ReadonlyArray<[string, Bytes]> = [];

function headerList(headers: OutgoingMessage['headers']): ReadonlyArray<[string, Bytes]> {
  if (!headers) return NO_HEADERS;
  const list: Array<[string, Bytes]> = [];
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (Array.isArray(value)) for (const v of value) list.push([key, v]);
    else list.push([key, value]);
  }
  return list;
}

function timestampOf(m: OutgoingMessage, now: number): number {
  if (m.timestamp == null || m.timestamp === '' || m.timestamp === 0) return now;
  const ts = Number(m.timestamp);
  if (!Number.isSafeInteger(ts)) throw new TypeError(`message timestamp ${JSON.stringify(m.timestamp)} is not an integer number of milliseconds`);
  return ts;
}

/** Encodes one RecordBatch (magic 2) holding `messages` at offset deltas 0…n-1. */
export async function encodeRecordBatch(args: RecordBatchArgs): Promise<Buffer> {
  const { messages, now } = args;
  const n = messages.length;
  if (n === 0) throw new RangeError('a record batch needs at least one record');
  const timestamps = new Array<number>(n);
  let first = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const ts = timestampOf(messages[i], now);
    timestamps[i] = ts;
    if (ts < first) first = ts;
    if (ts > max) max = ts;
  }
  // Pass 1: sizes.
  const keyLengths = new Array<number>(n);
  const valueLengths = new Array<number>(n);
  const bodySizes = new Array<number>(n);
  const headers = new Array<ReadonlyArray<[string, Bytes]>>(n);
  let recordsSize = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i];
    const keyLength = byteLength(m.key);
    const valueLength = byteLength(m.value);
    const list = headerList(m.headers);
    let headersSize = sizeOfVarInt(list.length);
    for (const [hk, hv] of list) {
      const kl = Buffer.byteLength(hk);
      const vl = byteLength(hv);
      headersSize += sizeOfVarInt(kl) + kl + sizeOfVarInt(vl) + Math.max(vl, 0);
    }
    const body =
      1 + sizeOfVarLong(timestamps[i] - first) + sizeOfVarInt(i) + sizeOfVarInt(keyLength) + Math.max(keyLength, 0) + sizeOfVarInt(valueLength) + Math.max(valueLength, 0) + headersSize;
    keyLengths[i] = keyLength;
    valueLengths[i] = valueLength;
    bodySizes[i] = body;
    headers[i] = list;
    recordsSize += sizeOfVarInt(body) + body;
  }
  // Pass 2: the records.
  const records = Buffer.allocUnsafe(recordsSize);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i];
    pos = writeVarInt(records, pos, bodySizes[i]);
    records[pos++] = 0; // attributes: unused
    pos = writeVarLong(records, pos, timestamps[i] - first);
    pos = writeVarInt(records, pos, i);
    pos = writeBytes(records, pos, m.key, keyLengths[i]);
    pos = writeBytes(records, pos, m.value, valueLengths[i]);
    const list = headers[i];
    pos = writeVarInt(records, pos, list.length);
    for (const [hk, hv] of list) {
      pos = writeBytes(records, pos, hk, Buffer.byteLength(hk));
      pos = writeBytes(records, pos, hv, byteLength(hv));
    }
  }
  if (pos !== recordsSize) throw new Error(`record batch encoder: wrote ${pos} bytes, sized ${recordsSize}`);

  const codec = args.compression & CODEC_MASK;
  const payload = codec === CompressionTypes.None ? records : await lookupCodec(codec).compress({ buffer: records });
  const batch = Buffer.allocUnsafe(BATCH_HEADER + payload.length);
  batch.writeBigInt64BE(0n, 0); // base offset: the broker assigns offsets
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(0, 12); // partition leader epoch
  batch.writeInt8(MAGIC, 16);
  batch.writeInt16BE(codec | (args.transactional ? TRANSACTIONAL : 0), 21);
  batch.writeInt32BE(n - 1, 23);
  batch.writeBigInt64BE(BigInt(first), 27);
  batch.writeBigInt64BE(BigInt(max), 35);
  batch.writeBigInt64BE(args.producerId, 43);
  batch.writeInt16BE(args.producerEpoch, 51);
  batch.writeInt32BE(args.firstSequence, 53);
  batch.writeInt32BE(n, 57);
  payload.copy(batch, BATCH_HEADER);
  batch.writeUInt32BE(crc32c(batch.subarray(CRC_START)) >>> 0, 17);
  return batch;
}

function writeString(parts: Buffer[], s: string | null): void {
  if (s === null) {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(-1);
    parts.push(b);
    return;
  }
  const bytes = Buffer.from(s, 'utf8');
  const b = Buffer.allocUnsafe(2);
  b.writeInt16BE(bytes.length);
  parts.push(b, bytes);
}

function int32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n);
  return b;
}

/** The produce request body (after the request header) as bytes. */
export async function encodeProduceRequest(args: ProduceRequestArgs, now = Date.now()): Promise<Buffer> {
  const transactionalId = args.transactionalId ?? null;
  const producerId = args.producerId === undefined ? -1n : BigInt(args.producerId.toString());
  const parts: Buffer[] = [];
  writeString(parts, transactionalId);
  const acksTimeout = Buffer.allocUnsafe(6);
  acksTimeout.writeInt16BE(args.acks, 0);
  acksTimeout.writeInt32BE(args.timeout, 2);
  parts.push(acksTimeout, int32(args.topicData.length));
  for (const topic of args.topicData) {
    writeString(parts, topic.topic);
    parts.push(int32(topic.partitions.length));
    for (const p of topic.partitions) {
      const batch = await encodeRecordBatch({
        messages: p.messages,
        producerId,
        producerEpoch: args.producerEpoch ?? 0,
        firstSequence: p.firstSequence ?? 0,
        transactional: transactionalId !== null,
        compression: args.compression ?? CompressionTypes.None,
        now,
      });
      parts.push(int32(p.partition), int32(batch.length), batch);
    }
  }
  return Buffer.concat(parts);
}

/** Drop-in for kafkajs' `protocol/requests/produce/v3/request.js` (versions 4–7 wrap it and change apiVersion). */
export function produceRequest(args: ProduceRequestArgs) {
  return {
    apiKey: PRODUCE_API_KEY,
    apiVersion: 3,
    apiName: 'Produce',
    expectResponse: () => args.acks !== 0,
    encode: async (): Promise<KafkajsEncoder> => {
      const bytes = await encodeProduceRequest(args);
      const encoder = new Encoder(0);
      encoder.buf = bytes;
      encoder.offset = bytes.length;
      return encoder;
    },
  };
}
