// Trace assembly: spans of `otlp_spans` (keyed by tenant and trace id, so a trace lives in one task) are grouped per
// trace in a changelogged store and the trace is emitted as one AssembledTrace (model.ts) when it closes:
// - inactivity: `gap` ms of stream time passed since its last span arrived;
// - age: `maxDuration` ms of stream time passed since its first span arrived (a trace that never goes quiet);
// - size: it holds `maxSpansPerTrace` spans or about `maxFragmentBytes` encoded (its changelog record and its
//   otlp.traces record stay below the broker's 1 MiB default); the spans so far are emitted as a fragment at once
//   and the trace's next spans begin the next fragment.
// Traces close on stream-time punctuations (every min(gap, max duration, 1 s) of stream time), so a trace closes up to
// one interval after its rule says. Fragment 0 is the first emission. An emitted trace is remembered (its summary and
// fragment count) for `lateHorizon` ms of stream time: a span of it arriving meanwhile opens fragment n, which closes
// by the same rules and carries the merged summary of fragments 0…n. A span of no open or remembered trace that ended
// more than `lateHorizon` before stream time goes to the late topic instead (its trace may have been emitted and
// forgotten; opening it again would write a second fragment 0).
import { encodeTraces, idOf, tenantHeaders, tenantOf, decodeTraces, type Span } from '../../otlp/index.ts';
import type { ProcessorContext, ProcessorDefinition, ProcessorRecord } from '../../runtime/processor.ts';
import { keyValueStore } from '../../runtime/stores.ts';
import { stringSerde, type KeyValueStore, type Serde } from '../../state/index.ts';
import { ByteReader, ByteWriter, expectVersion } from '../metrics/bytes.ts';
import type { AssembledTrace, TraceSummary } from './model.ts';
import { mergeSummaries, readSummary, summarize, writeSummary } from './summary.ts';

/** Options of `assemble`. */
export interface AssembleOptions {
  /** Store of the open traces (`<application>-<store>-changelog`); emitted traces are remembered in `<store>-emitted`. */
  store: string;
  /** A trace closes after this many ms of stream time without a new span. */
  gapMs: number;
  /** A trace closes this many ms of stream time after its first span arrived, however busy it still is. */
  maxDurationMs: number;
  /** How long (stream time) an emitted trace is remembered, so late spans become its next fragment. */
  lateHorizonMs: number;
  /** Spans per fragment: a trace reaching it is emitted at once and goes on in a new fragment. */
  maxSpansPerTrace: number;
  /** Estimated encoded bytes per fragment, likewise (default 512 KiB). */
  maxFragmentBytes?: number;
  /** Where spans past the late horizon go (`<application>.late`). */
  lateTopic: string;
}

export const DEFAULT_MAX_FRAGMENT_BYTES = 512 * 1024;

/** A trace being assembled: the spans of its current fragment and when (stream time) they came. */
interface OpenTrace {
  fragment: number;
  /** Stream time when the fragment's first span arrived. */
  firstSeen: number;
  /** Stream time when its latest span arrived. */
  lastSeen: number;
  spans: number;
  /** Estimated encoded size of the spans. */
  bytes: number;
  /** Summary of the fragments emitted before this one (null for fragment 0). */
  before: TraceSummary | null;
  /**
   * Spans already encoded as an ExportTraceServiceRequest, and spans not yet encoded. A commit encodes only the new
   * spans and appends them: two encoded requests back to back are one request with both's resource spans.
   */
  encoded: Uint8Array;
  pending: Span[];
}

/** What assembly keeps of an emitted trace for the late horizon. */
interface EmittedTrace {
  /** Fragments emitted so far: the next late fragment's number. */
  fragments: number;
  /** Stream time of the latest emission. */
  emittedAt: number;
  summary: TraceSummary;
}

const FORMAT = 1;
const EMPTY = new Uint8Array(0);

