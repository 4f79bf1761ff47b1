// Request bytes -> the Kafka records the OpenTelemetry Collector kafka exporter writes with its partition
// options on (COLLECTOR-KAFKA.md), working on the raw bytes: spans, resources and scopes are copied as they
// came, never decoded and re-encoded.
//   traces:  one record per resource × scope × trace id; key = trace id as 32 lowercase hex ASCII bytes
//            (all-zero id -> empty key); value = a request holding that resource, that scope and those spans.
//   metrics, logs: one record per ResourceMetrics / ResourceLogs; key = the 16-byte resource-attributes hash
//            (resourceKey.ts); value = a request holding just that resource.
// The splitters check the wire format of every level they walk (request, resource, scope, the span's top
// level, the resource attributes) and throw OtlpDecodeError; contents below that are passed through unread.
// Splitting is planning, then building: planRecords measures every record (key, exact size, items) without building
// its value and enforces the request limits (RequestLimitError), so a caller can refuse or reserve what a request
// would become before it exists (a resource is copied into every record of its trace ids: docs/ingest.md).
import { countItems } from './countItems.ts';
import { forEachResourceInSlices, LOGS_ENVELOPE, METRICS_ENVELOPE, TRACES_ENVELOPE, type Envelope } from './decodeCommon.ts';
import { rethrowWithin } from './errors.ts';
import { allZero, bytesToHex } from './hex.ts';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './jsonDecode.ts';
import { encodeLogs } from './encodeLogs.ts';
import { encodeMetrics } from './encodeMetrics.ts';
import { encodeTraces } from './encodeTraces.ts';
import { expectEnd, ProtoReader, skipUnknown } from './protoReader.ts';
import { varintSize } from './protoWriter.ts';
import type { Signal } from './model.ts';
import { ItemCounter, NO_REQUEST_LIMITS, type RequestLimits } from './requestLimits.ts';
import { canonicalFromRawKeyValues, collectResourceAttributes, hashCanonical } from './resourceKey.ts';

/** One Kafka record to produce. */
export interface KafkaRecord {
  key: Buffer;
  value: Buffer;
}

/** A record measured before its value exists, so the caller can refuse or reserve memory before anything is allocated. */
export interface PlannedRecord {
  key: Buffer;
  /** Size of the value `build()` returns (exact for the splitters here, an upper bound for splitBySize pieces). */
  valueBytes: number;
  /** Items (spans, data points or log records) in the value. */
  items: number;
  /** Allocates and writes the value. */
  build(): Buffer;
}

const EMPTY_KEY = Buffer.alloc(0);
// Spans handled between two pause points of a planner.
const SPANS_PER_STEP = 2048;

/** Splits ExportTraceServiceRequest bytes into one record per resource × scope × trace id. */
export function splitTraces(bytes: Uint8Array): KafkaRecord[] {
  return planAndBuild('traces', bytes);
}

/** Splits ExportMetricsServiceRequest bytes into one record per ResourceMetrics, keyed by the resource hash. */
export function splitMetrics(bytes: Uint8Array): KafkaRecord[] {
  return planAndBuild('metrics', bytes);
}

/** Splits ExportLogsServiceRequest bytes into one record per ResourceLogs, keyed by the resource hash. */
export function splitLogs(bytes: Uint8Array): KafkaRecord[] {
  return planAndBuild('logs', bytes);
}

/**
 * Plans the records of a protobuf request of `signal` (see the file comment) into `out` without building any value,
 * enforcing `limits`. A generator that pauses every few thousand spans and after every resource: a caller can yield
 * to the event loop between steps, and stop early (e.g. once the planned records are too large).
 */
export function planRecords(signal: Signal, bytes: Uint8Array, out: PlannedRecord[], limits: RequestLimits = NO_REQUEST_LIMITS): Generator<void, void, void> {
  return signal === 'traces' ? tracePlanner(bytes, out, limits) : resourcePlanner(signal, bytes, out, limits);
}

function planAndBuild(signal: Signal, bytes: Uint8Array): KafkaRecord[] {
  const planned: PlannedRecord[] = [];
  for (const step of planRecords(signal, bytes, planned)) void step;
  return planned.map((p) => ({ key: p.key, value: p.build() }));
}

