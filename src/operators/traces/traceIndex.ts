// The trace index: assembled traces (assemble.ts) → the compacted otlp.traces topic (one record per fragment) and the
// records of the compacted otlp.index topic (indexRecord.ts, docs/traces.md), both written to the task's own partition
// number (co-partitioned with otlp_spans), so a query replica that holds partition p holds p's traces and their index.
//
// A trace is placed in the time block of its start. Per tenant and block, the traces completed since the last flush
// become a segment record every `flushIntervalMs` of stream time (split so each stays under `maxSegmentBytes`): their
// summaries and postings (field, value) → indexes into the summaries. When stream time passes a block's end + grace,
// the block is sealed: its block record (trace count, duration and start ranges, a Bloom filter of its trace ids,
// the number of segments) is written; a trace that arrives for a sealed block later (a late fragment, a slow trace)
// is added to the sealed block's filter and ranges and the block record is written again at the next flush. When
// stream time passes a block's end + retention, every key of the block gets a tombstone.
//
// Postings of a segment entry cover the spans of the fragments completed in that flush, not earlier fragments of the
// trace; its summary covers every fragment so far. Attribute keys or values longer than `maxValueLength` characters
// are not indexed (a posting per request id or SQL statement would grow the index past the data); nor are terms
// beyond a trace's share of a segment (a quarter of `maxSegmentBytes`), counted in trace_index_terms_dropped_total.
import type { Config } from '../../config/index.ts';
import { attributeText, tenantHeaders, type Span } from '../../otlp/index.ts';
import type { ProcessorContext, ProcessorDefinition } from '../../runtime/processor.ts';
import { keyValueStore } from '../../runtime/stores.ts';
import { stringSerde, type KeyValueStore, type Serde } from '../../state/index.ts';
import { ByteReader, ByteWriter, expectVersion } from '../metrics/bytes.ts';
import { TraceIdBloom } from './bloom.ts';
import { blockKey, segmentKey, traceIndexCodec, type Posting, type TraceBlock, type TraceIndexEntry, type TraceSegment } from './indexRecord.ts';
import { traceRecordKey, type AssembledTrace, type TraceSummary } from './model.ts';
import { encodeTraceValue, TRACE_VALUE_HEADERS } from './traceRecord.ts';
import { compareText, readSummary, readText, text, writeSummary } from './summary.ts';

/** What the index output encodes with: the registry-framed Avro codec (tests may give an offline one). */
export interface IndexEncoder {
  prepare(config: Config): Promise<void>;
  encode(entry: TraceIndexEntry): Buffer;
}

/** Options of `traceIndex`. */
export interface TraceIndexOptions {
  /** Names the stores `<store>` (pending segment entries), `<store>-blocks` and `<store>-block-traces`. */
  store: string;
  /** The compacted trace topic (otlp.traces). */
  tracesTopic: string;
  /** The compacted index topic (otlp.index). */
  indexTopic: string;
  /** Block length, ms; blocks align on the epoch. */
  blockMs: number;
  /** How far (stream time) past its end a block stays open before its block record is written. */
  graceMs: number;
  /** Segments are written every this many ms of stream time. */
  flushIntervalMs: number;
  /** A block's index records get tombstones this long (stream time) after the block ended; otlp.traces keeps traces a block longer. */
  retentionMs: number;
  /** Attribute keys and values longer than this (characters) are not indexed. */
  maxValueLength: number;
  /** Encoded size a segment record stays under (default 512 KiB). */
  maxSegmentBytes?: number;
  /** Default: `traceIndexCodec(indexTopic)`. */
  codec?: IndexEncoder;
}

export const DEFAULT_MAX_SEGMENT_BYTES = 512 * 1024;

/** Index terms of a trace: field → values. */
type Terms = Map<string, Set<string>>;

/** A trace waiting for the next flush to go into a segment. */
interface PendingTrace {
  summary: TraceSummary;
  terms: Terms;
  /** Stream time when the trace (its earliest fragment still pending) arrived. */
  arrivedAt: number;
}

/** Start and duration of a trace in a block that is not sealed yet (for the block record's ranges and filter). */
interface BlockTrace {
  startUnixNano: bigint;
  durationNanos: number;
}

/** A block's record as written when it sealed, with late traces added since. */
interface SealedBlock {
  traces: number;
  minDurationNanos: number;
  maxDurationNanos: number;
  minStartUnixNano: bigint;
  maxStartUnixNano: bigint;
  bloom: TraceIdBloom;
}

