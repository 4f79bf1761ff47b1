// A rollup partial (one series, one window) as Prometheus time series, shaped the way the Collector's
// prometheusremotewrite exporter shapes OTLP points: counters `_total`, histograms `_bucket{le}`/`_sum`/`_count`,
// summaries `{quantile}`/`_sum`/`_count`, `job`/`instance` from the resource, and a `target_info` series per resource.
// Every sample is stamped with the window's end (docs/sinks.md, "Prometheus remote write").
import type { SeriesIdentity } from '../../operators/metrics/identity.ts';
import type { MetricKind, MetricValues, PartialItem } from '../../operators/metrics/metric.ts';
import { metricValues } from '../../operators/metrics/metric.ts';
import type { Attribute } from '../../otlp/index.ts';
import { tenantOf } from '../../otlp/tenant.ts';
import { attributeString, formatFloat, prometheusLabelName, prometheusMetricName } from './naming.ts';
import type { Label, TimeSeries } from './remoteWrite.ts';

export interface RollupTranslationOptions {
  /** The label the tenant becomes (none for the default tenant ''). Default `tenant`. */
  tenantLabel: string;
  /** Resource attributes as labels of every series too (the Collector's resource_to_telemetry_conversion). */
  resourceToLabels: boolean;
}

export const DEFAULT_TRANSLATION: RollupTranslationOptions = { tenantLabel: 'tenant', resourceToLabels: false };

// Resource attributes that become job and instance instead of target_info labels.
const SERVICE_NAME = 'service.name';
const SERVICE_NAMESPACE = 'service.namespace';
const SERVICE_INSTANCE = 'service.instance.id';
const IDENTIFYING = new Set([SERVICE_NAME, SERVICE_NAMESPACE, SERVICE_INSTANCE]);

/**
 * Labels from attributes: sanitized names; values of keys that sanitize to the same name are joined with `;` in the
 * order of their original keys (as the Collector does). Empty values are left out (Prometheus reads them as absent).
 */
function attributeLabels(attributes: readonly Attribute[], into: Map<string, string>): void {
  const sorted = [...attributes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const a of sorted) {
    const name = prometheusLabelName(a.key);
    const value = attributeString(a);
    if (name === '' || value === '') continue;
    const had = into.get(name);
    into.set(name, had === undefined ? value : `${had};${value}`);
  }
}

/** job = [service.namespace/]service.name, instance = service.instance.id, when the resource names them. */
function resourceIdentity(resource: readonly Attribute[], into: Map<string, string>): void {
  const get = (key: string) => {
    const a = resource.find((r) => r.key === key);
    return a === undefined ? '' : attributeString(a);
  };
  const name = get(SERVICE_NAME);
  const namespace = get(SERVICE_NAMESPACE);
  const instance = get(SERVICE_INSTANCE);
  if (name !== '') into.set('job', namespace === '' ? name : `${namespace}/${name}`);
  if (instance !== '') into.set('instance', instance);
}

const sorted = (labels: Map<string, string>): Label[] =>
  [...labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value }));

/** The labels every series of an identity carries (attributes, job, instance, tenant), without `__name__`. */
export function identityLabels(identity: SeriesIdentity, tenant: string, options: RollupTranslationOptions = DEFAULT_TRANSLATION): Map<string, string> {
  const labels = new Map<string, string>();
  attributeLabels(options.resourceToLabels ? [...identity.resource, ...identity.attributes] : identity.attributes, labels);
  resourceIdentity(identity.resource, labels);
  if (tenant !== '') labels.set(options.tenantLabel, tenant);
  return labels;
}

/** The labels of an identity's `target_info` series (with `__name__`); undefined when the resource has no attribute beyond job and instance. */
export function targetInfoLabels(identity: SeriesIdentity, tenant: string, options: RollupTranslationOptions = DEFAULT_TRANSLATION): Map<string, string> | undefined {
  const described = identity.resource.filter((a) => !IDENTIFYING.has(a.key));
  if (described.length === 0) return undefined;
  const info = new Map<string, string>();
  attributeLabels(described, info);
  resourceIdentity(identity.resource, info);
  if (tenant !== '') info.set(options.tenantLabel, tenant);
  info.set('__name__', 'target_info');
  return info;
}

/** A metric name a kind writes, and the label whose values come from the data points (`le`, `quantile`), if any. */
export interface KindSeriesName {
  name: string;
  dataLabel?: 'le' | 'quantile';
}

