// Span metrics, compatible with the OpenTelemetry Collector's spanmetrics connector: per span one `calls` point
// (a delta sum of 1) and one `duration` histogram point (one observation), with the connector's names, dimensions,
// buckets and units. Stateless: the downstream window adds the delta points up per series, so nothing is kept here.
// docs/spanmetrics.md says what is emitted and what differs from the connector.
import type { Attribute, MetricPoint, Resource, Span } from '../../otlp/model.ts';
import { tenantKey, tenantOf } from '../../otlp/tenant.ts';
import type { ProcessorContext, ProcessorDefinition } from '../../runtime/processor.ts';
import {
  BoundedCache,
  countPoint,
  deltaHistogramMetric,
  deltaSumMetric,
  exponentialHistogramPoint,
  findAttribute,
  histogramPoint,
  operatorScope,
  ResourceInterner,
  SeriesIdCache,
  serviceNameOf,
  spanDurationNanos,
  spanKindName,
  statusCodeName,
  typedValueText,
  type PointPlace,
  type SeriesPoint,
} from './points.ts';

/** An extra dimension: looked up in the span's attributes, then its resource's; else `default`, else left out. */
export interface SpanMetricsDimension {
  name: string;
  default?: string;
}

/** Options of `spanMetrics` (the connector's, in camelCase; defaults are the connector's). */
export interface SpanMetricsOptions {
  /** Prefix of the metric names, joined with '.' (default `traces.span.metrics`; '' for bare `calls`, `duration`). */
  namespace?: string;
  dimensions?: readonly SpanMetricsDimension[];
  /** Default dimensions to leave out: `service.name`, `span.name`, `span.kind`, `status.code`. */
  excludeDimensions?: readonly string[];
  histogram?: {
    /** `explicit` (default) or `exponential` buckets. */
    kind?: 'explicit' | 'exponential';
    /** Unit of the durations and of `buckets` (default `ms`). */
    unit?: 'ms' | 's';
    /** Explicit bounds in `unit` (default: the connector's 2 ms … 15 s). */
    buckets?: readonly number[];
    /** No duration histogram at all. */
    disable?: boolean;
  };
  /** When set, the points' resource keeps only these attributes (stable series across restarts of a service). */
  resourceMetricsKeyAttributes?: readonly string[];
}

/** The connector's default explicit bounds, in ms. */
export const DEFAULT_DURATION_BUCKETS_MS: readonly number[] = [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10_000, 15_000];
/** The connector's default namespace. */
export const DEFAULT_SPAN_METRICS_NAMESPACE = 'traces.span.metrics';
/** The `name` of the points' scope. */
export const SPAN_METRICS_SCOPE = 'otlp-streams/spanmetrics';

const DEFAULT_DIMENSIONS = ['service.name', 'span.name', 'span.kind', 'status.code'] as const;

/** Attributes of one series (shared by its points). */
interface SeriesAttributes {
  readonly attributes: Attribute[];
  /**
   * Series ids of its calls and duration points by resource number: a lookup by number instead of the series id
   * cache's string keys (`c|d \0 resource \0 key`), which cost a string build and hash per point. The ids are the
   * cache's: a point's series id depends only on the resource, scope, metric and attributes these name.
   */
  readonly ids: Map<number, { calls: string; duration: string | undefined }>;
}

// Resources one series keeps ids for before it starts over (numbers of resources that left are never reused).
const MAX_RESOURCES_PER_SERIES = 256;

