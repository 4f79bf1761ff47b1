// Explicit-bounds histogram points → bucket counts, count, sum, min, max; quantiles by interpolation.
//
// Bounds change rule: points are merged bucket-wise only with points of the same bounds. A partial keeps
// one group per distinct bounds (normally one); it reads as the group whose newest point is the newest
// (ties: the lexicographically larger bounds), and every point of the other groups is counted in
// `boundsChanged` instead of being re-bucketed — re-bucketing into other bounds cannot be exact. Keeping
// the groups (instead of dropping the older ones at once) is what makes merging associative: a later
// partial may bring more points with bounds that an intermediate merge would already have dropped.
// Beyond MAX_BOUNDS_GROUPS distinct bounds in one partial the oldest groups are evicted (counted in
// `evicted`); only then does a merge depend on grouping.
import type { HistogramPoint } from '../../otlp/model.ts';
import { AggregationTemporality } from '../../otlp/model.ts';
import type { Aggregator } from '../aggregators.ts';
import type { Serde } from '../../state/index.ts';
import { ByteReader, ByteWriter, expectVersion } from './bytes.ts';
import { emptyExactSum, exactAdd, exactMerge, exactValue, readExactSum, writeExactSum } from './exactSum.ts';
import type { ExactSum } from './exactSum.ts';
import { hasRecordedValue } from './gauge.ts';
import { compareTime } from './time.ts';
import type { PointTime } from './time.ts';

/** The fields of a histogram point the aggregator reads; `metric` (a decoded point has it) for its temporality. */
export type HistogramPointFields = Pick<
  HistogramPoint,
  'count' | 'sum' | 'bucketCounts' | 'explicitBounds' | 'min' | 'max' | 'timeMs' | 'timeNanos' | 'flags'
> & { metric?: { aggregationTemporality: number } };

/**
 * Whether a point's counts are cumulative (since its start time). Adding those up would be nonsense:
 * they go to `cumulativeHistogramAggregator`, and this aggregator counts them as invalid.
 */
export function isCumulative(point: { metric?: { aggregationTemporality: number } }): boolean {
  return point.metric?.aggregationTemporality === AggregationTemporality.CUMULATIVE;
}

/** Points with the same explicit bounds, merged bucket-wise. */
export interface HistogramBuckets {
  readonly explicitBounds: readonly number[];
  /** explicitBounds.length + 1 counts: (-∞, b0], (b0, b1], …, (b_last, +∞). */
  readonly bucketCounts: readonly number[];
  readonly count: number;
  /** Null once a point without a sum was merged (the sum is then unknown). */
  readonly sum: ExactSum | null;
  /** Null once a point without min (max) was merged. */
  readonly min: number | null;
  readonly max: number | null;
  /** Time of the newest point of this group. */
  readonly newest: PointTime;
}

export interface HistogramAggregate {
  /** Distinct bounds, newest group first. */
  readonly groups: readonly HistogramBuckets[];
  /** Points of groups evicted past MAX_BOUNDS_GROUPS. */
  readonly evicted: number;
  /** Points whose bucket counts do not fit their bounds (or do not add up to count), or cumulative points: not merged. */
  readonly invalid: number;
}

export interface HistogramResult {
  explicitBounds: readonly number[];
  bucketCounts: readonly number[];
  count: number;
  sum: number | undefined;
  min: number | undefined;
  max: number | undefined;
  /** Points not in the result because their bounds differ from the newest point's. */
  boundsChanged: number;
  invalid: number;
}

/** Distinct bounds one partial keeps before evicting the oldest. */
export const MAX_BOUNDS_GROUPS = 4;
// Limits for decoding changelog bytes.
const MAX_BOUNDS = 4096;

export const emptyHistogram: HistogramAggregate = { groups: [], evicted: 0, invalid: 0 };

