// One aggregator for every OTLP metric type: a series' first point picks the aggregation (its kind) from the metric's
// type, temporality and monotonicity, and the partial carries the series identity, so a window result says what it
// is. The same aggregator merges the partials of a lower rollup level (an item `{ partial }`), which is how 5m, 1h and
// 1d are computed from 1m, 5m and 1h: the partials merge exactly (docs/metrics.md).
import type { MetricPoint } from '../../otlp/index.ts';
import type { Serde } from '../../state/index.ts';
import type { Aggregator } from '../aggregators.ts';
import { ByteReader, ByteWriter, expectVersion } from './bytes.ts';
import { compactCumulativeExponentialHistogram, cumulativeExponentialHistogramAggregator, cumulativeExponentialHistogramResult } from './cumulativeExponentialHistogram.ts';
import { compactCumulativeHistogram, cumulativeHistogramAggregator, cumulativeHistogramResult } from './cumulativeHistogram.ts';
import { exponentialHistogramAggregator, exponentialHistogramQuantile, exponentialHistogramResult, type ExponentialHistogramAggregate, type ExponentialHistogramResult } from './exponentialHistogram.ts';
import { DEFAULT_QUANTILES, gaugeAggregator, gaugeResult, type GaugeAggregate } from './gauge.ts';
import { histogramAggregator, histogramQuantile, histogramResult, isCumulative, type HistogramResult } from './histogram.ts';
import { identityBytes, identityOf, identitySerde, type SeriesIdentity } from './identity.ts';
import { compactCumulativeSum, cumulativeSumAggregator, cumulativeSumResult, deltaSumAggregator, sumAggregateKind, upDownSumAggregator, type DeltaSumAggregate, type UpDownSumAggregate } from './sum.ts';
import { exactValue } from './exactSum.ts';
import { summaryPointAggregator, type SummaryPointAggregate } from './summary.ts';

/** How a series' points are aggregated. */
export type MetricKind =
  | 'gauge'
  | 'cumulativeSum'
  | 'deltaSum'
  | 'upDownSum'
  | 'histogram'
  | 'cumulativeHistogram'
  | 'exponentialHistogram'
  | 'cumulativeExponentialHistogram'
  | 'summary';

export const METRIC_KINDS: readonly MetricKind[] = [
  'gauge',
  'cumulativeSum',
  'deltaSum',
  'upDownSum',
  'histogram',
  'cumulativeHistogram',
  'exponentialHistogram',
  'cumulativeExponentialHistogram',
  'summary',
];

/** The aggregation a point's metric asks for. */
export function metricKind(point: { type: MetricPoint['type']; metric: { aggregationTemporality: number; isMonotonic: boolean } }): MetricKind {
  switch (point.type) {
    case 'gauge':
      return 'gauge';
    case 'sum': {
      const kind = sumAggregateKind(point.metric);
      return kind === 'cumulative' ? 'cumulativeSum' : kind === 'delta' ? 'deltaSum' : 'upDownSum';
    }
    case 'histogram':
      return isCumulative(point) ? 'cumulativeHistogram' : 'histogram';
    case 'exponentialHistogram':
      return isCumulative(point) ? 'cumulativeExponentialHistogram' : 'exponentialHistogram';
    case 'summary':
      return 'summary';
  }
}

/** A series' partial over a window: its identity, its kind and the kind's mergeable aggregate. */
export interface MetricPartial {
  /** Undefined only before the first point. */
  readonly identity: SeriesIdentity | undefined;
  readonly kind: MetricKind | undefined;
  readonly aggregate: unknown;
  /** Points and partials of another kind than the series' first (e.g. its temporality changed): counted, not merged. */
  readonly conflicts: number;
}

/** An item of a rollup level above 1m: a final partial of the level below. */
export interface PartialItem {
  readonly partial: MetricPartial;
  /** The window the partial covers, when read from a Rollup record (sinks stamp samples with it). */
  readonly window?: RollupWindow;
}

/** A Rollup record's window: [start, end) in ms since the epoch, and its resolution (1m, 5m, …). */
export interface RollupWindow {
  readonly start: number;
  readonly end: number;
  readonly resolution: string;
}

export type MetricInput = MetricPoint | PartialItem;

/** Options of `metricAggregator`. */
export interface MetricAggregatorOptions {
  /** Sketch gauge values for quantiles (DDSketch, 1 %); off saves state and time when no quantile is wanted. Default true. */
  sketch?: boolean;
}

interface KindOps {
  aggregator: Aggregator<never, unknown>;
  /** A final partial of the level below is complete: cumulative runs join into one before merging. */
  compact?: (aggregate: never) => unknown;
}