const openTraceSerde: Serde<OpenTrace> = {
  serialize(t) {
    if (t.pending.length > 0) {
      // Folded into the value here, not per span: a trace's spans are encoded once whatever the commit rate.
      t.encoded = Buffer.concat([t.encoded, encodeTraces(t.pending)]);
      t.pending = [];
    }
    const out = new ByteWriter(t.encoded.length + 64);
    out.uvarint(FORMAT);
    out.uvarint(t.fragment);
    out.int(t.firstSeen);
    out.int(t.lastSeen);
    out.uvarint(t.spans);
    out.uvarint(t.bytes);
    if (t.before === null) out.uvarint(0);
    else {
      out.uvarint(1);
      writeSummary(out, t.before);
    }
    out.nested(t.encoded);
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'open trace');
    expectVersion(input, FORMAT);
    const fragment = input.uvarint();
    const firstSeen = input.int();
    const lastSeen = input.int();
    const spans = input.uvarint();
    const size = input.uvarint();
    const before = input.uvarint() === 1 ? readSummary(input) : null;
    const encoded = Uint8Array.from(input.nested());
    input.end();
    return { fragment, firstSeen, lastSeen, spans, bytes: size, before, encoded, pending: [] };
  },
};

const emittedTraceSerde: Serde<EmittedTrace> = {
  serialize(t) {
    const out = new ByteWriter();
    out.uvarint(FORMAT);
    out.uvarint(t.fragments);
    out.int(t.emittedAt);
    writeSummary(out, t.summary);
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'emitted trace');
    expectVersion(input, FORMAT);
    const fragments = input.uvarint();
    const emittedAt = input.int();
    const summary = readSummary(input);
    input.end();
    return { fragments, emittedAt, summary };
  },
};

/** The spans of an open trace, in arrival order. */
function spansOf(t: OpenTrace): Span[] {
  return t.encoded.length === 0 ? t.pending : [...decodeTraces(t.encoded), ...t.pending];
}

/**
 * An upper estimate of a span's protobuf bytes with its resource and scope (spans of separate input records are
 * encoded with their own copy of the resource, so it is counted per span). Deterministic, so a restored task cuts
 * fragments where the earlier owner did.
 */
export function spanBytes(span: Span): number {
  let n = 96 + utf8(span.traceState) + utf8(span.name) + utf8(span.statusMessage);
  n += attributesBytes(span.attributes) + attributesBytes(span.resource.attributes) + attributesBytes(span.scope.attributes) + utf8(span.scope.name) + utf8(span.scope.version);
  for (const e of span.events) n += 24 + utf8(e.name) + attributesBytes(e.attributes);
  for (const l of span.links) n += 48 + utf8(l.traceState) + attributesBytes(l.attributes);
  return n;
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

function attributesBytes(attributes: Span['attributes']): number {
  let n = 0;
  for (const a of attributes) {
    n += 12 + utf8(a.key);
    if (a.type === 'string') n += utf8(a.value);
    else if (a.type === 'bytes') n += a.value.length;
    else if (a.type === 'array' || a.type === 'kvlist') n += utf8(JSON.stringify(a.value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? 'x'.repeat(v.length * 2) : v))) * 2;
  }
  return n;
}