/** The Prometheus metric names `rollupTimeSeries` writes for a kind of metric (the switch below, without the values). */
export function kindSeriesNames(kind: MetricKind, metric: { name: string; unit: string; isMonotonic: boolean }): KindSeriesName[] {
  const { name, unit, isMonotonic } = metric;
  switch (kind) {
    case 'gauge':
      return [{ name: prometheusMetricName({ name, unit, shape: 'gauge' }) }];
    case 'cumulativeSum':
      return [{ name: prometheusMetricName({ name, unit, shape: isMonotonic ? 'counter' : 'other' }) }];
    case 'upDownSum':
    case 'deltaSum':
      return [{ name: prometheusMetricName({ name, unit, shape: 'other' }) }];
    case 'histogram':
    case 'cumulativeHistogram': {
      const base = prometheusMetricName({ name, unit, shape: 'other' });
      return [{ name: `${base}_bucket`, dataLabel: 'le' }, { name: `${base}_sum` }, { name: `${base}_count` }];
    }
    case 'exponentialHistogram':
    case 'cumulativeExponentialHistogram': {
      const base = prometheusMetricName({ name, unit, shape: 'other' });
      return [{ name: `${base}_sum` }, { name: `${base}_count` }];
    }
    case 'summary': {
      const base = prometheusMetricName({ name, unit, shape: 'other' });
      return [{ name: base, dataLabel: 'quantile' }, { name: `${base}_sum` }, { name: `${base}_count` }];
    }
  }
}

/** The time series one rollup partial becomes, each with one sample at the window's end; target_info first. */
export function rollupTimeSeries(item: PartialItem, key: string | null, options: RollupTranslationOptions = DEFAULT_TRANSLATION): TimeSeries[] {
  const { partial, window } = item;
  const identity = partial.identity;
  if (identity === undefined || partial.kind === undefined) return [];
  if (window === undefined) throw new Error('a rollup partial without its window: the Prometheus sink reads items of an otlp_rollup source');
  const timestamp = window.end;
  const tenant = tenantOf(key) ?? '';

  const common = identityLabels(identity, tenant, options);

  const out: TimeSeries[] = [];
  // The resource's other attributes, once per resource and window (a batch's duplicates merge: same labels, same sample).
  const info = targetInfoLabels(identity, tenant, options);
  if (info !== undefined) out.push({ labels: sorted(info), samples: [{ value: 1, timestamp }] });

  const add = (name: string, value: number | null, extra?: [string, string]) => {
    if (value === null) return;
    const labels = new Map(common);
    if (extra) labels.set(extra[0], extra[1]);
    labels.set('__name__', name);
    out.push({ labels: sorted(labels), samples: [{ value, timestamp }] });
  };
  const { name: otelName, unit, isMonotonic } = identity.metric;
  const v: MetricValues = metricValues(partial, []);
  switch (partial.kind) {
    case 'gauge':
      add(prometheusMetricName({ name: otelName, unit, shape: 'gauge' }), v.last);
      break;
    case 'cumulativeSum':
      add(prometheusMetricName({ name: otelName, unit, shape: isMonotonic ? 'counter' : 'other' }), v.last);
      break;
    case 'upDownSum':
      add(prometheusMetricName({ name: otelName, unit, shape: 'other' }), v.last);
      break;
    case 'deltaSum':
      // Not a counter: the window's own sum, which the Collector would drop (it sends cumulative sums only).
      add(prometheusMetricName({ name: otelName, unit, shape: 'other' }), v.sum);
      break;
    case 'histogram':
    case 'cumulativeHistogram': {
      const base = prometheusMetricName({ name: otelName, unit, shape: 'other' });
      if (v.buckets) {
        let running = 0;
        v.buckets.counts.forEach((count, i) => {
          running += count;
          add(`${base}_bucket`, running, ['le', i < v.buckets!.bounds.length ? formatFloat(v.buckets!.bounds[i]) : '+Inf']);
        });
      }
      add(`${base}_sum`, v.sum);
      add(`${base}_count`, v.count);
      break;
    }
    case 'exponentialHistogram':
    case 'cumulativeExponentialHistogram': {
      // Remote write 1.0 has no native histograms: count and sum only.
      const base = prometheusMetricName({ name: otelName, unit, shape: 'other' });
      add(`${base}_sum`, v.sum);
      add(`${base}_count`, v.count);
      break;
    }
    case 'summary': {
      const base = prometheusMetricName({ name: otelName, unit, shape: 'other' });
      for (const q of v.quantiles) add(base, q.value, ['quantile', formatFloat(q.quantile)]);
      add(`${base}_sum`, v.sum);
      add(`${base}_count`, v.count);
      break;
    }
  }
  return out;
}

const seriesKey = (labels: Label[]) => labels.map((l) => `${l.name}\u0000${l.value}`).join('\u0001');

/**
 * Rows (each a partial's series) as one request's series: one entry per label set, samples in time order, one sample
 * per timestamp (the later row wins; a target_info repeated by every metric of a resource collapses).
 */
export function mergeTimeSeries(rows: readonly TimeSeries[][]): TimeSeries[] {
  const bySeries = new Map<string, { labels: Label[]; samples: Map<number, number> }>();
  for (const row of rows) {
    for (const ts of row) {
      const k = seriesKey(ts.labels);
      let entry = bySeries.get(k);
      if (!entry) bySeries.set(k, (entry = { labels: ts.labels, samples: new Map() }));
      for (const s of ts.samples) entry.samples.set(s.timestamp, s.value);
    }
  }
  return [...bySeries.values()].map(({ labels, samples }) => ({
    labels,
    samples: [...samples].sort(([a], [b]) => a - b).map(([timestamp, value]) => ({ timestamp, value })),
  }));
}