function kindTable(options: MetricAggregatorOptions): Record<MetricKind, KindOps> {
  const ops = <V, A>(aggregator: Aggregator<V, A>, compact?: (a: A) => A): KindOps => ({ aggregator: aggregator as unknown as Aggregator<never, unknown>, compact: compact as KindOps['compact'] });
  return {
    gauge: ops(gaugeAggregator({ sketch: options.sketch !== false })),
    cumulativeSum: ops(cumulativeSumAggregator(), compactCumulativeSum),
    deltaSum: ops(deltaSumAggregator()),
    upDownSum: ops(upDownSumAggregator()),
    histogram: ops(histogramAggregator()),
    cumulativeHistogram: ops(cumulativeHistogramAggregator(), compactCumulativeHistogram),
    exponentialHistogram: ops(exponentialHistogramAggregator()),
    cumulativeExponentialHistogram: ops(cumulativeExponentialHistogramAggregator(), compactCumulativeExponentialHistogram),
    summary: ops(summaryPointAggregator()),
  };
}

const defaultKinds = kindTable({});

/** The changelog encoding of a kind's aggregate (rollup records carry it as `partial`). */
export function aggregateSerde(kind: MetricKind): Serde<unknown> {
  return defaultKinds[kind].aggregator.serde as Serde<unknown>;
}

export const emptyMetricPartial: MetricPartial = { identity: undefined, kind: undefined, aggregate: undefined, conflicts: 0 };

const FORMAT = 1;

/** Aggregates the points of any OTLP metric type, or merges partials of the level below. */
export function metricAggregator(options: MetricAggregatorOptions = {}): Aggregator<MetricInput, MetricPartial> {
  const kinds = kindTable(options);

  const merge = (left: MetricPartial, right: MetricPartial): MetricPartial => {
    if (right.kind === undefined) return left.conflicts === 0 && right.conflicts === 0 ? left : { ...left, conflicts: left.conflicts + right.conflicts };
    if (left.kind === undefined) return left.conflicts === 0 ? right : { ...right, conflicts: left.conflicts + right.conflicts };
    if (left.kind !== right.kind) return { ...left, conflicts: left.conflicts + right.conflicts + 1 };
    const merged = kinds[left.kind].aggregator.merge!(left.aggregate as never, right.aggregate as never);
    return { identity: left.identity, kind: left.kind, aggregate: merged, conflicts: left.conflicts + right.conflicts };
  };

  const addPoint = (acc: MetricPartial, point: MetricPoint, timestamp: number): MetricPartial => {
    const kind = metricKind(point);
    if (acc.kind !== undefined && acc.kind !== kind) return { ...acc, conflicts: acc.conflicts + 1 };
    const { aggregator } = kinds[kind];
    const before = acc.kind === undefined ? aggregator.init() : acc.aggregate;
    return { identity: acc.identity ?? identityOf(point), kind, aggregate: aggregator.add(before as never, point as never, timestamp), conflicts: acc.conflicts };
  };

  const serde: Serde<MetricPartial> = {
    serialize(partial) {
      // Room for the identity and a small aggregate without growing.
      const out = new ByteWriter(1024);
      out.uvarint(FORMAT);
      out.uvarint(partial.conflicts);
      if (partial.kind === undefined || partial.identity === undefined) {
        out.uvarint(0);
        return out.finish();
      }
      out.uvarint(METRIC_KINDS.indexOf(partial.kind) + 1);
      out.nested(identityBytes(partial.identity));
      out.nested(kinds[partial.kind].aggregator.serde!.serialize(partial.aggregate as never));
      return out.finish();
    },
    deserialize(bytes) {
      const input = new ByteReader(bytes, 'metric partial');
      expectVersion(input, FORMAT);
      const conflicts = input.uvarint();
      const code = input.uvarint();
      if (code > METRIC_KINDS.length) throw input.error(`metric kind ${code} outside [0, ${METRIC_KINDS.length}]`);
      if (code === 0) {
        input.end();
        return { ...emptyMetricPartial, conflicts };
      }
      const kind = METRIC_KINDS[code - 1];
      const identity = identitySerde.deserialize(input.nested());
      const aggregate = kinds[kind].aggregator.serde!.deserialize(input.nested());
      input.end();
      return { identity, kind, aggregate, conflicts };
    },
  };

  return {
    init: () => emptyMetricPartial,
    add(acc, item, timestamp) {
      if ('partial' in item) {
        const p = item.partial;
        const compact = p.kind === undefined ? undefined : kinds[p.kind].compact;
        return merge(acc, compact ? { ...p, aggregate: compact(p.aggregate as never) } : p);
      }
      return addPoint(acc, item, timestamp);
    },
    merge,
    serde,
  };
}

/** What a partial reads as: the Rollup record's named aggregates (schemas/avro/Rollup.avsc). Null where a kind has none. */
export interface MetricValues {
  /** Null for delta histograms, which count observations, not points. */
  points: number | null;
  count: number | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  avg: number | null;
  last: number | null;
  lastTimeMs: number | null;
  increase: number | null;
  rate: number | null;
  resets: number | null;
  quantiles: { quantile: number; value: number }[];
  buckets: { bounds: number[]; counts: number[] } | null;
  exponential: { scale: number; zeroCount: number; positiveOffset: number; positive: number[]; negativeOffset: number; negative: number[] } | null;
}