/** Groups spans into traces; forwards each trace (or late fragment) as an AssembledTrace when it closes. */
export function assemble(o: AssembleOptions): ProcessorDefinition<Span, AssembledTrace> {
  for (const [name, ms] of [['gap', o.gapMs], ['max duration', o.maxDurationMs], ['late horizon', o.lateHorizonMs]] as const) {
    if (!Number.isSafeInteger(ms) || ms <= 0) throw new RangeError(`assemble: ${name} must be a positive integer of ms, got ${ms}`);
  }
  if (!Number.isSafeInteger(o.maxSpansPerTrace) || o.maxSpansPerTrace < 1) throw new RangeError(`assemble: max spans per trace must be a positive integer, got ${o.maxSpansPerTrace}`);
  const maxFragmentBytes = o.maxFragmentBytes ?? DEFAULT_MAX_FRAGMENT_BYTES;
  const openDefinition = keyValueStore<string, OpenTrace>({ name: o.store, keySerde: stringSerde, valueSerde: openTraceSerde });
  // The TTL frees memory; whether a trace is still remembered is decided by `emittedAt` (restored keys expire later).
  const emittedDefinition = keyValueStore<string, EmittedTrace>({ name: `${o.store}-emitted`, keySerde: stringSerde, valueSerde: emittedTraceSerde, ttl: o.lateHorizonMs });
  const checkEvery = Math.min(o.gapMs, o.maxDurationMs, 1_000);
  return {
    name: `assemble ${o.store}`,
    stores: [openDefinition, emittedDefinition],
    outputs: { late: { topic: o.lateTopic } },
    create() {
      let ctx: ProcessorContext<AssembledTrace>;
      let open: KeyValueStore<string, OpenTrace>;
      let emitted: KeyValueStore<string, EmittedTrace>;
      let fragments = 0;
      let late = 0;

      const setAside = (record: ProcessorRecord<Span>, reason: string) => {
        late++;
        const position: Record<string, string> = record.position ? { 'late.source.topic': record.position.topic, 'late.source.partition': String(record.position.partition), 'late.source.offset': record.position.offset } : {};
        ctx.emit('late', {
          key: record.key,
          // Dated when set aside (as late windows are): time retention would delete an old date at once.
          timestamp: ctx.wallClockTime(),
          // In the otlp_spans format, so the span can be sent again as it came.
          value: Buffer.from(encodeTraces([record.value])),
          headers: { ...tenantHeaders(record.key), 'late.reason': reason, 'late.event.time': String(record.timestamp), 'late.stream.time': String(ctx.streamTime()), ...position },
        });
      };

      const emit = (key: string, trace: OpenTrace) => {
        const spans = spansOf(trace);
        const own = summarize(spans);
        const summary = trace.before === null ? own : mergeSummaries(trace.before, own);
        open.delete(key);
        emitted.put(key, { fragments: trace.fragment + 1, emittedAt: ctx.streamTime(), summary });
        fragments++;
        const value: AssembledTrace = { key, traceId: idOf(key), fragment: trace.fragment, spans, summary };
        const tenant = tenantOf(key);
        if (tenant !== undefined) value.tenant = tenant;
        ctx.forward({ key, timestamp: Number(summary.startUnixNano / 1_000_000n), value, headers: tenantHeaders(key) });
      };

      // Emits the traces whose gap or maximum duration has passed at stream time `now`, oldest first.
      const close = (now: number) => {
        const closing: [string, OpenTrace][] = [];
        for (const entry of open.entries()) {
          const t = entry[1];
          if (t.lastSeen + o.gapMs <= now || t.firstSeen + o.maxDurationMs <= now) closing.push(entry);
        }
        closing.sort((a, b) => a[1].firstSeen - b[1].firstSeen || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        for (const [key, trace] of closing) emit(key, trace);
      };

      return {
        init(context) {
          ctx = context;
          open = ctx.store(openDefinition);
          emitted = ctx.store(emittedDefinition);
          ctx.schedule(checkEvery, 'stream-time', close);
          ctx.gauge(`trace_assembly_open_traces{store="${o.store}"}`, () => open.size);
          ctx.gauge(`trace_assembly_remembered_traces{store="${o.store}"}`, () => emitted.size);
          ctx.gauge(`trace_assembly_fragments_total{store="${o.store}"}`, () => fragments);
          ctx.gauge(`trace_assembly_late_spans_total{store="${o.store}"}`, () => late);
        },
        process(record) {
          const key = record.key ?? '';
          const now = ctx.streamTime();
          let trace = open.get(key);
          if (trace === undefined) {
            const done = emitted.get(key);
            const remembered = done !== undefined && done.emittedAt + o.lateHorizonMs > now;
            if (!remembered && record.timestamp + o.lateHorizonMs <= now) return setAside(record, 'span older than the late horizon, of no open or remembered trace');
            trace = { fragment: remembered ? done.fragments : 0, firstSeen: now, lastSeen: now, spans: 0, bytes: 0, before: remembered ? done.summary : null, encoded: EMPTY, pending: [] };
          }
          const span = record.value;
          trace.pending.push(span);
          trace.spans++;
          trace.bytes += spanBytes(span);
          trace.lastSeen = now;
          if (trace.spans >= o.maxSpansPerTrace || trace.bytes >= maxFragmentBytes) emit(key, trace);
          else open.put(key, trace);
        },
        // End of a finite input (a backfill): every open trace is emitted as it stands.
        flush: () => close(Number.POSITIVE_INFINITY),
      };
    },
  };
}