/** Turns a span into its span-metric points; spans whose resource has no `service.name` give none (as in the connector). */
export function spanMetrics(o: SpanMetricsOptions = {}): (span: Span) => SeriesPoint[] {
  const namespace = o.namespace ?? DEFAULT_SPAN_METRICS_NAMESPACE;
  const name = (n: string) => (namespace === '' ? n : `${namespace}.${n}`);
  const unit = o.histogram?.unit ?? 'ms';
  const nanosPerUnit = unit === 'ms' ? 1e6 : 1e9;
  const exponential = o.histogram?.kind === 'exponential';
  const histogram = o.histogram?.disable !== true;
  const bounds = [...(o.histogram?.buckets ?? (unit === 'ms' ? DEFAULT_DURATION_BUCKETS_MS : DEFAULT_DURATION_BUCKETS_MS.map((ms) => ms / 1000)))];
  if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]))) throw new RangeError(`spanMetrics: buckets must be finite and strictly increasing, got ${bounds.join(', ')}`);
  const excluded = new Set(o.excludeDimensions ?? []);
  for (const d of excluded) if (!(DEFAULT_DIMENSIONS as readonly string[]).includes(d)) throw new RangeError(`spanMetrics: excludeDimensions names "${d}", not one of ${DEFAULT_DIMENSIONS.join(', ')}`);
  const dimensions = o.dimensions ?? [];
  const names = new Set<string>(DEFAULT_DIMENSIONS);
  for (const d of dimensions) {
    if (names.has(d.name)) throw new RangeError(`spanMetrics: dimension "${d.name}" is named twice (or is a default dimension)`);
    names.add(d.name);
  }
  const defaults = dimensions.map((d): Attribute | undefined => (d.default === undefined ? undefined : { key: d.name, type: 'string', value: d.default }));

  const calls = deltaSumMetric(name('calls'), '');
  const duration = deltaHistogramMetric(name('duration'), unit, exponential ? 'exponentialHistogram' : 'histogram');
  const scope = operatorScope(SPAN_METRICS_SCOPE);
  const keep = o.resourceMetricsKeyAttributes;
  const resources = new ResourceInterner(keep === undefined || keep.length === 0 ? undefined : (r) => keptResource(r, keep));
  const series = new BoundedCache<SeriesAttributes>(100_000);
  const ids = new SeriesIdCache();
  const found: Array<Attribute | undefined> = new Array(dimensions.length);

  return (span) => {
    const service = serviceNameOf(span.resource);
    if (service === undefined) return [];
    const kind = spanKindName(span.kind);
    const status = statusCodeName(span.statusCode);
    // The key names the series' attributes: each value with its type, an absent dimension as \u0001.
    let key = `${service}\u0000${span.name}\u0000${kind}\u0000${status}`;
    for (let i = 0; i < dimensions.length; i++) {
      const d = dimensions[i].name;
      const attribute = findAttribute(span.attributes, d) ?? findAttribute(span.resource.attributes, d) ?? defaults[i];
      found[i] = attribute;
      key += attribute === undefined ? '\u0000\u0001' : `\u0000${typedValueText(attribute)}`;
    }
    let entry = series.get(key);
    if (entry === undefined) {
      const attributes: Attribute[] = [];
      const put = (k: string, value: string) => excluded.has(k) || attributes.push({ key: k, type: 'string', value });
      put('service.name', service);
      put('span.name', span.name);
      put('span.kind', kind);
      put('status.code', status);
      for (let i = 0; i < dimensions.length; i++) {
        const attribute = found[i];
        if (attribute !== undefined) attributes.push({ ...attribute, key: dimensions[i].name } as Attribute);
      }
      entry = series.set(key, { attributes, ids: new Map() });
    }
    const resource = resources.intern(span.resource);
    const place: PointPlace = { resource: resource.resource, scope, attributes: entry.attributes, timeMs: span.endTimeMs, timeNanos: span.endTimeNanos };
    const callsPoint = countPoint(place, calls);
    let known = entry.ids.get(resource.number);
    if (known === undefined) {
      if (entry.ids.size >= MAX_RESOURCES_PER_SERIES) entry.ids.clear();
      known = { calls: ids.id(`c\u0000${resource.number}\u0000${key}`, callsPoint), duration: undefined };
      entry.ids.set(resource.number, known);
    }
    const out: SeriesPoint[] = [{ seriesId: known.calls, point: callsPoint }];
    if (histogram) {
      const value = spanDurationNanos(span) / nanosPerUnit;
      const point = exponential ? exponentialHistogramPoint(place, duration, value) : histogramPoint(place, duration, bounds, value);
      known.duration ??= ids.id(`d\u0000${resource.number}\u0000${key}`, point);
      out.push({ seriesId: known.duration, point });
    }
    return out;
  };
}

/** A resource with only the named attributes. */
function keptResource(resource: Resource, keep: readonly string[]): Resource {
  return { ...resource, attributes: resource.attributes.filter((a) => keep.includes(a.key)), entityRefs: [] };
}

/** Span metrics as a process step: each point is forwarded keyed by `tenantKey(tenant, seriesId)` at its time. */
export function spanMetricsProcessor(o: SpanMetricsOptions = {}): ProcessorDefinition<Span, MetricPoint> {
  return {
    name: 'spanmetrics',
    create() {
      const points = spanMetrics(o);
      let ctx: ProcessorContext<MetricPoint>;
      return {
        init(context) {
          ctx = context;
        },
        process(record) {
          const tenant = tenantOf(record.key);
          for (const { seriesId, point } of points(record.value)) {
            // The input's headers carry its tenant, which the output key keeps.
            ctx.forward({ key: tenantKey(tenant, seriesId), timestamp: point.timeMs, value: point, headers: record.headers });
          }
        },
      };
    },
  };
}