/** Adds one histogram point (delta temporality: its counts are the observations of its own interval). */
export function addHistogramPoint(acc: HistogramAggregate, point: HistogramPointFields): HistogramAggregate {
  if (!hasRecordedValue(point)) return acc;
  const counts = point.bucketCounts;
  const valid =
    !isCumulative(point) &&
    (counts.length === point.explicitBounds.length + 1 || (counts.length === 0 && point.explicitBounds.length === 0)) &&
    counts.reduce((total, c) => total + c, 0) === (counts.length === 0 ? 0 : point.count) &&
    isStrictlyIncreasing(point.explicitBounds);
  if (!valid) return { ...acc, invalid: acc.invalid + 1 };
  const group: HistogramBuckets = {
    explicitBounds: point.explicitBounds,
    // A point with no buckets (count only) still has the one (-∞, +∞) bucket.
    bucketCounts: counts.length === 0 ? [point.count] : counts,
    count: point.count,
    sum: point.sum === undefined ? null : exactAdd(emptyExactSum, point.sum),
    min: point.min ?? null,
    max: point.max ?? null,
    newest: { timeMs: point.timeMs, timeNanos: point.timeNanos },
  };
  return mergeHistograms(acc, { groups: [group], evicted: 0, invalid: 0 });
}

/** Merges two partials: groups with equal bounds merge bucket-wise, others are kept apart. */
export function mergeHistograms(left: HistogramAggregate, right: HistogramAggregate): HistogramAggregate {
  if (right.groups.length === 0 && right.evicted === 0 && right.invalid === 0) return left;
  if (left.groups.length === 0 && left.evicted === 0 && left.invalid === 0) return right;
  const groups = [...left.groups];
  for (const g of right.groups) {
    const i = groups.findIndex((h) => sameBounds(h.explicitBounds, g.explicitBounds));
    if (i < 0) groups.push(g);
    else groups[i] = mergeBuckets(groups[i], g);
  }
  groups.sort(newestFirst);
  let evicted = left.evicted + right.evicted;
  while (groups.length > MAX_BOUNDS_GROUPS) evicted += (groups.pop() as HistogramBuckets).count;
  return { groups, evicted, invalid: left.invalid + right.invalid };
}

/** Reads a partial: the newest bounds' group, quantiles from `histogramQuantile`. */
export function histogramResult(acc: HistogramAggregate): HistogramResult {
  const [newest, ...others] = acc.groups;
  const boundsChanged = others.reduce((total, g) => total + g.count, acc.evicted);
  if (newest === undefined) {
    return { explicitBounds: [], bucketCounts: [], count: 0, sum: undefined, min: undefined, max: undefined, boundsChanged, invalid: acc.invalid };
  }
  return {
    explicitBounds: newest.explicitBounds,
    bucketCounts: newest.bucketCounts,
    count: newest.count,
    sum: newest.sum === null ? undefined : exactValue(newest.sum),
    min: newest.min ?? undefined,
    max: newest.max ?? undefined,
    boundsChanged,
    invalid: acc.invalid,
  };
}

/**
 * The value at quantile q ∈ [0, 1] by linear interpolation inside the bucket holding the observation of
 * rank ⌈q·count⌉ (at least 1). The open-ended first and last buckets interpolate towards min and max
 * when known and otherwise return their finite bound; the result is clamped to [min, max]. It always lies
 * in the same bucket as the exact quantile, which is the whole error bound. NaN when empty.
 */
export function histogramQuantile(result: Pick<HistogramResult, 'explicitBounds' | 'bucketCounts' | 'count' | 'min' | 'max'>, q: number): number {
  if (result.count === 0 || !(q >= 0 && q <= 1)) return NaN;
  const bounds = result.explicitBounds;
  const rank = Math.max(1, Math.ceil(q * result.count));
  let below = 0;
  let i = 0;
  while (i < result.bucketCounts.length - 1 && below + result.bucketCounts[i] < rank) below += result.bucketCounts[i++];
  const inBucket = result.bucketCounts[i];
  let lower = i === 0 ? (result.min ?? bounds[0]) : bounds[i - 1];
  let upper = i === bounds.length ? (result.max ?? bounds[i - 1]) : bounds[i];
  if (lower === undefined || upper === undefined) return NaN; // no bounds and no min/max: nothing to say
  if (result.min !== undefined) lower = Math.max(lower, result.min);
  if (result.max !== undefined) upper = Math.min(upper, result.max);
  if (upper < lower) upper = lower;
  const estimate = lower + ((upper - lower) * (rank - below)) / inBucket;
  return Math.min(Math.max(estimate, lower), upper);
}

const HISTOGRAM_FORMAT = 1;

