// Log records of the compacted otlp.index topic (docs/logs.md): the LogSegment branch of schemas/avro/Index.avsc,
// framed by the schema registry, keyed `logs/<tenant>/<block start>/<partition>/<seq>` — the same key as the
// segment's rows in otlp.logs.blocks. A key past the retention gets a tombstone in both topics.
import type { Config } from '../config/index.ts';
import { AvroCodec, loadAvroSchema } from '../kafka/avro.ts';

/** Records of a segment per minute (ms), service and severity level. */
export interface LogCount {
  minute: number;
  service: string;
  level: string;
  count: number;
}

/** A template mined from a service's lines, with the segment's records per minute that fit it. */
export interface LogPattern {
  service: string;
  template: string;
  counts: { minute: number; count: number }[];
}

/** One segment's index entry. */
export interface LogSegmentEntry {
  /** '' without a tenant. */
  tenant: string;
  blockStart: number;
  blockEnd: number;
  partition: number;
  seq: number;
  records: number;
  minTimeMs: number;
  maxTimeMs: number;
  /** The segment index (src/logs/segmentIndex.ts), snappy-compressed. */
  terms: Buffer;
  counts: LogCount[];
  patterns: LogPattern[];
}

const SIGNAL = 'logs';

interface Wire {
  signal: string;
  tenant: string;
  block_start: number | bigint;
  block_end: number | bigint;
  partition: number;
  entry: Record<string, unknown>;
}

interface WireSegment {
  seq: number;
  records: number;
  min_time_ms: number | bigint;
  max_time_ms: number | bigint;
  terms: Buffer;
  counts: { minute: number | bigint; service: string; level: string; count: number }[];
  patterns: { service: string; template: string; counts: { minute: number | bigint; count: number }[] }[];
}

const BRANCH = 'otlp_streams.LogSegment';

/** An entry as the Avro record. */
export function logEntryToAvro(e: LogSegmentEntry): Wire {
  const segment: WireSegment = {
    seq: e.seq,
    records: e.records,
    min_time_ms: e.minTimeMs,
    max_time_ms: e.maxTimeMs,
    terms: e.terms,
    counts: e.counts,
    patterns: e.patterns,
  };
  return { signal: SIGNAL, tenant: e.tenant, block_start: e.blockStart, block_end: e.blockEnd, partition: e.partition, entry: { [BRANCH]: segment } };
}

/** The Avro record as an entry; throws on a record that is not a log segment. */
export function logEntryFromAvro(w: Wire): LogSegmentEntry {
  if (w.signal !== SIGNAL) throw new Error(`otlp.index record of signal "${w.signal}", not ${SIGNAL}`);
  const s = w.entry[BRANCH] as WireSegment | undefined;
  if (s === undefined) throw new Error(`otlp.index record of signal ${SIGNAL} without a LogSegment`);
  return {
    tenant: w.tenant,
    blockStart: Number(w.block_start),
    blockEnd: Number(w.block_end),
    partition: w.partition,
    seq: s.seq,
    records: s.records,
    minTimeMs: Number(s.min_time_ms),
    maxTimeMs: Number(s.max_time_ms),
    terms: s.terms,
    counts: s.counts.map((c) => ({ minute: Number(c.minute), service: c.service, level: c.level, count: c.count })),
    patterns: s.patterns.map((p) => ({ service: p.service, template: p.template, counts: p.counts.map((c) => ({ minute: Number(c.minute), count: c.count })) })),
  };
}

/** otlp.index log records ↔ registry-framed Avro. `prepare` before encoding or decoding. */
export class LogIndexCodec {
  private readonly avro: AvroCodec<Wire>;

  constructor(topic: string) {
    this.avro = new AvroCodec<Wire>(topic, loadAvroSchema('Index'));
  }

  prepare(config: Config): Promise<void> {
    return this.avro.prepare(config);
  }

  /** Without a registry (tests, benchmarks): schema id 1. */
  offline(): this {
    this.avro.offline();
    return this;
  }

  encode(entry: LogSegmentEntry): Buffer {
    return this.avro.encode(logEntryToAvro(entry));
  }

  decode(bytes: Buffer): LogSegmentEntry {
    return logEntryFromAvro(this.avro.decode(bytes));
  }
}

/** A codec that needs no schema registry (tests, benchmarks without Kafka). */
export function offlineLogIndexCodec(): LogIndexCodec {
  return new LogIndexCodec('idx').offline();
}

/** Where a log segment sits. */
export interface LogSegmentPlace {
  tenant: string;
  blockStart: number;
  partition: number;
  seq: number;
}

/** Key of a log segment in otlp.logs.blocks and otlp.index. */
export function logSegmentKey(tenant: string, blockStart: number, partition: number, seq: number): string {
  return `${SIGNAL}/${tenant}/${blockStart}/${partition}/${seq}`;
}

/** Whether an otlp.index key is a log index key. */
export const isLogIndexKey = (key: string): boolean => key.startsWith(`${SIGNAL}/`);

/** Parses a log segment key; throws naming the key when it is not one. */
export function parseLogSegmentKey(key: string): LogSegmentPlace {
  const parts = key.split('/');
  const bad = (why: string) => new Error(`log segment key "${key}": ${why}`);
  if (parts.length !== 5) throw bad('expected logs/<tenant>/<block start>/<partition>/<seq>');
  const [signal, tenant, block, partition, seq] = parts;
  if (signal !== SIGNAL) throw bad(`signal "${signal}" is not ${SIGNAL}`);
  if (!/^-?\d+$/.test(block) || !Number.isSafeInteger(Number(block))) throw bad('block start is not an integer');
  if (!/^\d+$/.test(partition) || !Number.isSafeInteger(Number(partition))) throw bad('partition is not an integer');
  if (!/^\d+$/.test(seq) || !Number.isSafeInteger(Number(seq))) throw bad('segment number is not an integer');
  return { tenant, blockStart: Number(block), partition: Number(partition), seq: Number(seq) };
}