/** Per tenant and block: segments written so far, and the block record once sealed. */
interface BlockState {
  tenant: string;
  blockStart: number;
  segments: number;
  sealed: SealedBlock | null;
  /** Stream time since when the block record must be written again (late traces or segments since it was), or null. */
  staleSince: number | null;
}

const FORMAT = 1;

const pendingSerde: Serde<PendingTrace> = {
  serialize(p) {
    const out = new ByteWriter();
    out.uvarint(FORMAT);
    out.int(p.arrivedAt);
    writeSummary(out, p.summary);
    out.uvarint(p.terms.size);
    for (const [field, values] of p.terms) {
      text(out, field);
      out.uvarint(values.size);
      for (const v of values) text(out, v);
    }
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'pending trace');
    expectVersion(input, FORMAT);
    const arrivedAt = input.int();
    const summary = readSummary(input);
    const terms: Terms = new Map();
    for (let i = input.length(1 << 24); i > 0; i--) {
      const field = readText(input);
      const values = new Set<string>();
      for (let j = input.length(1 << 24); j > 0; j--) values.add(readText(input));
      terms.set(field, values);
    }
    input.end();
    return { summary, terms, arrivedAt };
  },
};

const writeNano = (out: ByteWriter, n: bigint) => {
  out.uvarint(Number(n / 1_000_000n));
  out.uvarint(Number(n % 1_000_000n));
};
const readNano = (input: ByteReader) => BigInt(input.uvarint()) * 1_000_000n + BigInt(input.uvarint());

const blockTraceSerde: Serde<BlockTrace> = {
  serialize(t) {
    const out = new ByteWriter(16);
    writeNano(out, t.startUnixNano);
    out.uvarint(t.durationNanos);
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'block trace');
    const startUnixNano = readNano(input);
    const durationNanos = input.uvarint();
    input.end();
    return { startUnixNano, durationNanos };
  },
};

const blockStateSerde: Serde<BlockState> = {
  serialize(b) {
    const out = new ByteWriter();
    out.uvarint(FORMAT);
    text(out, b.tenant);
    out.int(b.blockStart);
    out.uvarint(b.segments);
    out.uvarint(b.staleSince === null ? 0 : 1);
    if (b.staleSince !== null) out.int(b.staleSince);
    if (b.sealed === null) out.uvarint(0);
    else {
      const s = b.sealed;
      out.uvarint(1);
      out.uvarint(s.traces);
      out.uvarint(s.minDurationNanos);
      out.uvarint(s.maxDurationNanos);
      writeNano(out, s.minStartUnixNano);
      writeNano(out, s.maxStartUnixNano);
      out.uvarint(s.bloom.hashes);
      out.nested(s.bloom.bits);
    }
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'trace index block');
    expectVersion(input, FORMAT);
    const tenant = readText(input);
    const blockStart = input.int();
    const segments = input.uvarint();
    const staleSince = input.uvarint() === 1 ? input.int() : null;
    let sealed: SealedBlock | null = null;
    if (input.uvarint() === 1) {
      const traces = input.uvarint();
      const minDurationNanos = input.uvarint();
      const maxDurationNanos = input.uvarint();
      const minStartUnixNano = readNano(input);
      const maxStartUnixNano = readNano(input);
      const hashes = input.uvarint();
      const bits = Uint8Array.from(input.nested());
      sealed = { traces, minDurationNanos, maxDurationNanos, minStartUnixNano, maxStartUnixNano, bloom: TraceIdBloom.fromRecord(bits, hashes) };
    }
    input.end();
    return { tenant, blockStart, segments, staleSince, sealed };
  },
};