export const histogramSerde: Serde<HistogramAggregate> = {
  serialize(acc) {
    const out = new ByteWriter();
    out.uvarint(HISTOGRAM_FORMAT);
    out.uvarint(acc.evicted);
    out.uvarint(acc.invalid);
    out.uvarint(acc.groups.length);
    for (const g of acc.groups) {
      out.uvarint(g.explicitBounds.length);
      for (const b of g.explicitBounds) out.float64(b);
      for (const c of g.bucketCounts) out.uvarint(c);
      out.uvarint(g.count);
      writeOptionalSum(out, g.sum);
      writeOptional(out, g.min);
      writeOptional(out, g.max);
      out.int(g.newest.timeMs);
      out.uvarint(g.newest.timeNanos);
    }
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'histogram aggregate');
    expectVersion(input, HISTOGRAM_FORMAT);
    const evicted = input.uvarint();
    const invalid = input.uvarint();
    const n = input.length(MAX_BOUNDS_GROUPS, 4);
    const groups: HistogramBuckets[] = [];
    for (let k = 0; k < n; k++) {
      const boundsLength = input.length(MAX_BOUNDS, 9);
      const explicitBounds: number[] = [];
      for (let i = 0; i < boundsLength; i++) explicitBounds.push(input.float64());
      if (!isStrictlyIncreasing(explicitBounds)) throw input.error('bounds not strictly increasing');
      const bucketCounts: number[] = [];
      for (let i = 0; i <= boundsLength; i++) bucketCounts.push(input.uvarint());
      const count = input.uvarint();
      if (bucketCounts.reduce((t, c) => t + c, 0) !== count) throw input.error('bucket counts do not add up to count');
      const sum = readOptionalSum(input);
      const min = readOptional(input);
      const max = readOptional(input);
      const timeMs = input.int();
      const timeNanos = input.uvarint();
      if (timeNanos > 999_999) throw input.error(`nanos ${timeNanos} above 999999`);
      groups.push({ explicitBounds, bucketCounts, count, sum, min, max, newest: { timeMs, timeNanos } });
    }
    input.end();
    return { groups, evicted, invalid };
  },
};

/** Explicit-bounds histogram points (delta): bucket-wise merge, count, sum, min, max. */
export function histogramAggregator(): Aggregator<HistogramPointFields, HistogramAggregate> {
  return { init: () => emptyHistogram, add: addHistogramPoint, merge: mergeHistograms, serde: histogramSerde };
}

function mergeBuckets(a: HistogramBuckets, b: HistogramBuckets): HistogramBuckets {
  return {
    explicitBounds: a.explicitBounds,
    bucketCounts: a.bucketCounts.map((c, i) => c + b.bucketCounts[i]),
    count: a.count + b.count,
    sum: a.sum === null || b.sum === null ? null : exactMerge(a.sum, b.sum),
    min: a.min === null || b.min === null ? null : Math.min(a.min, b.min),
    max: a.max === null || b.max === null ? null : Math.max(a.max, b.max),
    newest: compareTime(b.newest, a.newest) > 0 ? b.newest : a.newest,
  };
}

function newestFirst(a: HistogramBuckets, b: HistogramBuckets): number {
  return compareTime(b.newest, a.newest) || compareBounds(b.explicitBounds, a.explicitBounds);
}

function compareBounds(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function isStrictlyIncreasing(bounds: readonly number[]): boolean {
  return bounds.every((b, i) => !Number.isNaN(b) && (i === 0 || bounds[i - 1] < b));
}

export function writeOptional(out: ByteWriter, value: number | null): void {
  out.uvarint(value === null ? 0 : 1);
  if (value !== null) out.float64(value);
}

export function readOptional(input: ByteReader): number | null {
  const present = input.byte();
  if (present > 1) throw input.error(`bad presence byte ${present}`);
  return present === 1 ? input.float64() : null;
}

export function writeOptionalSum(out: ByteWriter, sum: ExactSum | null): void {
  out.uvarint(sum === null ? 0 : 1);
  if (sum !== null) writeExactSum(out, sum);
}

export function readOptionalSum(input: ByteReader): ExactSum | null {
  const present = input.byte();
  if (present > 1) throw input.error(`bad presence byte ${present}`);
  return present === 1 ? readExactSum(input) : null;
}
