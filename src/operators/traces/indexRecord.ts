// Records of the compacted otlp.index topic for traces (docs/traces.md): Avro (schemas/avro/Index.avsc), framed by
// the schema registry. Two kinds, keyed by tenant, block, partition and what they are:
// - a segment `traces/<tenant>/<block start>/<partition>/<seq>`: summaries of the traces completed in one flush of
//   the indexer (one tenant, one block), with postings (field, value) → indexes into those summaries;
// - a block `traces/<tenant>/<block start>/<partition>/block`: counts and ranges for pruning and a Bloom filter of the
//   block's trace ids.
// A key past the retention gets a tombstone.
import { AvroCodec, loadAvroSchema } from '../../kafka/avro.ts';
import type { Config } from '../../config/index.ts';
import type { TraceSummary } from './model.ts';

/** (field, value) → indexes into the segment's `traces`. Fields: resource.<key>, span.<key>, name, status, kind. */
export interface Posting {
  field: string;
  value: string;
  traces: number[];
}

interface IndexPlace {
  /** '' without a tenant. */
  tenant: string;
  blockStart: number;
  blockEnd: number;
  partition: number;
}

export interface TraceSegment extends IndexPlace {
  kind: 'segment';
  seq: number;
  traces: TraceSummary[];
  postings: Posting[];
}

export interface TraceBlock extends IndexPlace {
  kind: 'block';
  traces: number;
  segments: number;
  minDurationNanos: number;
  maxDurationNanos: number;
  minStartUnixNano: bigint;
  maxStartUnixNano: bigint;
  /** The Bloom filter (bloom.ts): its bits and number of hashes. */
  bloom: { bits: Uint8Array; hashes: number };
}

export type TraceIndexEntry = TraceSegment | TraceBlock;

// The Avro record as avsc reads and writes it (wrapped union, snake_case).
interface WireSummary {
  trace_id: string;
  root_service: string;
  root_name: string;
  start_unix_nano: number | bigint;
  duration_nanos: number | bigint;
  spans: number;
  errors: number;
  services: { service: string; spans: number; errors: number }[];
  edges: { parent: string; child: string; calls: number }[];
}
export interface WireRecord {
  signal: string;
  tenant: string;
  block_start: number;
  block_end: number;
  partition: number;
  entry:
    | { 'otlp_streams.TraceSegment': { seq: number; traces: WireSummary[]; postings: Posting[] } }
    | {
        'otlp_streams.TraceBlock': {
          traces: number | bigint;
          segments: number;
          min_duration_nanos: number | bigint;
          max_duration_nanos: number | bigint;
          min_start_unix_nano: number | bigint;
          max_start_unix_nano: number | bigint;
          bloom_bits: Buffer;
          bloom_hashes: number;
        };
      };
}

const SIGNAL = 'traces';

function toWireSummary(s: TraceSummary): WireSummary {
  return {
    trace_id: s.traceId,
    root_service: s.rootService,
    root_name: s.rootName,
    start_unix_nano: s.startUnixNano,
    duration_nanos: s.durationNanos,
    spans: s.spans,
    errors: s.errors,
    services: s.services,
    edges: s.edges,
  };
}

function fromWireSummary(w: WireSummary): TraceSummary {
  return {
    traceId: w.trace_id,
    rootService: w.root_service,
    rootName: w.root_name,
    startUnixNano: BigInt(w.start_unix_nano),
    durationNanos: Number(w.duration_nanos),
    spans: w.spans,
    errors: w.errors,
    services: w.services.map((x) => ({ service: x.service, spans: x.spans, errors: x.errors })),
    edges: w.edges.map((x) => ({ parent: x.parent, child: x.child, calls: x.calls })),
  };
}

/** An entry as the Avro record (exported for the codec property tests). */
export function indexEntryToAvro(e: TraceIndexEntry): WireRecord {
  const place = { signal: SIGNAL, tenant: e.tenant, block_start: e.blockStart, block_end: e.blockEnd, partition: e.partition };
  if (e.kind === 'segment') return { ...place, entry: { 'otlp_streams.TraceSegment': { seq: e.seq, traces: e.traces.map(toWireSummary), postings: e.postings } } };
  return {
    ...place,
    entry: {
      'otlp_streams.TraceBlock': {
        traces: e.traces,
        segments: e.segments,
        min_duration_nanos: e.minDurationNanos,
        max_duration_nanos: e.maxDurationNanos,
        min_start_unix_nano: e.minStartUnixNano,
        max_start_unix_nano: e.maxStartUnixNano,
        bloom_bits: Buffer.from(e.bloom.bits.buffer, e.bloom.bits.byteOffset, e.bloom.bits.byteLength),
        bloom_hashes: e.bloom.hashes,
      },
    },
  };
}

