// What the traces view reads from the query service (docs/query.md), and the OTLP JSON of a trace turned into spans
// by id for the details panel.
import type { CriticalPathStep, SpanNode, TraceAnalysis } from '../../../answers.ts';

export interface SearchTrace {
  traceID: string;
  rootServiceName: string;
  rootTraceName: string;
  startTimeUnixNano: string;
  durationMs: number;
  spanSet?: { spans: Array<{ spanID: string; name: string; durationNanos: string }>; matched: number };
  spanSets?: Array<{ spans: Array<{ spanID: string; name: string; durationNanos: string }>; matched: number }>;
  serviceStats?: Record<string, { spanCount: number; errorCount: number }>;
}

export interface SearchResponse {
  traces: SearchTrace[];
  metrics?: { inspectedTraces?: number; completedJobs?: number; totalJobs?: number };
  warnings?: string[];
}

export type AnalysisNode = SpanNode;
export type CriticalStep = CriticalPathStep;
/** The analysis as the service answers it (a partial answer adds warnings). */
export type Analysis = TraceAnalysis & { warnings?: string[] };

/** A span of the waterfall: the analysis' node without its children. */
export type FlatSpan = Omit<AnalysisNode, 'children'>;

/** The analysis' tree as a flat list (iteratively: a trace may nest deeper than the call stack). */
export function flattenTree(tree: readonly AnalysisNode[]): FlatSpan[] {
  const out: FlatSpan[] = [];
  const stack = [...tree];
  while (stack.length > 0) {
    const { children, ...span } = stack.pop()!;
    out.push(span);
    for (const c of children) stack.push(c);
  }
  return out;
}

export interface LogEntry {
  time: string;
  timestamp: string;
  severity: string;
  level: string;
  service: string;
  body: unknown;
  traceId?: string;
  spanId?: string;
  attributes: Record<string, unknown>;
}

export interface TraceLogs {
  traceId: string;
  logs: LogEntry[];
  truncated: boolean;
}

// OTLP JSON (Tempo's /api/traces/<id>: ids in base64).
export interface OtlpValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  bytesValue?: string;
  arrayValue?: { values?: OtlpValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}
export interface OtlpKeyValue {
  key: string;
  value?: OtlpValue;
}
interface OtlpSpanJson {
  spanId?: string;
  parentSpanId?: string;
  traceState?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  attributes?: OtlpKeyValue[];
  events?: Array<{ timeUnixNano?: string; name?: string; attributes?: OtlpKeyValue[] }>;
  links?: Array<{ traceId?: string; spanId?: string; attributes?: OtlpKeyValue[] }>;
  status?: { code?: number; message?: string };
}
export interface OtlpTraceJson {
  batches?: Array<{
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string; version?: string }; spans?: OtlpSpanJson[] }>;
  }>;
}

/** One span's details, ids in hex. */
export interface SpanDetail {
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startUnixNano: string;
  endUnixNano: string;
  attributes: OtlpKeyValue[];
  events: Array<{ timeUnixNano: string; name: string; attributes: OtlpKeyValue[] }>;
  links: Array<{ traceId: string; spanId: string; attributes: OtlpKeyValue[] }>;
  status: { code: number; message: string };
  resource: OtlpKeyValue[];
  scope: { name: string; version: string };
}

export const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
export const STATUS_NAMES = ['unset', 'ok', 'error'];

/** A base64 id (as Tempo's JSON writes them) in hex; a hex id is kept. */
export function idToHex(id: string | undefined): string {
  if (!id) return '';
  if (/^[0-9a-f]+$/i.test(id) && (id.length === 16 || id.length === 32)) return id.toLowerCase();
  try {
    const bin = atob(id);
    let hex = '';
    for (let i = 0; i < bin.length; i++) hex += bin.charCodeAt(i).toString(16).padStart(2, '0');
    return hex;
  } catch {
    return id;
  }
}

/** The spans of a trace's OTLP JSON by hex span id. */
export function spansById(trace: OtlpTraceJson): Map<string, SpanDetail> {
  const out = new Map<string, SpanDetail>();
  for (const batch of trace.batches ?? []) {
    const resource = batch.resource?.attributes ?? [];
    for (const ss of batch.scopeSpans ?? []) {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      for (const s of ss.spans ?? []) {
        const spanId = idToHex(s.spanId);
        out.set(spanId, {
          spanId,
          parentSpanId: idToHex(s.parentSpanId),
          name: s.name ?? '',
          kind: s.kind ?? 0,
          startUnixNano: s.startTimeUnixNano ?? '0',
          endUnixNano: s.endTimeUnixNano ?? '0',
          attributes: s.attributes ?? [],
          events: (s.events ?? []).map((e) => ({ timeUnixNano: e.timeUnixNano ?? '0', name: e.name ?? '', attributes: e.attributes ?? [] })),
          links: (s.links ?? []).map((l) => ({ traceId: idToHex(l.traceId), spanId: idToHex(l.spanId), attributes: l.attributes ?? [] })),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          resource,
          scope,
        });
      }
    }
  }
  return out;
}

/** An attribute value as text. */
export function valueText(v: OtlpValue | undefined): string {
  if (v === undefined) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return String(v.boolValue);
  if (v.intValue !== undefined) return String(v.intValue);
  if (v.doubleValue !== undefined) return String(v.doubleValue);
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue !== undefined) return `[${(v.arrayValue.values ?? []).map(valueText).join(', ')}]`;
  if (v.kvlistValue !== undefined) return `{${(v.kvlistValue.values ?? []).map((kv) => `${kv.key}: ${valueText(kv.value)}`).join(', ')}}`;
  return '';
}

/** Quotes a logfmt value when it needs it. */
export function logfmtValue(v: string): string {
  return /^[^\s"=]+$/.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A stable colour for a service: a hue from its name. */
export function serviceHue(service: string): number {
  let h = 0;
  for (let i = 0; i < service.length; i++) h = (h * 31 + service.charCodeAt(i)) >>> 0;
  return (h % 360 + 360) % 360;
}
