// Response bodies of Jaeger's HTTP JSON API (what jaeger-query serves to the Jaeger UI): an envelope
// `{ data, total, limit, offset, errors }` around traces, service names, operations or dependencies. Spans are
// translated the way OpenTelemetry data is shown in Jaeger: the resource becomes the process (service.name → serviceName,
// the other attributes → process tags), kind and status become the tags `span.kind`, `otel.status_code`,
// `otel.status_description` and `error=true`, the scope `otel.scope.name` / `otel.scope.version`, events become logs
// (the name as the `event` field), the parent a CHILD_OF reference and links FOLLOWS_FROM references.
// Times are µs since the epoch, durations µs.
import type { AnyValue, Attribute, Resource, Span } from '../../otlp/index.ts';
import { plainValue } from '../../otlp/index.ts';
import type { ServiceEdge } from '../../operators/traces/model.ts';
import { spanDurationNanos } from '../traceql/evaluate.ts';

export interface JaegerKeyValue {
  key: string;
  type: 'string' | 'bool' | 'int64' | 'float64' | 'binary';
  value: string | number | boolean;
}

export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  flags: number;
  operationName: string;
  references: JaegerReference[];
  startTime: number;
  duration: number;
  tags: JaegerKeyValue[];
  logs: { timestamp: number; fields: JaegerKeyValue[] }[];
  processID: string;
  warnings: string[] | null;
}

