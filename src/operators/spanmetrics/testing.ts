// Test helpers: spans, random traces (client/server trees) and a brute-force reading of emitted points.
import fc from 'fast-check';
import type { Attribute, Resource, Scope, Span } from '../../otlp/model.ts';
import { SpanKind, StatusCode } from '../../otlp/model.ts';

const SCOPE: Scope = { name: 'test', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

/** A resource with string attributes. */
export function resource(attributes: Record<string, string>): Resource {
  return { attributes: stringAttributes(attributes), droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
}

export function stringAttributes(attributes: Record<string, string>): Attribute[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, type: 'string', value }));
}

/** A span with defaults for what a test does not care about; times in ms (+ nanos). */
export function span(fields: Partial<Span> & { resource: Resource }): Span {
  return {
    scope: SCOPE, traceId: '0'.repeat(31) + '1', spanId: '0'.repeat(15) + '1', traceState: '', parentSpanId: '', flags: 0, name: 'op',
    kind: SpanKind.INTERNAL, startTimeMs: 1_000, startTimeNanos: 0, endTimeMs: 1_010, endTimeNanos: 0, attributes: [], droppedAttributesCount: 0,
    events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, statusCode: StatusCode.UNSET, statusMessage: '',
    ...fields,
  };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** Resources of random traces: a few services (one without service.name), on two hosts. */
export const RESOURCES: readonly Resource[] = [
  resource({ 'service.name': 'frontend', host: 'a' }),
  resource({ 'service.name': 'frontend', host: 'b' }),
  resource({ 'service.name': 'cart', host: 'a' }),
  resource({ 'service.name': 'checkout', host: 'b' }),
  resource({ 'service.name': 'queue-worker' }),
  resource({ host: 'nameless' }),
];

const KINDS = [SpanKind.UNSPECIFIED, SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER];
const isClientKind = (kind: number) => kind === SpanKind.CLIENT || kind === SpanKind.PRODUCER;
const isServerKind = (kind: number) => kind === SpanKind.SERVER || kind === SpanKind.CONSUMER;

interface SpanDraft {
  parent: number;
  kind: number;
  resource: number;
  status: number;
  name: string;
  startOffset: number;
  durationNanos: number;
  peer: 'none' | 'peer.service' | 'db.name' | 'db.system';
  env: 'none' | 'prod' | 'dev';
}

const draft: fc.Arbitrary<SpanDraft> = fc.record({
  parent: fc.nat(),
  kind: fc.constantFrom(...KINDS),
  resource: fc.nat({ max: RESOURCES.length - 1 }),
  status: fc.constantFrom(StatusCode.UNSET, StatusCode.OK, StatusCode.ERROR),
  name: fc.constantFrom('GET /', 'POST /cart', 'SELECT', 'publish'),
  startOffset: fc.nat({ max: 2_000 }),
  durationNanos: fc.oneof(fc.nat({ max: 20_000_000_000 }), fc.constantFrom(0, 2_000_000, 4_000_000, 1_000_000_000, 15_000_000_000)),
  peer: fc.constantFrom('none', 'none', 'peer.service', 'db.name', 'db.system'),
  env: fc.constantFrom('none', 'prod', 'dev'),
});

/**
 * One random trace: a tree whose first span is the root. A client span has at most one server child and a client
 * naming a database (db.name) none, so every edge is determined by the spans alone, whatever their order.
 */
function trace(index: number, drafts: SpanDraft[]): Span[] {
  const spans: Span[] = [];
  const serverChildren = new Set<number>();
  const traceId = hex(index + 1, 32);
  const base = 1_000_000 + index * 3_000;
  drafts.forEach((d, i) => {
    let parent = i === 0 ? -1 : d.parent % i;
    let kind = d.kind;
    if (isServerKind(kind) && parent >= 0) {
      const p = spans[parent];
      const parentNamesDatabase = p.attributes.some((a) => a.key === 'db.name');
      if (isClientKind(p.kind) && (serverChildren.has(parent) || parentNamesDatabase)) kind = SpanKind.INTERNAL;
      else if (isClientKind(p.kind)) serverChildren.add(parent);
    }
    if (i > 0 && parent < 0) parent = 0;
    const attributes: Attribute[] = [];
    if (d.peer !== 'none') attributes.push({ key: d.peer, type: 'string', value: `${d.peer}-${d.resource}` });
    if (d.env !== 'none') attributes.push({ key: 'env', type: 'string', value: d.env });
    const startNanos = d.startOffset * 1_000_000 + (d.durationNanos % 7) * 100_000;
    const endNanos = startNanos + d.durationNanos;
    spans.push(span({
      resource: RESOURCES[d.resource],
      traceId,
      spanId: hex(index * 100 + i + 1, 16),
      parentSpanId: parent < 0 ? '' : hex(index * 100 + parent + 1, 16),
      name: d.name,
      kind,
      statusCode: d.status,
      attributes,
      startTimeMs: base + Math.floor(startNanos / 1e6),
      startTimeNanos: startNanos % 1e6,
      endTimeMs: base + Math.floor(endNanos / 1e6),
      endTimeNanos: endNanos % 1e6,
    }));
  });
  return spans;
}

/** Random traces, their spans shuffled together (arrival order is not trace order). */
export const randomSpans: fc.Arbitrary<Span[]> = fc
  .array(fc.array(draft, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 })
  .chain((traces) => {
    const spans = traces.flatMap((drafts, i) => trace(i, drafts));
    return fc.shuffledSubarray(spans, { minLength: spans.length, maxLength: spans.length });
  });

/** The text of attributes (sorted by key) — a series' identity beside the metric name. */
export function attributesText(attributes: readonly Attribute[]): string {
  return JSON.stringify([...attributes].sort((a, b) => (a.key < b.key ? -1 : 1)).map((a) => [a.key, a.value]));
}

/** Delta points summed per (metric, attributes): what a window downstream holds. */
export interface SeriesTotal {
  count: number;
  sum: number;
  bucketCounts: number[];
  times: number[];
}

interface PointLike {
  metric: { name: string };
  attributes: Attribute[];
  timeMs: number;
  type: string;
  value?: number;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
}

/** Adds points up per series the brute-force way. */
export function totals(points: Iterable<PointLike>): Map<string, SeriesTotal> {
  const out = new Map<string, SeriesTotal>();
  for (const p of points) {
    const id = `${p.metric.name} ${attributesText(p.attributes)}`;
    const t = out.get(id) ?? { count: 0, sum: 0, bucketCounts: [], times: [] };
    if (p.type === 'sum') t.count += p.value!;
    else {
      t.count += p.count!;
      t.sum += p.sum!;
      p.bucketCounts!.forEach((c, i) => (t.bucketCounts[i] = (t.bucketCounts[i] ?? 0) + c));
    }
    t.times.push(p.timeMs);
    out.set(id, t);
  }
  for (const t of out.values()) t.times.sort((a, b) => a - b);
  return out;
}