const STATUS = ['unset', 'ok', 'error'];
const KIND = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** The (field, value) terms of spans, without keys or values longer than `maxValueLength`, within `budget` bytes. */
export function termsOf(spans: readonly Span[], maxValueLength: number, into: Terms = new Map(), budget = Number.POSITIVE_INFINITY): { terms: Terms; dropped: number } {
  let used = 0;
  for (const terms of into) used += termBytes(terms[0], '') + [...terms[1]].reduce((n, v) => n + utf8(v) + 16, 0);
  let dropped = 0;
  const add = (field: string, value: string) => {
    if (value.length > maxValueLength) return;
    let values = into.get(field);
    if (values?.has(value)) return;
    const cost = (values === undefined ? termBytes(field, '') : 0) + utf8(value) + 16;
    if (used + cost > budget) {
      dropped++;
      return;
    }
    used += cost;
    if (values === undefined) into.set(field, (values = new Set()));
    values.add(value);
  };
  for (const span of spans) {
    for (const a of span.resource.attributes) if (a.key.length <= maxValueLength) add(`resource.${a.key}`, attributeText(a));
    for (const a of span.attributes) if (a.key.length <= maxValueLength) add(`span.${a.key}`, attributeText(a));
    add('name', span.name);
    add('status', STATUS[span.statusCode] ?? String(span.statusCode));
    add('kind', KIND[span.kind] ?? String(span.kind));
  }
  return { terms: into, dropped };
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
const termBytes = (field: string, value: string) => utf8(field) + utf8(value) + 24;

/** An upper bound of a summary's Avro bytes (strings: a ≤ 5-byte length and their UTF-8; longs ≤ 10 bytes; arrays ≤ 12). */
export function summaryBytes(s: TraceSummary): number {
  let n = 5 + utf8(s.traceId) + 5 + utf8(s.rootService) + 5 + utf8(s.rootName) + 10 + 10 + 5 + 5 + 12 + 12;
  for (const x of s.services) n += 5 + utf8(x.service) + 10;
  for (const e of s.edges) n += 10 + utf8(e.parent) + utf8(e.child) + 5;
  return n;
}

/** The record frame and fixed fields of a segment (schema-registry header, signal, tenant, block, partition, seq, arrays). */
const segmentOverhead = (tenant: string) => 5 + 12 + 5 + utf8(tenant) + 10 + 10 + 5 + 1 + 5 + 12 + 12;

/**
 * Packs pending traces (sorted) into segments of at most `maxBytes` (estimated as an upper bound): summaries in
 * order, postings sorted by field then value, each posting's indexes ascending.
 */
export function packSegments(tenant: string, traces: readonly PendingTrace[], maxBytes: number): Array<Pick<TraceSegment, 'traces' | 'postings'>> {
  const segments: Array<Pick<TraceSegment, 'traces' | 'postings'>> = [];
  let summaries: TraceSummary[] = [];
  let postings = new Map<string, Map<string, number[]>>();
  let size = segmentOverhead(tenant);
  const close = () => {
    const list: Posting[] = [];
    for (const field of [...postings.keys()].sort(compareText)) {
      const values = postings.get(field)!;
      for (const value of [...values.keys()].sort(compareText)) list.push({ field, value, traces: values.get(value)! });
    }
    segments.push({ traces: summaries, postings: list });
    summaries = [];
    postings = new Map();
    size = segmentOverhead(tenant);
  };
  for (const trace of traces) {
    // A trace's cost in this segment: its summary, its index in each posting, and the postings it opens.
    let cost = summaryBytes(trace.summary);
    for (const [field, values] of trace.terms) {
      const known = postings.get(field);
      for (const value of values) cost += 5 + (known?.has(value) ? 0 : termBytes(field, value));
    }
    if (summaries.length > 0 && size + cost > maxBytes) close();
    const at = summaries.length;
    summaries.push(trace.summary);
    size += cost;
    for (const [field, values] of trace.terms) {
      let byValue = postings.get(field);
      if (byValue === undefined) postings.set(field, (byValue = new Map()));
      for (const value of values) {
        const list = byValue.get(value);
        if (list === undefined) byValue.set(value, [at]);
        else list.push(at);
      }
    }
  }
  if (summaries.length > 0) close();
  return segments;
}

/** Block start (ms) of a trace starting at `startUnixNano`. */
export function blockOf(startUnixNano: bigint, blockMs: number): number {
  const ms = Number(startUnixNano / 1_000_000n);
  return Math.floor(ms / blockMs) * blockMs;
}

/** Writes assembled traces to otlp.traces and their index to otlp.index; forwards every trace unchanged. */
export function traceIndex(o: TraceIndexOptions): ProcessorDefinition<AssembledTrace, AssembledTrace> {
  if (!(o.blockMs > 0 && o.graceMs >= 0 && o.flushIntervalMs > 0 && o.retentionMs > 0)) throw new RangeError('trace index: block, flush interval and retention must be > 0 ms, grace ≥ 0');
  if (o.graceMs >= o.retentionMs) throw new RangeError(`trace index: retention (${o.retentionMs} ms) must be longer than the grace (${o.graceMs} ms)`);
  if (!(o.maxValueLength >= 1)) throw new RangeError(`trace index: max value length must be ≥ 1, got ${o.maxValueLength}`);
  const maxSegmentBytes = o.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES;
  const codec = o.codec ?? traceIndexCodec(o.indexTopic);
  const pendingDefinition = keyValueStore<string, PendingTrace>({ name: o.store, keySerde: stringSerde, valueSerde: pendingSerde });
  const blocksDefinition = keyValueStore<string, BlockState>({ name: `${o.store}-blocks`, keySerde: stringSerde, valueSerde: blockStateSerde });
  const blockTracesDefinition = keyValueStore<string, BlockTrace>({ name: `${o.store}-block-traces`, keySerde: stringSerde, valueSerde: blockTraceSerde });
  return {
    name: `trace index ${o.store}`,
    stores: [pendingDefinition, blocksDefinition, blockTracesDefinition],
    outputs: {
      // Time retention from the trace's start, one block longer than the index's (from the block's end): a trace never
      // goes before the index records that point at it.
      traces: { topic: o.tracesTopic, compacted: true, coPartitioned: true, retentionMs: o.retentionMs + o.blockMs },
      index: { topic: o.indexTopic, compacted: true, coPartitioned: true, value: (v) => (v === null ? null : codec.encode(v as TraceIndexEntry)) },
    },
    prepare: (config) => codec.prepare(config),
    create() {
      let ctx: ProcessorContext<AssembledTrace>;
      let pending: KeyValueStore<string, PendingTrace>;
      let blocks: KeyValueStore<string, BlockState>;
      let blockTraces: KeyValueStore<string, BlockTrace>;
      let pendingBytes = 0;
      // The grid the last check wrote segments up to: after writeSegments(g) no pending trace arrived before g (a trace
      // arrives at stream time ≥ g, which never goes back), so checking again at the same grid finds nothing to write.
      let segmentsGrid = Number.NEGATIVE_INFINITY;
      let segmentsWritten = 0;
      let termsDropped = 0;
      let expired = 0;

      // Keys: `<tenant>/<block start>` for a block, then `/<trace id>` for a trace in it (tenants never hold '/').
      const blockId = (tenant: string, blockStart: number) => `${tenant}/${blockStart}`;

      const emitIndex = (key: string, timestamp: number, value: TraceIndexEntry | null) => ctx.emit('index', { key, timestamp, value, headers: {} });

      const blockRecord = (b: BlockState): TraceBlock => {
        const s = b.sealed!;
        return {
          kind: 'block',
          tenant: b.tenant,
          blockStart: b.blockStart,
          blockEnd: b.blockStart + o.blockMs,
          partition: ctx.partition,
          traces: s.traces,
          segments: b.segments,
          minDurationNanos: s.minDurationNanos,
          maxDurationNanos: s.maxDurationNanos,
          minStartUnixNano: s.minStartUnixNano,
          maxStartUnixNano: s.maxStartUnixNano,
          bloom: { bits: s.bloom.bits, hashes: s.bloom.hashes },
        };
      };

      // Pending traces that arrived before `before`, and every pending trace of the blocks in `sealing`, become
      // segments, per tenant and block in block order.
      const writeSegments = (before: number, sealing: ReadonlySet<string> = new Set()) => {
        const groups = new Map<string, { tenant: string; blockStart: number; traces: PendingTrace[]; keys: string[] }>();
        for (const [key, trace] of pending.entries()) {
          const id = key.slice(0, key.lastIndexOf('/'));
          if (trace.arrivedAt >= before && !sealing.has(id)) continue;
          let group = groups.get(id);
          if (group === undefined) {
            const b = blocks.get(id)!;
            groups.set(id, (group = { tenant: b.tenant, blockStart: b.blockStart, traces: [], keys: [] }));
          }
          group.traces.push(trace);
          group.keys.push(key);
        }
        const ordered = [...groups.entries()].sort((a, b) => a[1].blockStart - b[1].blockStart || compareText(a[1].tenant, b[1].tenant));
        for (const [id, group] of ordered) {
          group.traces.sort((a, b) => (a.summary.startUnixNano < b.summary.startUnixNano ? -1 : a.summary.startUnixNano > b.summary.startUnixNano ? 1 : compareText(a.summary.traceId, b.summary.traceId)));
          const block = blocks.get(id)!;
          for (const segment of packSegments(group.tenant, group.traces, maxSegmentBytes)) {
            const seq = block.segments++;
            const record: TraceSegment = { kind: 'segment', tenant: group.tenant, blockStart: group.blockStart, blockEnd: group.blockStart + o.blockMs, partition: ctx.partition, seq, ...segment };
            emitIndex(segmentKey(group.tenant, group.blockStart, ctx.partition, seq), group.blockStart, record);
            segmentsWritten++;
          }
          if (block.sealed !== null) block.staleSince ??= ctx.streamTime();
          blocks.put(id, block);
          for (const key of group.keys) {
            pendingBytes -= traceCost(pending.get(key)!);
            pending.delete(key);
          }
        }
      };

      const writeBlock = (b: BlockState) => {
        emitIndex(blockKey(b.tenant, b.blockStart, ctx.partition), b.blockStart, blockRecord(b));
        b.staleSince = null;
        blocks.put(blockId(b.tenant, b.blockStart), b);
      };

      // Seals the blocks past end + grace (writing their block records), builds their Bloom filters from their traces.
      const seal = (now: number) => {
        const sealing = new Map<string, { ids: string[]; traces: BlockTrace[] }>();
        for (const [id, b] of blocks.entries()) if (b.sealed === null && b.blockStart + o.blockMs + o.graceMs <= now) sealing.set(id, { ids: [], traces: [] });
        if (sealing.size === 0) return;
        // A block's record follows its segments: traces that reached it just now (an upstream that emitted them late,
        // as after a restore) are written first, so the records do not depend on when they arrived.
        writeSegments(now, new Set(sealing.keys()));
        const done: string[] = [];
        for (const [key, trace] of blockTraces.entries()) {
          const at = key.lastIndexOf('/');
          const members = sealing.get(key.slice(0, at));
          if (members === undefined) continue;
          members.ids.push(key.slice(at + 1));
          members.traces.push(trace);
          done.push(key);
        }
        for (const key of done) blockTraces.delete(key);
        const ordered = [...sealing.entries()].map(([id, m]) => ({ b: blocks.get(id)!, ...m })).sort((x, y) => x.b.blockStart - y.b.blockStart || compareText(x.b.tenant, y.b.tenant));
        for (const { b, ids, traces } of ordered) {
          const bloom = TraceIdBloom.forCount(traces.length);
          for (const traceId of ids) bloom.add(traceId);
          const sealed: SealedBlock = { traces: traces.length, minDurationNanos: 0, maxDurationNanos: 0, minStartUnixNano: 0n, maxStartUnixNano: 0n, bloom };
          traces.forEach((t, i) => {
            if (i === 0 || t.durationNanos < sealed.minDurationNanos) sealed.minDurationNanos = t.durationNanos;
            if (i === 0 || t.durationNanos > sealed.maxDurationNanos) sealed.maxDurationNanos = t.durationNanos;
            if (i === 0 || t.startUnixNano < sealed.minStartUnixNano) sealed.minStartUnixNano = t.startUnixNano;
            if (i === 0 || t.startUnixNano > sealed.maxStartUnixNano) sealed.maxStartUnixNano = t.startUnixNano;
          });
          b.sealed = sealed;
          writeBlock(b);
        }
      };

      /**
       * Everything due at stream time `now`, decided at the last multiple of the flush interval (the grid): segments of
       * what arrived before it, blocks whose grace or retention ended by it, block records changed before it. So the
       * records do not depend on when checks happen (before which input record, on which tick): a replay writes the
       * same records. Blocks seal and expire up to one flush interval late.
       */
      const check = (now: number) => {
        const grid = Number.isFinite(now) ? Math.floor(now / o.flushIntervalMs) * o.flushIntervalMs : now;
        // Not a scan of every pending trace per incoming trace (quadratic within a flush interval).
        if (grid !== segmentsGrid) {
          writeSegments(grid);
          segmentsGrid = grid;
        }
        seal(grid);
        const rewrite: BlockState[] = [];
        const expiredBlocks: string[] = [];
        for (const [id, b] of blocks.entries()) {
          // At the end of a finite input (now = ∞) nothing expires: the input says nothing about how late it is.
          if (Number.isFinite(now) && b.blockStart + o.blockMs + o.retentionMs <= grid) expiredBlocks.push(id);
          else if (b.staleSince !== null && b.staleSince < grid) rewrite.push(b);
        }
        rewrite.sort((a, b) => a.blockStart - b.blockStart || compareText(a.tenant, b.tenant));
        for (const b of rewrite) writeBlock(b);
        expiredBlocks.sort();
        for (const id of expiredBlocks) {
          const b = blocks.get(id)!;
          // Dated when the retention ran out, whenever the check happens.
          const at = b.blockStart + o.blockMs + o.retentionMs;
          for (let seq = 0; seq < b.segments; seq++) emitIndex(segmentKey(b.tenant, b.blockStart, ctx.partition, seq), at, null);
          if (b.sealed !== null) emitIndex(blockKey(b.tenant, b.blockStart, ctx.partition), at, null);
          blocks.delete(id);
        }
      };

      return {
        init(context) {
          ctx = context;
          pending = ctx.store(pendingDefinition);
          blocks = ctx.store(blocksDefinition);
          blockTraces = ctx.store(blockTracesDefinition);
          // Restored pending traces count toward the early flush as they did before the restore.
          for (const [, trace] of pending.entries()) pendingBytes += traceCost(trace);
          ctx.schedule(o.flushIntervalMs, 'stream-time', check);
          ctx.gauge(`trace_index_pending_traces{store="${o.store}"}`, () => pending.size);
          ctx.gauge(`trace_index_blocks{store="${o.store}"}`, () => blocks.size);
          ctx.gauge(`trace_index_segments_total{store="${o.store}"}`, () => segmentsWritten);
          ctx.gauge(`trace_index_terms_dropped_total{store="${o.store}"}`, () => termsDropped);
          ctx.gauge(`trace_index_expired_traces_total{store="${o.store}"}`, () => expired);
        },
        process(record) {
          const trace = record.value;
          const { summary } = trace;
          const tenant = trace.tenant ?? '';
          const startMs = Number(summary.startUnixNano / 1_000_000n);
          ctx.emit('traces', { key: traceRecordKey(trace.key, trace.fragment), timestamp: startMs, value: encodeTraceValue(trace.spans), headers: { ...tenantHeaders(trace.key), ...TRACE_VALUE_HEADERS } });
          ctx.forward(record);

          const now = ctx.streamTime();
          // What is due comes first: a block past its grace is sealed before this trace, which is then a late one.
          check(now);
          const blockStart = blockOf(summary.startUnixNano, o.blockMs);
          // A block already past the retention has been tombstoned: indexing it would revive it.
          if (blockStart + o.blockMs + o.retentionMs <= Math.floor(now / o.flushIntervalMs) * o.flushIntervalMs) {
            expired++;
            return;
          }
          const id = blockId(tenant, blockStart);
          const block = blocks.get(id) ?? { tenant, blockStart, segments: 0, sealed: null, staleSince: null };
          const key = `${id}/${trace.traceId}`;
          const before = pending.get(key);
          if (before !== undefined) pendingBytes -= traceCost(before);
          const { terms, dropped } = termsOf(trace.spans, o.maxValueLength, before?.terms ?? new Map(), maxSegmentBytes / 4);
          termsDropped += dropped;
          // The incoming summary covers every fragment so far: it replaces an earlier one.
          const entry: PendingTrace = { summary, terms, arrivedAt: before?.arrivedAt ?? now };
          pending.put(key, entry);
          pendingBytes += traceCost(entry);
          if (block.sealed === null) blockTraces.put(key, { startUnixNano: summary.startUnixNano, durationNanos: summary.durationNanos });
          else {
            const s = block.sealed;
            // A trace the filter has not seen is new to the block (a false positive undercounts by one, never over).
            if (!s.bloom.mightContain(trace.traceId)) s.traces++;
            s.bloom.add(trace.traceId);
            if (summary.durationNanos < s.minDurationNanos) s.minDurationNanos = summary.durationNanos;
            if (summary.durationNanos > s.maxDurationNanos) s.maxDurationNanos = summary.durationNanos;
            if (summary.startUnixNano < s.minStartUnixNano) s.minStartUnixNano = summary.startUnixNano;
            if (summary.startUnixNano > s.maxStartUnixNano) s.maxStartUnixNano = summary.startUnixNano;
            block.staleSince ??= now;
          }
          blocks.put(id, block);
          // Bounded buffering: far more than a segment's worth pending (a burst within one interval) flushes now.
          if (pendingBytes > 8 * maxSegmentBytes) writeSegments(Number.POSITIVE_INFINITY);
        },
        flush: () => check(Number.POSITIVE_INFINITY),
      };
    },
  };
}

/** Estimated bytes of a pending trace in a segment (summary, and every term as if it opened its own posting). */
function traceCost(p: PendingTrace): number {
  let n = summaryBytes(p.summary);
  for (const [field, values] of p.terms) for (const v of values) n += termBytes(field, v) + 5;
  return n;
}