export interface JaegerProcess {
  serviceName: string;
  tags: JaegerKeyValue[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings: string[] | null;
}

export interface JaegerError {
  code: number;
  msg: string;
  traceID?: string;
}

/** Jaeger's response envelope. */
export interface JaegerResponse<T> {
  data: T;
  total: number;
  limit: number;
  offset: number;
  errors: JaegerError[] | null;
}

/** What Jaeger shows for a resource without service.name. */
export const NO_SERVICE_NAME = 'OTLPResourceNoServiceName';

const KIND_NAMES = ['', 'internal', 'server', 'client', 'producer', 'consumer'];

/** The Jaeger name of an OTLP span kind ('' for unspecified). */
export function jaegerSpanKind(kind: number): string {
  return KIND_NAMES[kind] ?? '';
}

/** Wraps data in Jaeger's envelope; `total` defaults to the array's length (0 otherwise). */
export function jaegerEnvelope<T>(data: T, errors: JaegerError[] | null = null): JaegerResponse<T> {
  return { data, total: Array.isArray(data) ? data.length : 0, limit: 0, offset: 0, errors };
}

/** An error answer (`data: null`), e.g. jaegerErrorResponse(404, 'trace not found'). */
export function jaegerErrorResponse(code: number, msg: string, traceID?: string): JaegerResponse<null> {
  return { data: null, total: 0, limit: 0, offset: 0, errors: [traceID === undefined ? { code, msg } : { code, msg, traceID }] };
}

/** A key/value as a Jaeger tag: arrays and maps as JSON text, int64 beyond 2^53 as a decimal string. */
export function jaegerKeyValue(key: string, v: AnyValue): JaegerKeyValue {
  switch (v.type) {
    case 'string':
      return { key, type: 'string', value: v.value };
    case 'bool':
      return { key, type: 'bool', value: v.value };
    case 'int':
      return typeof v.value === 'bigint' ? { key, type: 'string', value: v.value.toString() } : { key, type: 'int64', value: v.value };
    case 'double':
      return Number.isFinite(v.value) ? { key, type: 'float64', value: v.value } : { key, type: 'string', value: String(v.value) };
    case 'bytes':
      return { key, type: 'binary', value: Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64') };
    case 'array':
    case 'kvlist':
      return { key, type: 'string', value: JSON.stringify(plainValue(v)) };
    case 'empty':
      return { key, type: 'string', value: '' };
  }
}

const tags = (attributes: readonly Attribute[]) => attributes.map((a) => jaegerKeyValue(a.key, a));
const micros = (ms: number, nanos: number) => ms * 1000 + Math.floor(nanos / 1000);

function serviceOf(r: Resource): string {
  for (let k = r.attributes.length - 1; k >= 0; k--) {
    const a = r.attributes[k];
    if (a.key === 'service.name' && a.type === 'string') return a.value;
  }
  return NO_SERVICE_NAME;
}

/** One trace's spans in Jaeger's shape; processes are p1, p2, … by first appearance of each distinct resource. */
export function jaegerTrace(spans: readonly Span[]): JaegerTrace {
  const processes: Record<string, JaegerProcess> = {};
  const byResource = new Map<Resource, string>();
  const byContent = new Map<string, string>();
  const processOf = (r: Resource): string => {
    let id = byResource.get(r);
    if (id !== undefined) return id;
    const process: JaegerProcess = { serviceName: serviceOf(r), tags: tags(r.attributes.filter((a) => a.key !== 'service.name')) };
    const content = JSON.stringify(process);
    id = byContent.get(content);
    if (id === undefined) {
      id = `p${byContent.size + 1}`;
      byContent.set(content, id);
      processes[id] = process;
    }
    byResource.set(r, id);
    return id;
  };
  const ids = new Set(spans.map((s) => s.spanId));
  const out = spans.map((s) => {
    const span = jaegerSpan(s, processOf(s.resource));
    if (s.parentSpanId !== '' && !ids.has(s.parentSpanId)) span.warnings = [`parent span ${s.parentSpanId} is not in the trace`];
    return span;
  });
  return { traceID: spans[0]?.traceId ?? '', spans: out, processes, warnings: null };
}

function jaegerSpan(s: Span, processID: string): JaegerSpan {
  const references: JaegerReference[] = [];
  if (s.parentSpanId !== '') references.push({ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentSpanId });
  for (const l of s.links) references.push({ refType: 'FOLLOWS_FROM', traceID: l.traceId, spanID: l.spanId });
  const spanTags = tags(s.attributes);
  const kind = jaegerSpanKind(s.kind);
  if (kind !== '') spanTags.push({ key: 'span.kind', type: 'string', value: kind });
  if (s.statusCode === 1) spanTags.push({ key: 'otel.status_code', type: 'string', value: 'OK' });
  if (s.statusCode === 2) {
    spanTags.push({ key: 'otel.status_code', type: 'string', value: 'ERROR' });
    spanTags.push({ key: 'error', type: 'bool', value: true });
  }
  if (s.statusMessage !== '') spanTags.push({ key: 'otel.status_description', type: 'string', value: s.statusMessage });
  if (s.scope.name !== '') spanTags.push({ key: 'otel.scope.name', type: 'string', value: s.scope.name });
  if (s.scope.version !== '') spanTags.push({ key: 'otel.scope.version', type: 'string', value: s.scope.version });
  if (s.traceState !== '') spanTags.push({ key: 'w3c.tracestate', type: 'string', value: s.traceState });
  return {
    traceID: s.traceId,
    spanID: s.spanId,
    flags: s.flags & 0xff,
    operationName: s.name,
    references,
    startTime: micros(s.startTimeMs, s.startTimeNanos),
    duration: Math.max(0, Math.floor(spanDurationNanos(s) / 1000)),
    tags: spanTags,
    logs: s.events.map((e) => ({ timestamp: micros(e.timeMs, e.timeNanos), fields: [{ key: 'event', type: 'string' as const, value: e.name }, ...tags(e.attributes)] })),
    processID,
    warnings: null,
  };
}

/** `GET /api/traces?…` and `GET /api/traces/<id>`: traces in the envelope. */
export function jaegerTracesResponse(traces: readonly (readonly Span[])[]): JaegerResponse<JaegerTrace[]> {
  return jaegerEnvelope(traces.map(jaegerTrace));
}

/** `GET /api/services`: service names, sorted. */
export function jaegerServicesResponse(services: Iterable<string>): JaegerResponse<string[]> {
  return jaegerEnvelope([...new Set(services)].sort());
}

/** `GET /api/services/<service>/operations`: operation names, sorted. */
export function jaegerOperationNamesResponse(names: Iterable<string>): JaegerResponse<string[]> {
  return jaegerEnvelope([...new Set(names)].sort());
}

/** One operation of `GET /api/operations?service=…`: its name and span kind ('' when unspecified). */
export interface JaegerOperation {
  name: string;
  spanKind: string;
}

/** `GET /api/operations?service=…[&spanKind=…]`: operations with their span kind, sorted by name then kind. */
export function jaegerOperationsResponse(operations: Iterable<JaegerOperation>): JaegerResponse<JaegerOperation[]> {
  const unique = new Map<string, JaegerOperation>();
  for (const o of operations) unique.set(`${o.name}\u0000${o.spanKind}`, { name: o.name, spanKind: o.spanKind });
  const sorted = [...unique.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.spanKind < b.spanKind ? -1 : a.spanKind > b.spanKind ? 1 : 0));
  return jaegerEnvelope(sorted);
}

export interface JaegerDependency {
  parent: string;
  child: string;
  callCount: number;
}

/** `GET /api/dependencies`: calls between services summed over the given edges (e.g. of many trace summaries). */
export function jaegerDependenciesResponse(edges: Iterable<ServiceEdge>): JaegerResponse<JaegerDependency[]> {
  const sums = new Map<string, JaegerDependency>();
  for (const e of edges) {
    const key = `${e.parent}\u0000${e.child}`;
    const d = sums.get(key);
    if (d === undefined) sums.set(key, { parent: e.parent, child: e.child, callCount: e.calls });
    else d.callCount += e.calls;
  }
  const sorted = [...sums.values()].sort((a, b) => (a.parent < b.parent ? -1 : a.parent > b.parent ? 1 : a.child < b.child ? -1 : a.child > b.child ? 1 : 0));
  return jaegerEnvelope(sorted);
}