// [start, end) byte ranges of whole fields (tag included) copied verbatim into the output.
type Ranges = Array<[number, number]>;

function* tracePlanner(bytes: Uint8Array, out: PlannedRecord[], limits: RequestLimits): Generator<void, void, void> {
  const r = new ProtoReader(bytes);
  const items = new ItemCounter('traces', limits.maxItems);
  yield* forEachResourceInSlices(r, TRACES_ENVELOPE.requestFields, (_, e) => planResourceSpans(r, e, out, items));
}

function* planResourceSpans(r: ProtoReader, end: number, out: PlannedRecord[], items: ItemCounter): Generator<void, void, void> {
  const header: Ranges = []; // every field but scope_spans: resource, schema_url, unknown fields
  const scopes: Array<[number, number]> = [];
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 18) {
      const e = r.lengthEnd(end);
      scopes.push([r.pos, e]);
      r.pos = e;
    } else {
      if (tag === 10 || tag === 26) r.pos = r.lengthEnd(end);
      else skipUnknown(r, tag, tagAt, end, TRACES_ENVELOPE.resourceFields);
      header.push([tagAt, r.pos]);
    }
  }
  expectEnd(r, end);
  for (let i = 0; i < scopes.length; i++) {
    r.pos = scopes[i][0];
    try {
      yield* planScopeSpans(r, scopes[i][1], header, out, items);
    } catch (err) {
      rethrowWithin(err, `scopeSpans[${i}]`);
    }
  }
  // Scopes were read out of order: the caller continues after this ResourceSpans, not after its last scope.
  r.pos = end;
}

function* planScopeSpans(r: ProtoReader, end: number, resourceHeader: Ranges, out: PlannedRecord[], items: ItemCounter): Generator<void, void, void> {
  const header: Ranges = [];
  // Spans grouped by trace id in first-seen order; each span is its whole field (tag + length + bytes), and spans
  // next to each other on the wire share one range, copied at once.
  const traces = new Map<string, { idAt: number; spans: Ranges; count: number }>();
  let index = 0;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 18) {
      const e = r.lengthEnd(end);
      let idAt: number;
      try {
        idAt = traceIdOffset(r, e);
      } catch (err) {
        rethrowWithin(err, `spans[${index}]`);
      }
      const hex = bytesToHex(r.buf, idAt, 16);
      const group = traces.get(hex);
      if (group === undefined) traces.set(hex, { idAt, spans: [[tagAt, e]], count: 1 });
      else {
        const last = group.spans[group.spans.length - 1];
        if (last[1] === tagAt) last[1] = e;
        else group.spans.push([tagAt, e]);
        group.count++;
      }
      r.pos = e;
      index++;
      if (index % SPANS_PER_STEP === 0) {
        items.add(SPANS_PER_STEP);
        yield;
      }
    } else {
      if (tag === 10 || tag === 26) r.pos = r.lengthEnd(end);
      else skipUnknown(r, tag, tagAt, end, TRACES_ENVELOPE.scopeFields);
      header.push([tagAt, r.pos]);
    }
  }
  expectEnd(r, end);
  items.add(index % SPANS_PER_STEP);
  const buf = r.buf;
  let planned = 0;
  for (const [hex, group] of traces) {
    const key = allZero(buf, group.idAt, group.idAt + 16) ? EMPTY_KEY : Buffer.from(hex, 'latin1');
    const spans = group.spans;
    out.push({
      key,
      valueBytes: requestSize(resourceHeader, header, spans),
      items: group.count,
      build: () => buildRequest(buf, resourceHeader, 2, header, spans),
    });
    if (++planned % SPANS_PER_STEP === 0) yield;
  }
}

// Returns the offset of the span's 16-byte trace id, checking the span's top-level fields on the way.
function traceIdOffset(r: ProtoReader, end: number): number {
  const start = r.pos;
  let idAt = -1;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 10) {
      const at = r.pos;
      const e = r.lengthEnd(end);
      if (e - r.pos !== 16) r.fail(`expected 16 bytes, got ${e - r.pos}`, at, 'traceId');
      idAt = r.pos;
      r.pos = e;
    } else skipUnknown(r, tag, tagAt, end, { 1: 'traceId' });
  }
  expectEnd(r, end);
  if (idAt < 0) r.fail('missing (a span needs a 16-byte trace id)', start, 'traceId');
  return idAt;
}

