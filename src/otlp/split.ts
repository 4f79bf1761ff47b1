// Request bytes -> the Kafka records the OpenTelemetry Collector kafka exporter writes with its partition
// options on (COLLECTOR-KAFKA.md), working on the raw bytes: spans, resources and scopes are copied as they
// came, never decoded and re-encoded.
//   traces:  one record per resource × scope × trace id; key = trace id as 32 lowercase hex ASCII bytes
//            (all-zero id -> empty key); value = a request holding that resource, that scope and those spans.
//   metrics, logs: one record per ResourceMetrics / ResourceLogs; key = the 16-byte resource-attributes hash
//            (resourceKey.ts); value = a request holding just that resource.
// The splitters check the wire format of every level they walk (request, resource, scope, the span's top
// level, the resource attributes) and throw OtlpDecodeError; contents below that are passed through unread.
import { forEachResource, LOGS_ENVELOPE, METRICS_ENVELOPE, TRACES_ENVELOPE, type Envelope } from './decodeCommon.ts';
import { rethrowWithin } from './errors.ts';
import { allZero, bytesToHex } from './hex.ts';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './jsonDecode.ts';
import { encodeLogs } from './encodeLogs.ts';
import { encodeMetrics } from './encodeMetrics.ts';
import { encodeTraces } from './encodeTraces.ts';
import { expectEnd, ProtoReader, skipUnknown } from './protoReader.ts';
import { varintSize } from './protoWriter.ts';
import { canonicalFromRawKeyValues, collectResourceAttributes, hashCanonical } from './resourceKey.ts';

/** One Kafka record to produce. */
export interface KafkaRecord {
  key: Buffer;
  value: Buffer;
}

const EMPTY_KEY = Buffer.alloc(0);

/** Splits ExportTraceServiceRequest bytes into one record per resource × scope × trace id. */
export function splitTraces(bytes: Uint8Array): KafkaRecord[] {
  const r = new ProtoReader(bytes);
  const records: KafkaRecord[] = [];
  forEachResource(r, TRACES_ENVELOPE.requestFields, (_, end) => splitResourceSpans(r, end, records));
  return records;
}

// [start, end) byte ranges of whole fields (tag included) copied verbatim into the output.
type Ranges = Array<[number, number]>;

function splitResourceSpans(r: ProtoReader, end: number, records: KafkaRecord[]): void {
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
      splitScopeSpans(r, scopes[i][1], header, records);
    } catch (err) {
      rethrowWithin(err, `scopeSpans[${i}]`);
    }
  }
  // Scopes were read out of order: the caller continues after this ResourceSpans, not after its last scope.
  r.pos = end;
}

function splitScopeSpans(r: ProtoReader, end: number, resourceHeader: Ranges, records: KafkaRecord[]): void {
  const header: Ranges = [];
  // Spans grouped by trace id in first-seen order; each span is its whole field (tag + length + bytes).
  const traces = new Map<string, { idAt: number; spans: Ranges }>();
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
      if (group === undefined) traces.set(hex, { idAt, spans: [[tagAt, e]] });
      else group.spans.push([tagAt, e]);
      r.pos = e;
      index++;
    } else {
      if (tag === 10 || tag === 26) r.pos = r.lengthEnd(end);
      else skipUnknown(r, tag, tagAt, end, TRACES_ENVELOPE.scopeFields);
      header.push([tagAt, r.pos]);
    }
  }
  expectEnd(r, end);
  for (const [hex, group] of traces) {
    const key = allZero(r.buf, group.idAt, group.idAt + 16) ? EMPTY_KEY : Buffer.from(hex, 'latin1');
    records.push({ key, value: buildRequest(r.buf, resourceHeader, 2, header, group.spans) });
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

// Builds field 1 (outer) { outerHeader, field innerField { innerHeader, items } } with exact lengths.
function buildRequest(buf: Buffer, outerHeader: Ranges, innerField: number, innerHeader: Ranges, items: Ranges): Buffer {
  const innerLen = rangesLength(innerHeader) + rangesLength(items);
  const outerLen = rangesLength(outerHeader) + 1 + varintSize(innerLen) + innerLen;
  const out = Buffer.allocUnsafe(1 + varintSize(outerLen) + outerLen);
  let p = 0;
  out[p++] = 0x0a;
  p = writeVarint(out, p, outerLen);
  for (const [s, e] of outerHeader) p += buf.copy(out, p, s, e);
  out[p++] = (innerField << 3) | 2;
  p = writeVarint(out, p, innerLen);
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

/** Splits ExportMetricsServiceRequest bytes into one record per ResourceMetrics, keyed by the resource hash. */
export function splitMetrics(bytes: Uint8Array): KafkaRecord[] {
  return splitByResource(bytes, METRICS_ENVELOPE);
}

/** Splits ExportLogsServiceRequest bytes into one record per ResourceLogs, keyed by the resource hash. */
export function splitLogs(bytes: Uint8Array): KafkaRecord[] {
  return splitByResource(bytes, LOGS_ENVELOPE);
}

function splitByResource(bytes: Uint8Array, env: Envelope): KafkaRecord[] {
  const r = new ProtoReader(bytes);
  const records: KafkaRecord[] = [];
  forEachResource(r, env.requestFields, (fieldAt, end) => {
    // The value is the resource's own field bytes, which already form a one-resource request.
    records.push({ key: resourceKeyOf(r, end, env), value: r.buf.subarray(fieldAt, end) });
    r.pos = end;
  });
  return records;
}

function resourceKeyOf(r: ProtoReader, end: number, env: Envelope): Buffer {
  const attributes: Array<[number, number]> = [];
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 10) {
      const e = r.lengthEnd(end);
      try {
        collectResourceAttributes(r, e, attributes);
      } catch (err) {
        rethrowWithin(err, 'resource');
      }
    } else if (tag === 18 || tag === 26) r.pos = r.lengthEnd(end);
    else skipUnknown(r, tag, tagAt, end, env.resourceFields);
  }
  expectEnd(r, end);
  try {
    return hashCanonical(canonicalFromRawKeyValues(r, attributes));
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
