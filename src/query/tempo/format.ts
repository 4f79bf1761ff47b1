// Response bodies of Tempo's HTTP API, built from our records (shapes from Tempo's API documentation; checked against
// test/fixtures/query/tempo/*.json). Numbers that are uint64 in Tempo's protobuf messages are decimal strings in its
// JSON (startTimeUnixNano, durationNanos, inspectedBytes…), as protobuf's JSON mapping writes them.
import { anyValueToJson } from '../../otlp/jsonEncode.ts';
import type { AnyValue, Span } from '../../otlp/index.ts';
import { encodeTracesJson } from '../../otlp/index.ts';
import { nanosToString } from '../../otlp/time.ts';
import type { TraceSummary } from '../../operators/traces/model.ts';
import type { Field, Query, SpanCondition } from '../traceql/ast.ts';
import { KIND_VALUES, STATUS_VALUES } from '../traceql/ast.ts';
import { attributeOf, spanDurationNanos, type SpanSet } from '../traceql/evaluate.ts';

/** What Tempo shows as the root service / name of a trace whose root span has not arrived. */
export const ROOT_NOT_RECEIVED = '<root span not yet received>';

/** Spans per spanset Tempo returns by default (its `spss` parameter). */
export const DEFAULT_SPANS_PER_SPANSET = 3;

export interface TempoAttribute {
  key: string;
  value: Record<string, unknown>;
}

export interface TempoSpan {
  spanID: string;
  name: string;
  startTimeUnixNano: string;
  durationNanos: string;
  attributes?: TempoAttribute[];
}

export interface TempoSpanSet {
  spans: TempoSpan[];
  matched: number;
}

export interface TempoSearchTrace {
  traceID: string;
  rootServiceName: string;
  rootTraceName: string;
  startTimeUnixNano: string;
  durationMs: number;
  /** The first spanset (kept by Tempo for older clients). */
  spanSet?: TempoSpanSet;
  spanSets?: TempoSpanSet[];
  serviceStats: Record<string, { spanCount: number; errorCount: number }>;
}

/** Counters of one search (what was read to answer it). */
export interface SearchMetrics {
  inspectedTraces: number;
  inspectedBytes: number;
  inspectedSpans?: number;
  totalBlocks?: number;
  totalBlockBytes?: number;
  completedJobs?: number;
  totalJobs?: number;
}

export interface TempoSearchResponse {
  traces: TempoSearchTrace[];
  metrics: {
    inspectedTraces: number;
    inspectedBytes: string;
    inspectedSpans: string;
    totalBlocks: number;
    totalBlockBytes: string;
    completedJobs: number;
    totalJobs: number;
  };
}

/** Options of tempoSearchTrace. */
export interface SearchTraceOptions {
  /** The spansets a TraceQL query matched in this trace (absent for tags searches). */
  spanSets?: readonly SpanSet[];
  /** The query, to list the fields it tested as each returned span's attributes. */
  query?: Query;
  /** Spans per spanset (Tempo's `spss`, default 3); `matched` still counts them all. */
  spansPerSpanSet?: number;
  /** Spansets already in Tempo's form (as a replica formatted them); used when `spanSets` is absent. */
  formatted?: readonly TempoSpanSet[];
}

/** One trace of a search response, from its summary (and the spans a TraceQL query matched). */
export function tempoSearchTrace(summary: TraceSummary, o: SearchTraceOptions = {}): TempoSearchTrace {
  const serviceStats: TempoSearchTrace['serviceStats'] = {};
  for (const s of summary.services) serviceStats[s.service] = { spanCount: s.spans, errorCount: s.errors };
  const out: TempoSearchTrace = {
    traceID: summary.traceId,
    rootServiceName: summary.rootService === '' ? ROOT_NOT_RECEIVED : summary.rootService,
    rootTraceName: summary.rootName === '' ? ROOT_NOT_RECEIVED : summary.rootName,
    startTimeUnixNano: summary.startUnixNano.toString(),
    durationMs: Math.floor(summary.durationNanos / 1_000_000),
    serviceStats,
  };
  if (o.spanSets !== undefined && o.spanSets.length > 0) {
    const fields = o.query === undefined ? [] : fieldsOf(o.query);
    const limit = o.spansPerSpanSet ?? DEFAULT_SPANS_PER_SPANSET;
    const sets = o.spanSets.map((set) => ({ spans: set.spans.slice(0, limit).map((s) => tempoSpan(s, fields)), matched: set.matched }));
    out.spanSet = sets[0];
    out.spanSets = sets;
  } else if (o.formatted !== undefined && o.formatted.length > 0) {
    out.spanSet = o.formatted[0];
    out.spanSets = [...o.formatted];
  }
  return out;
}

