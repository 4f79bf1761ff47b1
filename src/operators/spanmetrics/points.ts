// What span metrics and the service graph share: the delta metric points they emit (shaped as the OTLP decoder
// shapes them), span durations, bucket lookup, attribute values, and the caches that keep the per-span cost low —
// resources interned by content, series ids looked up by a string key instead of hashed per point.
import type { AnyValue, Attribute, Exemplar, ExponentialHistogramPoint, HistogramPoint, Metric, MetricPoint, NumberPoint, Resource, Scope, Span } from '../../otlp/model.ts';
import { AggregationTemporality, SpanKind, StatusCode } from '../../otlp/model.ts';
import { canonicalAttributes } from '../../otlp/resourceKey.ts';
import { seriesId } from '../../otlp/seriesId.ts';

/** A point and its series id (`seriesId(point)`), so callers key records without hashing again. */
export interface SeriesPoint {
  readonly seriesId: string;
  readonly point: MetricPoint;
}

/** Scale of a one-observation exponential histogram point: the finest OTLP allows; merging lowers it as needed. */
export const EXPONENTIAL_SCALE = 20;

// Points never carry exemplars; one shared empty array instead of one per point.
const NO_EXEMPLARS: Exemplar[] = Object.freeze([]) as unknown as Exemplar[];
const NO_BUCKETS = Object.freeze({ offset: 0, bucketCounts: Object.freeze([]) as unknown as number[] });

