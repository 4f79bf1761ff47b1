// A rollup partial as one Parquet row: the series' identity (tenant, id, metric, labels) beside its window and the
// aggregates of its kind — the named values of the Rollup record (schemas/avro/Rollup.avsc), without the partial.
import { metricValues, type MetricKind, type PartialItem } from '../../operators/metrics/metric.ts';
import { toAvroIdentity } from '../../operators/metrics/identity.ts';
import { OVERFLOW_ATTRIBUTE } from '../../operators/metrics/rollupRecord.ts';
import { attributeText, idOf, tenantOf, type Attribute } from '../../otlp/index.ts';

/** One series and window, as the Parquet files hold it (column names are the properties). */
export interface RollupRow {
  tenant: string;
  series: string;
  metric: string;
  description: string;
  unit: string;
  /** GAUGE, SUM, HISTOGRAM, EXPONENTIAL_HISTOGRAM, SUMMARY. */
  type: string;
  /** How the window aggregated it: GAUGE, CUMULATIVE_SUM, DELTA_SUM, UP_DOWN_SUM, HISTOGRAM, … (as in Rollup records). */
  kind: string;
  temporality: string;
  monotonic: boolean;
  /** Point attributes, values as text (arrays and maps as JSON). */
  attributes: Map<string, string>;
  resource: Map<string, string>;
  scope_name: string;
  scope_version: string;
  /** Epoch ms; a timestamp column (UTC). */
  window_start: number;
  window_end: number;
  points: number | null;
  count: number | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  avg: number | null;
  last: number | null;
  last_time: number | null;
  increase: number | null;
  rate: number | null;
  resets: number | null;
  quantiles: { quantile: number; value: number }[];
  bucket_bounds: number[] | null;
  bucket_counts: number[] | null;
  exponential: { scale: number; zero_count: number; positive_offset: number; positive: number[]; negative_offset: number; negative: number[] } | null;
  /** The series is the overflow series of a cardinality limit. */
  overflow: boolean;
  conflicts: number;
}

const upperSnake = (kind: MetricKind) => kind.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();


const textMap = (attributes: readonly Attribute[]) => new Map(attributes.map((a) => [a.key, attributeText(a)]));

/**
 * The row of a rollup partial read from a level's topic: `key` names tenant and series, `windowStart` is the record's
 * time (the rollup source dates items at their window start), `windowMs` the level's window size.
 */
export function rollupRow(item: PartialItem, key: string, windowStart: number, windowMs: number, quantiles: readonly number[]): RollupRow {
  const { partial } = item;
  if (partial.identity === undefined || partial.kind === undefined) throw new Error(`rollup item of ${key} has no identity or kind`);
  const tenant = tenantOf(key) ?? '';
  const id = toAvroIdentity(partial.identity, tenant);
  const v = metricValues(partial, quantiles);
  return {
    tenant,
    series: idOf(key),
    metric: id.name,
    description: id.description,
    unit: id.unit,
    type: id.type,
    kind: upperSnake(partial.kind),
    temporality: id.temporality,
    monotonic: id.monotonic,
    attributes: textMap(partial.identity.attributes),
    resource: textMap(partial.identity.resource),
    scope_name: id.scope.name,
    scope_version: id.scope.version,
    window_start: windowStart,
    window_end: windowStart + windowMs,
    points: v.points,
    count: v.count,
    sum: v.sum,
    min: v.min,
    max: v.max,
    avg: v.avg,
    last: v.last,
    last_time: v.lastTimeMs,
    increase: v.increase,
    rate: v.rate,
    resets: v.resets,
    quantiles: v.quantiles,
    bucket_bounds: v.buckets?.bounds ?? null,
    bucket_counts: v.buckets?.counts ?? null,
    exponential: v.exponential && {
      scale: v.exponential.scale,
      zero_count: v.exponential.zeroCount,
      positive_offset: v.exponential.positiveOffset,
      positive: v.exponential.positive,
      negative_offset: v.exponential.negativeOffset,
      negative: v.exponential.negative,
    },
    overflow: partial.identity.attributes.some((a) => a.key === OVERFLOW_ATTRIBUTE),
    conflicts: partial.conflicts,
  };
}