function tempoSpan(s: Span, fields: readonly Field[]): TempoSpan {
  const out: TempoSpan = {
    spanID: s.spanId,
    name: s.name,
    startTimeUnixNano: nanosToString(s.startTimeMs, s.startTimeNanos),
    durationNanos: String(Math.max(0, spanDurationNanos(s))),
  };
  const attributes: TempoAttribute[] = [];
  const seen = new Set<string>();
  for (const f of fields) {
    let key: string;
    let value: AnyValue | undefined;
    if (f.kind === 'attribute') {
      key = f.key;
      value = attributeOf(s, f.scope, f.key);
    } else if (f.name === 'status' || f.name === 'kind' || f.name === 'statusMessage') {
      key = f.name;
      const text = f.name === 'status' ? STATUS_VALUES[s.statusCode] : f.name === 'kind' ? KIND_VALUES[s.kind] : s.statusMessage;
      value = { type: 'string', value: text ?? '' };
    } else {
      continue; // name and duration have their own keys; trace-level fields are the same for every span
    }
    if (value === undefined || seen.has(key)) continue;
    seen.add(key);
    attributes.push({ key, value: anyValueToJson(value) });
  }
  if (attributes.length > 0) out.attributes = attributes;
  return out;
}

/** The fields a query tests, in order of appearance. */
export function fieldsOf(q: Query): Field[] {
  const out: Field[] = [];
  const visitCondition = (c: SpanCondition) => {
    if (c.type === 'compare') out.push(c.field);
    else if (c.type === 'and' || c.type === 'or') {
      visitCondition(c.left);
      visitCondition(c.right);
    }
  };
  const visit = (x: Query) => {
    if (x.type === 'spanset') visitCondition(x.condition);
    else {
      visit(x.left);
      visit(x.right);
    }
  };
  visit(q);
  return out;
}

/** The body of `GET /api/search`. */
export function tempoSearchResponse(traces: TempoSearchTrace[], m: SearchMetrics): TempoSearchResponse {
  return {
    traces,
    metrics: {
      inspectedTraces: m.inspectedTraces,
      inspectedBytes: String(m.inspectedBytes),
      inspectedSpans: String(m.inspectedSpans ?? 0),
      totalBlocks: m.totalBlocks ?? 0,
      totalBlockBytes: String(m.totalBlockBytes ?? 0),
      completedJobs: m.completedJobs ?? 1,
      totalJobs: m.totalJobs ?? 1,
    },
  };
}

/** The intrinsic tag names we answer (`/api/v2/search/tags` scope `intrinsic`). */
export const TEMPO_INTRINSIC_TAGS = [
  'duration', 'kind', 'name', 'rootName', 'rootServiceName', 'span:duration', 'span:id', 'span:kind', 'span:name', 'span:parentID',
  'span:status', 'span:statusMessage', 'status', 'statusMessage', 'trace:duration', 'trace:id', 'trace:rootName', 'trace:rootService',
  'traceDuration',
];

const sortedUnique = (names: Iterable<string>) => [...new Set(names)].sort();

/** The body of `GET /api/search/tags`: every tag name once, sorted. */
export function tempoTagNames(names: Iterable<string>): { tagNames: string[] } {
  return { tagNames: sortedUnique(names) };
}

/** Tag names per scope, for `GET /api/v2/search/tags`. */
export interface TagScopes {
  resource?: Iterable<string>;
  span?: Iterable<string>;
  intrinsic?: Iterable<string>;
}