const NONE: MetricValues = {
  points: 0,
  count: null,
  sum: null,
  min: null,
  max: null,
  avg: null,
  last: null,
  lastTimeMs: null,
  increase: null,
  rate: null,
  resets: null,
  quantiles: [],
  buckets: null,
  exponential: null,
};

const orNull = (n: number | undefined): number | null => (n === undefined ? null : n);

function histogramValues(r: HistogramResult, points: number | null, quantiles: readonly number[]): MetricValues {
  return {
    ...NONE,
    points,
    count: r.count,
    sum: orNull(r.sum),
    min: orNull(r.min),
    max: orNull(r.max),
    avg: r.sum === undefined || r.count === 0 ? null : r.sum / r.count,
    quantiles: r.count === 0 ? [] : quantiles.map((q) => ({ quantile: q, value: histogramQuantile(r, q) })),
    buckets: { bounds: [...r.explicitBounds], counts: [...r.bucketCounts] },
  };
}

function exponentialValues(r: ExponentialHistogramResult, points: number | null, quantiles: readonly number[]): MetricValues {
  // The quantile search reads buckets, zero count and finite min/max; a result has them (undefined min/max: unknown).
  const quantile = (q: number) => exponentialHistogramQuantile({ ...r, sum: null, min: r.min ?? null, max: r.max ?? null }, q);
  return {
    ...NONE,
    points,
    count: r.count,
    sum: orNull(r.sum),
    min: orNull(r.min),
    max: orNull(r.max),
    avg: r.sum === undefined || r.count === 0 ? null : r.sum / r.count,
    quantiles: r.count === 0 ? [] : quantiles.map((q) => ({ quantile: q, value: quantile(q) })),
    exponential: {
      scale: r.scale,
      zeroCount: r.zeroCount,
      positiveOffset: r.positive.offset,
      positive: [...r.positive.bucketCounts],
      negativeOffset: r.negative.offset,
      negative: [...r.negative.bucketCounts],
    },
  };
}

/** Reads a partial's aggregates; `quantiles` are those reported for gauges and histograms. */
export function metricValues(partial: MetricPartial, quantiles: readonly number[] = DEFAULT_QUANTILES): MetricValues {
  const a = partial.aggregate;
  switch (partial.kind) {
    case undefined:
      return NONE;
    case 'gauge': {
      const g = a as GaugeAggregate;
      const r = gaugeResult(g, quantiles);
      const sketched = g.sketch.count > 0;
      return {
        ...NONE,
        points: r.count,
        count: r.count,
        sum: r.sum,
        min: r.count === 0 ? null : r.min,
        max: r.count === 0 ? null : r.max,
        avg: r.count === 0 ? null : r.avg,
        last: r.last?.value ?? null,
        lastTimeMs: r.last?.timeMs ?? null,
        quantiles: sketched ? [...r.quantiles].map(([quantile, value]) => ({ quantile, value })) : [],
      };
    }
    case 'cumulativeSum': {
      const r = cumulativeSumResult(a as never);
      return { ...NONE, points: r.points, increase: r.increase, rate: Number.isNaN(r.rate) ? null : r.rate, resets: r.resets, last: r.last?.value ?? null, lastTimeMs: r.last?.timeMs ?? null };
    }
    case 'deltaSum': {
      const d = a as DeltaSumAggregate;
      return { ...NONE, points: d.points, sum: exactValue(d.sum) };
    }
    case 'upDownSum': {
      const u = a as UpDownSumAggregate;
      const empty = u.points === 0;
      return { ...NONE, points: u.points, min: empty ? null : u.min, max: empty ? null : u.max, last: u.last?.value ?? null, lastTimeMs: u.last?.timeMs ?? null };
    }
    case 'histogram': {
      const r = histogramResult(a as never);
      return histogramValues(r, null, quantiles);
    }
    case 'cumulativeHistogram': {
      const r = cumulativeHistogramResult(a as never);
      return { ...histogramValues(r, r.points, quantiles), resets: r.resets };
    }
    case 'exponentialHistogram': {
      const r = exponentialHistogramResult(a as ExponentialHistogramAggregate);
      return exponentialValues(r, null, quantiles);
    }
    case 'cumulativeExponentialHistogram': {
      const r = cumulativeExponentialHistogramResult(a as never);
      return { ...exponentialValues(r, r.points, quantiles), resets: r.resets };
    }
    case 'summary': {
      const s = a as SummaryPointAggregate;
      const last = s.last;
      return {
        ...NONE,
        points: s.points,
        count: last?.count ?? null,
        sum: last?.sum ?? null,
        lastTimeMs: last?.timeMs ?? null,
        quantiles: last ? last.quantileValues.map((q) => ({ quantile: q.quantile, value: q.value })) : [],
      };
    }
  }
}
