// Trace summaries (model.ts TraceSummary): what a search answers from without reading the trace's spans.
// `summarize` computes one from spans; `mergeSummaries` joins the summary of the fragments emitted so far with that of
// a late fragment, which is all trace assembly keeps of an emitted trace.
import { attributeText, nanosToBigInt, StatusCode, type Span } from '../../otlp/index.ts';
import type { ByteReader, ByteWriter } from '../metrics/bytes.ts';
import type { ServiceEdge, ServiceStats, TraceSummary } from './model.ts';

/** Service of a span whose resource has no `service.name` (the OpenTelemetry SDKs' default). */
export const UNKNOWN_SERVICE = 'unknown_service';

/** The `service.name` resource attribute of a span, or `unknown_service`. */
export function serviceOf(span: Span): string {
  for (const a of span.resource.attributes) if (a.key === 'service.name') return attributeText(a);
  return UNKNOWN_SERVICE;
}

const startOf = (s: Span) => nanosToBigInt(s.startTimeMs, s.startTimeNanos);
const endOf = (s: Span) => nanosToBigInt(s.endTimeMs, s.endTimeNanos);

/**
 * The summary of a trace's spans (all of one trace id, at least one). The root is the span without a parent (the
 * earliest one, then the smallest span id, if there are several); without one, root service and name are ''. A span
 * that ends before the trace starts gives a duration of 0, never a negative one.
 */
export function summarize(spans: readonly Span[]): TraceSummary {
  if (spans.length === 0) throw new RangeError('summarize: a trace has at least one span');
  let start = startOf(spans[0]);
  let end = endOf(spans[0]);
  let root: Span | undefined;
  let rootStart = 0n;
  let errors = 0;
  const services = new Map<string, ServiceStats>();
  const serviceBySpan = new Map<string, string>();
  for (const span of spans) {
    const s = startOf(span);
    const e = endOf(span);
    if (s < start) start = s;
    if (e > end) end = e;
    const service = serviceOf(span);
    serviceBySpan.set(span.spanId, service);
    const failed = span.statusCode === StatusCode.ERROR;
    if (failed) errors++;
    const stats = services.get(service) ?? { service, spans: 0, errors: 0 };
    stats.spans++;
    if (failed) stats.errors++;
    services.set(service, stats);
    if (span.parentSpanId === '' && (root === undefined || s < rootStart || (s === rootStart && span.spanId < root.spanId))) {
      root = span;
      rootStart = s;
    }
  }
  const edges = new Map<string, ServiceEdge>();
  for (const span of spans) {
    if (span.parentSpanId === '') continue;
    const parent = serviceBySpan.get(span.parentSpanId);
    const child = serviceBySpan.get(span.spanId)!;
    if (parent === undefined || parent === child) continue;
    countEdge(edges, parent, child, 1);
  }
  return {
    traceId: spans[0].traceId,
    rootService: root === undefined ? '' : serviceOf(root),
    rootName: root === undefined ? '' : root.name,
    startUnixNano: start,
    durationNanos: end > start ? Number(end - start) : 0,
    spans: spans.length,
    errors,
    services: [...services.values()].sort((a, b) => compareText(a.service, b.service)),
    edges: sortedEdges(edges),
  };
}

/**
 * The summary of two disjoint sets of a trace's spans (`a` the earlier fragments, `b` a late one). Exact for start,
 * duration, counts and services. Two things a summary does not carry are approximated: the root is `a`'s if it has
 * one (else `b`'s), and an edge whose parent span is in one set and child in the other is not counted (neither
 * summary saw it).
 */