/** The body of `GET /api/v2/search/tags`: one entry per scope given, in Tempo's order (resource, span, intrinsic). */
export function tempoTagScopes(scopes: TagScopes): { scopes: { name: string; tags: string[] }[] } {
  const out: { name: string; tags: string[] }[] = [];
  for (const name of ['resource', 'span', 'intrinsic'] as const) {
    const tags = scopes[name];
    if (tags !== undefined) out.push({ name, tags: sortedUnique(tags) });
  }
  return { scopes: out };
}

/** The body of `GET /api/search/tag/<tag>/values`. */
export function tempoTagValues(values: Iterable<string>): { tagValues: string[] } {
  return { tagValues: sortedUnique(values) };
}

/** A typed tag value of `/api/v2/search/tag/<tag>/values` (TraceQL types; status and kind are keywords). */
export interface TypedTagValue {
  type: 'string' | 'int' | 'float' | 'bool' | 'duration' | 'keyword';
  value: string;
}

/** The typed value of an attribute (arrays and maps as their JSON text, typed string). */
export function typedTagValue(v: AnyValue): TypedTagValue {
  switch (v.type) {
    case 'string':
      return { type: 'string', value: v.value };
    case 'int':
      return { type: 'int', value: String(v.value) };
    case 'double':
      return { type: 'float', value: String(v.value) };
    case 'bool':
      return { type: 'bool', value: String(v.value) };
    default:
      return { type: 'string', value: JSON.stringify(anyValueToJson(v)) };
  }
}

/** The body of `GET /api/v2/search/tag/<tag>/values`: each (type, value) once, sorted by value then type. */
export function tempoTagValuesV2(values: Iterable<TypedTagValue>): { tagValues: TypedTagValue[] } {
  const unique = new Map<string, TypedTagValue>();
  for (const v of values) unique.set(`${v.type}\u0000${v.value}`, { type: v.type, value: v.value });
  return { tagValues: [...unique.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : a.type < b.type ? -1 : a.type > b.type ? 1 : 0)) };
}

/**
 * How trace and span ids are written in a trace by id. Tempo marshals its OTLP protobuf with Go's jsonpb, which
 * writes bytes as base64 (grafana/tempo#5437 asks for hex; a Go client unmarshalling into OTLP protobuf types expects
 * base64), so `base64` is the compatible default; `hex` is what the OTLP/JSON specification writes.
 */
export type IdEncoding = 'base64' | 'hex';

/** The body of `GET /api/traces/<id>` (JSON): the trace as OTLP/JSON resource spans under `batches`, as Tempo answers. */
export function tempoTraceV1(spans: readonly Span[], ids: IdEncoding = 'base64'): string {
  return `{"batches":${resourceSpansJson(spans, ids)}}`;
}

/** Whether a trace by id is whole, for the v2 answer (`PARTIAL` when, e.g., a peer holding part of it did not answer). */
export interface TraceCompleteness {
  partial: boolean;
  message?: string;
}

/** The body of `GET /api/v2/traces/<id>`: `{ trace: { resourceSpans }, status?, message? }`. */
export function tempoTraceV2(spans: readonly Span[], completeness: TraceCompleteness = { partial: false }, ids: IdEncoding = 'base64'): string {
  const status = completeness.partial ? `,"status":"PARTIAL"${completeness.message === undefined ? '' : `,"message":${JSON.stringify(completeness.message)}`}` : '';
  return `{"trace":{"resourceSpans":${resourceSpansJson(spans, ids)}}${status}}`;
}

// The array of resource spans: encodeTracesJson writes exactly `{"resourceSpans":[…]}` with hex ids.
function resourceSpansJson(spans: readonly Span[], ids: IdEncoding): string {
  const json = encodeTracesJson(spans);
  const prefix = '{"resourceSpans":';
  if (!json.startsWith(prefix) || !json.endsWith('}')) throw new Error('encodeTracesJson changed its output shape');
  const inner = json.slice(prefix.length, -1);
  if (ids === 'hex') return inner;
  return JSON.stringify(JSON.parse(inner), (key, value) =>
    (key === 'traceId' || key === 'spanId' || key === 'parentSpanId') && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value,
  );
}
