// Window results of the `metric` aggregate as Rollup records (schemas/avro/Rollup.avsc), and back: the readable
// aggregates for any consumer, the identity that names the series, and the partial the next level merges exactly.
import { AvroCodec, loadAvroSchema } from '../../kafka/avro.ts';
import { tenantOf } from '../../otlp/tenant.ts';
import type { WindowResult } from '../windowOutput.ts';
import { fromAvroIdentity, toAvroIdentity, type AvroSeriesIdentity } from './identity.ts';
import { aggregateSerde, METRIC_KINDS, metricValues, type MetricKind, type MetricPartial, type PartialItem } from './metric.ts';

/** The attribute that marks the series new series of a metric fold into past its cardinality limit. */
export const OVERFLOW_ATTRIBUTE = 'otel.metric.overflow';

type AvroKind = 'GAUGE' | 'CUMULATIVE_SUM' | 'DELTA_SUM' | 'UP_DOWN_SUM' | 'HISTOGRAM' | 'CUMULATIVE_HISTOGRAM' | 'EXPONENTIAL_HISTOGRAM' | 'CUMULATIVE_EXPONENTIAL_HISTOGRAM' | 'SUMMARY';

// metricKind names in camelCase ↔ the schema's enum symbols.
const toAvroKind = (kind: MetricKind) => kind.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase() as AvroKind;
const FROM_AVRO_KIND = new Map(METRIC_KINDS.map((k) => [toAvroKind(k), k]));

type Nullable<T> = null | T;

/** A Rollup record as avsc reads and writes it (wrapped unions). */
export interface RollupRecord {
  series: string;
  identity: AvroSeriesIdentity;
  window_start: number;
  window_end: number;
  resolution: string;
  kind: AvroKind;
  points: Nullable<{ long: number }>;
  count: Nullable<{ long: number }>;
  sum: Nullable<{ double: number }>;
  min: Nullable<{ double: number }>;
  max: Nullable<{ double: number }>;
  avg: Nullable<{ double: number }>;
  last: Nullable<{ double: number }>;
  last_time: Nullable<{ long: number }>;
  increase: Nullable<{ double: number }>;
  rate: Nullable<{ double: number }>;
  resets: Nullable<{ long: number }>;
  quantiles: { quantile: number; value: number }[];
  buckets: Nullable<{ 'otlp_streams.ExplicitBuckets': { bounds: number[]; counts: number[] } }>;
  exponential: Nullable<{
    'otlp_streams.ExponentialBuckets': { scale: number; zero_count: number; positive_offset: number; positive: number[]; negative_offset: number; negative: number[] };
  }>;
  overflow: boolean;
  conflicts: number;
  partial: Buffer;
}

// The window size as the rollup topics name their levels: 1m, 5m, 1h, 1d.
const UNITS: readonly [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
function resolutionOf(ms: number): string {
  const unit = UNITS.find(([, size]) => ms % size === 0);
  return unit ? `${ms / unit[1]}${unit[0]}` : `${ms}ms`;
}

const double = (n: number | null) => (n === null ? null : { double: n });
const long = (n: number | null) => (n === null ? null : { long: n });

/** The codec of a rollup topic's values. */
export function rollupCodec(topic: string): AvroCodec<RollupRecord> {
  return new AvroCodec<RollupRecord>(topic, loadAvroSchema('Rollup'));
}

/** A window result as its Rollup record; an empty partial (no point had a kind) has none. */
export function toRollupRecord(result: WindowResult<string, MetricPartial>, quantiles?: readonly number[]): RollupRecord | undefined {
  const partial = result.aggregate;
  if (partial.kind === undefined || partial.identity === undefined) return undefined;
  const v = metricValues(partial, quantiles);
  const bytes = aggregateSerde(partial.kind).serialize(partial.aggregate);
  return {
    series: result.key,
    identity: toAvroIdentity(partial.identity, tenantOf(result.key) ?? ''),
    window_start: result.window.start,
    window_end: result.window.end,
    resolution: resolutionOf(result.window.end - result.window.start),
    kind: toAvroKind(partial.kind),
    points: long(v.points),
    count: long(v.count),
    sum: double(v.sum),
    min: double(v.min),
    max: double(v.max),
    avg: double(v.avg),
    last: double(v.last),
    last_time: long(v.lastTimeMs),
    increase: double(v.increase),
    rate: double(v.rate),
    resets: long(v.resets),
    quantiles: v.quantiles,
    buckets: v.buckets ? { 'otlp_streams.ExplicitBuckets': v.buckets } : null,
    exponential: v.exponential
      ? {
          'otlp_streams.ExponentialBuckets': {
            scale: v.exponential.scale,
            zero_count: v.exponential.zeroCount,
            positive_offset: v.exponential.positiveOffset,
            positive: v.exponential.positive,
            negative_offset: v.exponential.negativeOffset,
            negative: v.exponential.negative,
          },
        }
      : null,
    overflow: partial.identity.attributes.some((a) => a.key === OVERFLOW_ATTRIBUTE),
    conflicts: partial.conflicts,
    partial: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  };
}

/** A Rollup record as the partial the next level merges. Throws (a dead letter) when its partial does not decode. */
export function fromRollupRecord(record: RollupRecord): PartialItem {
  const kind = FROM_AVRO_KIND.get(record.kind);
  if (kind === undefined) throw new Error(`rollup record of ${record.series}: unknown kind ${record.kind}`);
  return { partial: { identity: fromAvroIdentity(record.identity), kind, aggregate: aggregateSerde(kind).deserialize(record.partial), conflicts: record.conflicts } };
}