export function mergeSummaries(a: TraceSummary, b: TraceSummary): TraceSummary {
  if (a.traceId !== b.traceId) throw new RangeError(`mergeSummaries: traces ${a.traceId} and ${b.traceId} differ`);
  const aEnd = a.startUnixNano + BigInt(a.durationNanos);
  const bEnd = b.startUnixNano + BigInt(b.durationNanos);
  const start = a.startUnixNano < b.startUnixNano ? a.startUnixNano : b.startUnixNano;
  const end = aEnd > bEnd ? aEnd : bEnd;
  const services = new Map<string, ServiceStats>();
  for (const s of [...a.services, ...b.services]) {
    const stats = services.get(s.service) ?? { service: s.service, spans: 0, errors: 0 };
    stats.spans += s.spans;
    stats.errors += s.errors;
    services.set(s.service, stats);
  }
  const edges = new Map<string, ServiceEdge>();
  for (const e of [...a.edges, ...b.edges]) countEdge(edges, e.parent, e.child, e.calls);
  const root = a.rootService !== '' ? a : b;
  return {
    traceId: a.traceId,
    rootService: root.rootService,
    rootName: root.rootName,
    startUnixNano: start,
    durationNanos: Number(end - start),
    spans: a.spans + b.spans,
    errors: a.errors + b.errors,
    services: [...services.values()].sort((x, y) => compareText(x.service, y.service)),
    edges: sortedEdges(edges),
  };
}

function countEdge(edges: Map<string, ServiceEdge>, parent: string, child: string, calls: number): void {
  // JSON of the pair: service names may contain any character, so no separator is safe.
  const key = JSON.stringify([parent, child]);
  const edge = edges.get(key);
  if (edge) edge.calls += calls;
  else edges.set(key, { parent, child, calls });
}

function sortedEdges(edges: Map<string, ServiceEdge>): ServiceEdge[] {
  return [...edges.values()].sort((x, y) => compareText(x.parent, y.parent) || compareText(x.child, y.child));
}

/** Code-unit order (not locale order): the same on every machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Writes a summary for a changelog value (assembly's remembered traces, the indexer's pending segments). */
export function writeSummary(out: ByteWriter, s: TraceSummary): void {
  text(out, s.traceId);
  text(out, s.rootService);
  text(out, s.rootName);
  // uint64 ns as (ms, ns of the ms): both exact in a double.
  out.uvarint(Number(s.startUnixNano / 1_000_000n));
  out.uvarint(Number(s.startUnixNano % 1_000_000n));
  out.uvarint(s.durationNanos);
  out.uvarint(s.spans);
  out.uvarint(s.errors);
  out.uvarint(s.services.length);
  for (const x of s.services) {
    text(out, x.service);
    out.uvarint(x.spans);
    out.uvarint(x.errors);
  }
  out.uvarint(s.edges.length);
  for (const e of s.edges) {
    text(out, e.parent);
    text(out, e.child);
    out.uvarint(e.calls);
  }
}

/** Reads what `writeSummary` wrote; throws naming the reader's subject on bad bytes. */
export function readSummary(input: ByteReader): TraceSummary {
  const traceId = readText(input);
  const rootService = readText(input);
  const rootName = readText(input);
  const ms = input.uvarint();
  const ns = input.uvarint();
  const durationNanos = input.uvarint();
  const spans = input.uvarint();
  const errors = input.uvarint();
  const services: ServiceStats[] = [];
  for (let i = input.length(1 << 20, 3); i > 0; i--) services.push({ service: readText(input), spans: input.uvarint(), errors: input.uvarint() });
  const edges: ServiceEdge[] = [];
  for (let i = input.length(1 << 20, 3); i > 0; i--) edges.push({ parent: readText(input), child: readText(input), calls: input.uvarint() });
  return { traceId, rootService, rootName, startUnixNano: nanosToBigInt(ms, ns), durationNanos, spans, errors, services, edges };
}

/** A string with its UTF-8 length in front. */
export function text(out: ByteWriter, value: string): void {
  out.nested(Buffer.from(value, 'utf8'));
}

/** Reads what `text` wrote. */
export function readText(input: ByteReader): string {
  const bytes = input.nested();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