/** The scope of the points an operator emits. */
export function operatorScope(name: string): Scope {
  return { name, version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
}

/** A monotonic delta sum's descriptor. */
export function deltaSumMetric(name: string, unit: string): Metric {
  return { name, description: '', unit, type: 'sum', aggregationTemporality: AggregationTemporality.DELTA, isMonotonic: true, metadata: [] };
}

/** A delta histogram's descriptor (explicit or exponential). */
export function deltaHistogramMetric(name: string, unit: string, type: 'histogram' | 'exponentialHistogram'): Metric {
  return { name, description: '', unit, type, aggregationTemporality: AggregationTemporality.DELTA, isMonotonic: false, metadata: [] };
}

/** Where and when a point is: shared by the points of one span or edge. */
export interface PointPlace {
  resource: Resource;
  scope: Scope;
  attributes: Attribute[];
  timeMs: number;
  timeNanos: number;
}

/** A delta sum point of one (an int, as the connectors write counts). */
export function countPoint(place: PointPlace, metric: Metric): NumberPoint {
  const { resource, scope, attributes, timeMs, timeNanos } = place;
  // Start = time: the point covers the instant of its one observation, so no two points' intervals overlap in part.
  return { type: 'sum', resource, scope, metric, attributes, startTimeMs: timeMs, startTimeNanos: timeNanos, timeMs, timeNanos, flags: 0, valueType: 'int', value: 1, exemplars: NO_EXEMPLARS };
}

/** A delta explicit-bounds histogram point holding one observation. */
export function histogramPoint(place: PointPlace, metric: Metric, bounds: number[], value: number): HistogramPoint {
  const { resource, scope, attributes, timeMs, timeNanos } = place;
  const bucketCounts = new Array<number>(bounds.length + 1).fill(0);
  bucketCounts[bucketIndex(bounds, value)] = 1;
  return {
    type: 'histogram', resource, scope, metric, attributes, startTimeMs: timeMs, startTimeNanos: timeNanos, timeMs, timeNanos, flags: 0,
    count: 1, sum: value, bucketCounts, explicitBounds: bounds, exemplars: NO_EXEMPLARS, min: value, max: value,
  };
}

/** A delta exponential histogram point holding one observation (≥ 0) at EXPONENTIAL_SCALE. */
export function exponentialHistogramPoint(place: PointPlace, metric: Metric, value: number): ExponentialHistogramPoint {
  const { resource, scope, attributes, timeMs, timeNanos } = place;
  const zero = value === 0;
  return {
    type: 'exponentialHistogram', resource, scope, metric, attributes, startTimeMs: timeMs, startTimeNanos: timeNanos, timeMs, timeNanos, flags: 0,
    count: 1, sum: value, scale: EXPONENTIAL_SCALE, zeroCount: zero ? 1 : 0,
    positive: zero ? NO_BUCKETS : { offset: exponentialIndex(value), bucketCounts: [1] },
    negative: NO_BUCKETS, exemplars: NO_EXEMPLARS, min: value, max: value, zeroThreshold: 0,
  };
}

/** The bucket of a value: the first i with value ≤ bounds[i], or bounds.length (buckets are upper-inclusive, as in OTLP). */
export function bucketIndex(bounds: readonly number[], value: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bounds[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the exponential bucket (base^i, base^(i+1)] holding a positive value at EXPONENTIAL_SCALE. */
export function exponentialIndex(value: number): number {
  return Math.ceil(Math.log2(value) * 2 ** EXPONENTIAL_SCALE) - 1;
}

/** Nanoseconds from a span's start to its end; 0 when it ends before it starts (both connectors' rule for span metrics). */
export function spanDurationNanos(span: Span): number {
  const nanos = (span.endTimeMs - span.startTimeMs) * 1_000_000 + (span.endTimeNanos - span.startTimeNanos);
  return nanos > 0 ? nanos : 0;
}

/** The span kind as the connectors write it (`SPAN_KIND_SERVER`…); '' for numbers outside the enum. */
export function spanKindName(kind: number): string {
  return SPAN_KIND_NAMES[kind] ?? '';
}

/** The status code as the connectors write it (`STATUS_CODE_UNSET`…); '' for numbers outside the enum. */
export function statusCodeName(code: number): string {
  return STATUS_CODE_NAMES[code] ?? '';
}

const SPAN_KIND_NAMES: Readonly<Record<number, string>> = {
  [SpanKind.UNSPECIFIED]: 'SPAN_KIND_UNSPECIFIED',
  [SpanKind.INTERNAL]: 'SPAN_KIND_INTERNAL',
  [SpanKind.SERVER]: 'SPAN_KIND_SERVER',
  [SpanKind.CLIENT]: 'SPAN_KIND_CLIENT',
  [SpanKind.PRODUCER]: 'SPAN_KIND_PRODUCER',
  [SpanKind.CONSUMER]: 'SPAN_KIND_CONSUMER',
};

const STATUS_CODE_NAMES: Readonly<Record<number, string>> = {
  [StatusCode.UNSET]: 'STATUS_CODE_UNSET',
  [StatusCode.OK]: 'STATUS_CODE_OK',
  [StatusCode.ERROR]: 'STATUS_CODE_ERROR',
};

/** The attribute with a key, or undefined. */
export function findAttribute(attributes: readonly Attribute[], key: string): Attribute | undefined {
  for (const a of attributes) if (a.key === key) return a;
  return undefined;
}

/** An attribute value as text (what the connectors' dimension strings hold). */
export function valueText(value: AnyValue): string {
  switch (value.type) {
    case 'string':
      return value.value;
    case 'bool':
    case 'int':
    case 'double':
      return String(value.value);
    case 'bytes':
      return Buffer.from(value.value).toString('base64');
    case 'empty':
      return '';
    case 'array':
      return `[${value.value.map(valueText).join(',')}]`;
    case 'kvlist':
      return `{${value.value.map((a) => `${a.key}:${valueText(a)}`).join(',')}}`;
  }
}

/** A value's text with its type, for cache keys that must not confuse the int 1 with the string "1". */
export function typedValueText(value: AnyValue): string {
  return `${value.type}:${valueText(value)}`;
}

/** The `service.name` of a resource as text, or undefined when it has none (both connectors skip such spans). */
export function serviceNameOf(resource: Resource): string | undefined {
  const attribute = findAttribute(resource.attributes, 'service.name');
  return attribute === undefined ? undefined : valueText(attribute);
}

/** A bounded string-keyed cache: starts over when full (the keys are cheap to rebuild). */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): V {
    if (this.entries.size >= this.limit) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A resource shared by every point with the same attributes and schema URL, and a number naming it in cache keys. */
export interface InternedResource {
  readonly resource: Resource;
  readonly number: number;
}

/**
 * Resources by content. A decoded record has its own Resource objects; points of equal resources share one, so
 * the series id cache can key on a small number. `select` narrows a resource first (e.g. to key attributes).
 */
export class ResourceInterner {
  private readonly byObject = new WeakMap<Resource, InternedResource>();
  private readonly byContent: BoundedCache<InternedResource>;
  private readonly select: (resource: Resource) => Resource;
  // Never reused, so series ids cached under an old number stay right after the content cache starts over.
  private next = 0;

  constructor(select: (resource: Resource) => Resource = (r) => r, limit = 100_000) {
    this.select = select;
    this.byContent = new BoundedCache(limit);
  }

  intern(resource: Resource): InternedResource {
    let interned = this.byObject.get(resource);
    if (interned !== undefined) return interned;
    const selected = this.select(resource);
    const content = `${selected.schemaUrl}\u0000${canonicalAttributes(selected.attributes).toString('latin1')}`;
    interned = this.byContent.get(content) ?? this.byContent.set(content, { resource: selected, number: this.next++ });
    this.byObject.set(resource, interned);
    return interned;
  }
}

/** Series ids by a caller's key that determines the series (metric, resource number, attribute key). */
export class SeriesIdCache {
  private readonly ids: BoundedCache<string>;
  constructor(limit = 200_000) {
    this.ids = new BoundedCache(limit);
  }

  id(key: string, point: MetricPoint): string {
    return this.ids.get(key) ?? this.ids.set(key, seriesId(point));
  }
}
