// Test data for the trace operators: random traces (fast-check) with service names, parent links, statuses and
// attributes, their spans in a random arrival order, and brute-force summaries to compare with.
import fc from 'fast-check';
import { SpanKind, StatusCode, type Attribute, type Resource, type Span } from '../../otlp/index.ts';
import { TraceIndexCodec } from './indexRecord.ts';
import type { TraceSummary } from './model.ts';

const SERVICES = ['frontend', 'cart', 'db', 'é-service'];
const resources = new Map<string, Resource>();

/** One Resource object per service (as decoding one request gives), or none for unknown_service. */
function resourceOf(service: string | null): Resource {
  const name = service ?? '';
  let r = resources.get(name);
  if (!r) {
    const attributes: Attribute[] = service === null ? [{ key: 'host.name', type: 'string', value: 'h1' }] : [{ key: 'service.name', type: 'string', value: service }];
    r = { attributes, droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
    resources.set(name, r);
  }
  return r;
}

export interface SpanShape {
  service: number;
  parent: number;
  name: number;
  status: number;
  kind: number;
  startOffset: number;
  duration: number;
  nanos: number;
  attr: number;
  long: boolean;
}

const spanShape: fc.Arbitrary<SpanShape> = fc.record({
  service: fc.integer({ min: -1, max: SERVICES.length - 1 }),
  parent: fc.integer({ min: -2, max: 30 }),
  name: fc.integer({ min: 0, max: 3 }),
  status: fc.integer({ min: 0, max: 2 }),
  kind: fc.integer({ min: 0, max: 5 }),
  startOffset: fc.integer({ min: 0, max: 400 }),
  duration: fc.integer({ min: 0, max: 300 }),
  nanos: fc.integer({ min: 0, max: 999_999 }),
  attr: fc.integer({ min: 0, max: 4 }),
  long: fc.boolean(),
});

/** A trace: its spans (span i's parent is an earlier span, or none). */
export function makeTrace(traceId: string, startMs: number, shapes: readonly SpanShape[]): Span[] {
  const spans: Span[] = [];
  shapes.forEach((s, i) => {
    const spanId = (traceId.slice(0, 8) + i.toString(16).padStart(8, '0')).slice(0, 16);
    const parentSpanId = i === 0 || s.parent < 0 ? '' : spans[s.parent % i].spanId;
    const start = startMs + s.startOffset;
    const attributes: Attribute[] = [
      { key: 'http.route', type: 'string', value: `/r${s.attr}` },
      { key: 'n', type: 'int', value: s.attr },
    ];
    if (s.long) attributes.push({ key: 'db.statement', type: 'string', value: 'x'.repeat(300) });
    spans.push({
      resource: resourceOf(s.service < 0 ? null : SERVICES[s.service]),
      scope: { name: 'test', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
      traceId,
      spanId,
      traceState: '',
      parentSpanId,
      flags: 0,
      name: `op${s.name}`,
      kind: s.kind as (typeof SpanKind)[keyof typeof SpanKind],
      startTimeMs: start,
      startTimeNanos: s.nanos,
      endTimeMs: start + s.duration,
      endTimeNanos: s.duration === 0 ? s.nanos : (s.nanos * 7) % 1_000_000,
      attributes,
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      statusCode: s.status as (typeof StatusCode)[keyof typeof StatusCode],
      statusMessage: '',
    });
  });
  return spans;
}

/** Random traces of 1–n spans over a time line, with tenants. */
export const traces = (maxTraces: number, maxSpans: number) =>
  fc.array(
    fc.record({
      id: fc.integer({ min: 0, max: 0xffffff }),
      tenant: fc.constantFrom(undefined, 'acme', 'globex'),
      startMs: fc.integer({ min: 0, max: 3_000 }),
      shapes: fc.array(spanShape, { minLength: 1, maxLength: maxSpans }),
    }),
    { minLength: 1, maxLength: maxTraces },
  ).map((list) => {
    const seen = new Set<string>();
    return list.flatMap((t, i) => {
      const traceId = `${(t.id + i * 0x1000000).toString(16).padStart(8, '0')}${'0'.repeat(23)}${i.toString(16)}`.slice(-32);
      const key = `${t.tenant ?? ''}/${traceId}`;
      if (seen.has(key)) return [];
      seen.add(key);
      return [{ tenant: t.tenant, traceId, spans: makeTrace(traceId, 1_700_000_000_000 + t.startMs, t.shapes) }];
    });
  });

const nanos = (ms: number, ns: number) => BigInt(ms) * 1_000_000n + BigInt(ns);

/** Brute force: the summary of a trace's spans, straight from the definition. */
export function bruteSummary(spans: readonly Span[]): TraceSummary {
  const service = (s: Span) => {
    const a = s.resource.attributes.find((x) => x.key === 'service.name');
    return a ? String(a.value) : 'unknown_service';
  };
  const starts = spans.map((s) => nanos(s.startTimeMs, s.startTimeNanos));
  const ends = spans.map((s) => nanos(s.endTimeMs, s.endTimeNanos));
  const start = starts.reduce((a, b) => (b < a ? b : a));
  const end = ends.reduce((a, b) => (b > a ? b : a));
  const roots = spans.filter((s) => s.parentSpanId === '').sort((a, b) => {
    const d = nanos(a.startTimeMs, a.startTimeNanos) - nanos(b.startTimeMs, b.startTimeNanos);
    return d < 0n ? -1 : d > 0n ? 1 : a.spanId < b.spanId ? -1 : 1;
  });
  const names = [...new Set(spans.map(service))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const edges: TraceSummary['edges'] = [];
  for (const parent of names) {
    for (const child of names) {
      if (parent === child) continue;
      const calls = spans.filter((s) => service(s) === child && spans.some((p) => p.spanId === s.parentSpanId && service(p) === parent)).length;
      if (calls > 0) edges.push({ parent, child, calls });
    }
  }
  return {
    traceId: spans[0].traceId,
    rootService: roots.length > 0 ? service(roots[0]) : '',
    rootName: roots.length > 0 ? roots[0].name : '',
    startUnixNano: start,
    durationNanos: end > start ? Number(end - start) : 0,
    spans: spans.length,
    errors: spans.filter((s) => s.statusCode === StatusCode.ERROR).length,
    services: names.map((n) => ({ service: n, spans: spans.filter((s) => service(s) === n).length, errors: spans.filter((s) => service(s) === n && s.statusCode === StatusCode.ERROR).length })),
    edges,
  };
}

/** The real index codec with a schema id set by hand: encodes and decodes as after `prepare`, without a registry. */
export function offlineIndexCodec(): TraceIndexCodec {
  return new TraceIndexCodec('idx').offline();
}