function rangesLength(ranges: Ranges): number {
  let n = 0;
  for (const [s, e] of ranges) n += e - s;
  return n;
}

// Lengths of field 1 (outer) { outerHeader, field 2 { innerHeader, items } } (the inner field number fits one tag byte).
function requestLengths(outerHeader: Ranges, innerHeader: Ranges, items: Ranges): { inner: number; outer: number; total: number } {
  const inner = rangesLength(innerHeader) + rangesLength(items);
  const outer = rangesLength(outerHeader) + 1 + varintSize(inner) + inner;
  return { inner, outer, total: 1 + varintSize(outer) + outer };
}

function requestSize(outerHeader: Ranges, innerHeader: Ranges, items: Ranges): number {
  return requestLengths(outerHeader, innerHeader, items).total;
}

// Builds field 1 (outer) { outerHeader, field innerField { innerHeader, items } } with exact lengths.
function buildRequest(buf: Buffer, outerHeader: Ranges, innerField: number, innerHeader: Ranges, items: Ranges): Buffer {
  const { inner, outer, total } = requestLengths(outerHeader, innerHeader, items);
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  out[p++] = 0x0a;
  p = writeVarint(out, p, outer);
  for (const [s, e] of outerHeader) p += buf.copy(out, p, s, e);
  out[p++] = (innerField << 3) | 2;
  p = writeVarint(out, p, inner);
  for (const [s, e] of innerHeader) p += buf.copy(out, p, s, e);
  for (const [s, e] of items) p += buf.copy(out, p, s, e);
  return out;
}

function writeVarint(out: Buffer, p: number, v: number): number {
  while (v >= 0x80) {
    out[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[p++] = v;
  return p;
}

const ENVELOPES: Record<'metrics' | 'logs', Envelope> = { metrics: METRICS_ENVELOPE, logs: LOGS_ENVELOPE };

function* resourcePlanner(signal: 'metrics' | 'logs', bytes: Uint8Array, out: PlannedRecord[], limits: RequestLimits): Generator<void, void, void> {
  const env = ENVELOPES[signal];
  const r = new ProtoReader(bytes);
  const items = new ItemCounter(signal, limits.maxItems);
  yield* forEachResourceInSlices(r, env.requestFields, (fieldAt, e) => {
    const key = resourceKeyOf(r, e, env, limits.maxResourceAttributes);
    // The value is the resource's own field bytes, which already form a one-resource request.
    const value = r.buf.subarray(fieldAt, e);
    const n = countItems(signal, value);
    items.add(n);
    out.push({ key, valueBytes: value.length, items: n, build: () => value });
  });
}

function resourceKeyOf(r: ProtoReader, end: number, env: Envelope, maxAttributes: number): Buffer {
  const attributes: Array<[number, number]> = [];
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 10) {
      const e = r.lengthEnd(end);
      try {
        collectResourceAttributes(r, e, attributes, maxAttributes);
      } catch (err) {
        rethrowWithin(err, 'resource');
      }
    } else if (tag === 18 || tag === 26) r.pos = r.lengthEnd(end);
    else skipUnknown(r, tag, tagAt, end, env.resourceFields);
  }
  expectEnd(r, end);
  try {
    return hashCanonical(canonicalFromRawKeyValues(r, attributes, maxAttributes));
  } catch (err) {
    return rethrowWithin(err, 'resource');
  }
}

/** splitTraces for an OTLP/JSON body (text, bytes or parsed): the same proto-encoded records. */
export function splitTracesJson(request: unknown): KafkaRecord[] {
  return splitTraces(encodeTraces(decodeTracesJson(request)));
}

/** splitMetrics for an OTLP/JSON body: the same proto-encoded records (resources without points are dropped). */
export function splitMetricsJson(request: unknown): KafkaRecord[] {
  return splitMetrics(encodeMetrics(decodeMetricsJson(request)));
}

/** splitLogs for an OTLP/JSON body: the same proto-encoded records (resources without records are dropped). */
export function splitLogsJson(request: unknown): KafkaRecord[] {
  return splitLogs(encodeLogs(decodeLogsJson(request)));
}