/** The Avro record as an entry; throws on a record of another signal. */
export function indexEntryFromAvro(w: WireRecord): TraceIndexEntry {
  if (w.signal !== SIGNAL) throw new Error(`otlp.index record of signal "${w.signal}", not ${SIGNAL}`);
  const place = { tenant: w.tenant, blockStart: Number(w.block_start), blockEnd: Number(w.block_end), partition: w.partition };
  if ('otlp_streams.TraceSegment' in w.entry) {
    const s = w.entry['otlp_streams.TraceSegment'];
    return { kind: 'segment', ...place, seq: s.seq, traces: s.traces.map(fromWireSummary), postings: s.postings.map((p) => ({ field: p.field, value: p.value, traces: p.traces })) };
  }
  const b = w.entry['otlp_streams.TraceBlock'];
  return {
    kind: 'block',
    ...place,
    traces: Number(b.traces),
    segments: b.segments,
    minDurationNanos: Number(b.min_duration_nanos),
    maxDurationNanos: Number(b.max_duration_nanos),
    minStartUnixNano: BigInt(b.min_start_unix_nano),
    maxStartUnixNano: BigInt(b.max_start_unix_nano),
    bloom: { bits: new Uint8Array(b.bloom_bits), hashes: b.bloom_hashes },
  };
}

/** otlp.index trace records ↔ registry-framed Avro. `prepare` before encoding or decoding. */
export class TraceIndexCodec {
  private readonly avro: AvroCodec<WireRecord>;

  constructor(topic: string) {
    this.avro = new AvroCodec<WireRecord>(topic, loadAvroSchema('Index'));
  }

  prepare(config: Config): Promise<void> {
    return this.avro.prepare(config);
  }

  /** Without a registry (tests, benchmarks): schema id 1. */
  offline(): this {
    this.avro.offline();
    return this;
  }

  encode(entry: TraceIndexEntry): Buffer {
    return this.avro.encode(indexEntryToAvro(entry));
  }

  decode(bytes: Buffer): TraceIndexEntry {
    return indexEntryFromAvro(this.avro.decode(bytes));
  }
}

/** The codec of an index topic (otlp.index). */
export function traceIndexCodec(topic: string): TraceIndexCodec {
  return new TraceIndexCodec(topic);
}

/** Where an index record sits: signal, tenant ('' for none), block start, partition, and segment number or block. */
export interface IndexKey {
  signal: 'traces';
  tenant: string;
  blockStart: number;
  partition: number;
  /** A segment's number, or 'block' for the block record. */
  entry: number | 'block';
}

/** Key of a segment record. */
export function segmentKey(tenant: string, blockStart: number, partition: number, seq: number): string {
  return `${SIGNAL}/${tenant}/${blockStart}/${partition}/${seq}`;
}

/** Key of a block record. */
export function blockKey(tenant: string, blockStart: number, partition: number): string {
  return `${SIGNAL}/${tenant}/${blockStart}/${partition}/block`;
}

/** Parses an otlp.index key of the trace index; throws naming the key when it is not one. */
export function parseIndexKey(key: string): IndexKey {
  const parts = key.split('/');
  const bad = (why: string) => new Error(`otlp.index key "${key}": ${why}`);
  if (parts.length !== 5) throw bad('expected traces/<tenant>/<block start>/<partition>/<seq | block>');
  const [signal, tenant, block, partition, entry] = parts;
  if (signal !== SIGNAL) throw bad(`signal "${signal}" is not ${SIGNAL}`);
  const blockStart = Number(block);
  const part = Number(partition);
  if (!/^-?\d+$/.test(block) || !Number.isSafeInteger(blockStart)) throw bad('block start is not an integer');
  if (!/^\d+$/.test(partition) || !Number.isSafeInteger(part)) throw bad('partition is not an integer');
  if (entry === 'block') return { signal, tenant, blockStart, partition: part, entry };
  const seq = Number(entry);
  if (!/^\d+$/.test(entry) || !Number.isSafeInteger(seq)) throw bad('segment number is not an integer');
  return { signal, tenant, blockStart, partition: part, entry: seq };
}
