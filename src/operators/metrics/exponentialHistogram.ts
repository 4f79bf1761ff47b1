// Exponential histogram points → merged buckets, zero count, count, sum, min, max; quantiles.
//
// Bucket i at scale s holds values in (base^i, base^(i+1)] with base = 2^(2^-s); the negative buckets do
// the same for |value|. Merging downscales both sides to the smaller scale (index i → ⌊i / 2^(s − s')⌋,
// which composes, so downscaling in steps equals downscaling at once), then keeps lowering the scale until
// each sign's buckets span at most MAX_BUCKETS. Buckets are kept trimmed (no empty first or last bucket),
// so the resulting scale depends only on the set of non-empty buckets: merging is exact, associative and
// commutative. Zero threshold: the larger one is kept; buckets under it are not moved into the zero count
// (an SDK's default threshold is 0, so this only matters for producers that configure one).
import type { ExponentialHistogramPoint } from '../../otlp/model.ts';
import type { Aggregator } from '../aggregators.ts';
import type { Serde } from '../../state/index.ts';
import { ByteReader, ByteWriter, expectVersion } from './bytes.ts';
import { emptyExactSum, exactAdd, exactMerge, exactValue } from './exactSum.ts';
import type { ExactSum } from './exactSum.ts';
import { hasRecordedValue } from './gauge.ts';
import { isCumulative, readOptional, readOptionalSum, writeOptional, writeOptionalSum } from './histogram.ts';

/** The fields of an exponential histogram point the aggregator reads. */
export type ExponentialHistogramPointFields = Pick<
  ExponentialHistogramPoint,
  'count' | 'sum' | 'scale' | 'zeroCount' | 'zeroThreshold' | 'min' | 'max' | 'flags'
> & { positive: ExponentialBucketRun; negative: ExponentialBucketRun; metric?: { aggregationTemporality: number } };

/** Buckets of one sign: bucketCounts[k] is bucket index offset + k. */
export interface ExponentialBucketRun {
  readonly offset: number;
  readonly bucketCounts: readonly number[];
}

export interface ExponentialHistogramAggregate {
  readonly scale: number;
  readonly zeroCount: number;
  readonly zeroThreshold: number;
  readonly positive: ExponentialBucketRun;
  readonly negative: ExponentialBucketRun;
  readonly count: number;
  /** Null once a point without a sum (min, max) was merged. */
  readonly sum: ExactSum | null;
  readonly min: number | null;
  readonly max: number | null;
  /** Points whose counts do not add up, whose scale is outside [-10, 20] or whose buckets no double falls in, or cumulative points: not merged. */
  readonly invalid: number;
}

/** Scales OTLP allows. */
export const MIN_SCALE = -10;
export const MAX_SCALE = 20;
/** Most buckets per sign a partial keeps (the OpenTelemetry SDKs' default maximum size). */
export const MAX_BUCKETS = 160;

const noBuckets: ExponentialBucketRun = { offset: 0, bucketCounts: [] };

export const emptyExponentialHistogram: ExponentialHistogramAggregate = {
  scale: MAX_SCALE,
  zeroCount: 0,
  zeroThreshold: 0,
  positive: noBuckets,
  negative: noBuckets,
  count: 0,
  sum: emptyExactSum,
  min: Infinity,
  max: -Infinity,
  invalid: 0,
};

/** Adds one point (delta temporality). */
export function addExponentialHistogramPoint(acc: ExponentialHistogramAggregate, point: ExponentialHistogramPointFields): ExponentialHistogramAggregate {
  if (!hasRecordedValue(point)) return acc;
  const total = (run: ExponentialBucketRun) => run.bucketCounts.reduce((t, c) => t + c, 0);
  const valid =
    !isCumulative(point) &&
    Number.isInteger(point.scale) &&
    point.scale >= MIN_SCALE &&
    point.scale <= MAX_SCALE &&
    point.zeroCount + total(point.positive) + total(point.negative) === point.count &&
    point.zeroThreshold >= 0 &&
    indexesInRange(point.positive, point.scale) &&
    indexesInRange(point.negative, point.scale);
  if (!valid) return { ...acc, invalid: acc.invalid + 1 };
  if (point.count === 0) return acc; // an empty point carries nothing, not even its scale
  // Not mergeExponentialHistograms: an empty `acc` must not skip fitting the point into MAX_BUCKETS.
  return combine(acc, {
    scale: point.scale,
    zeroCount: point.zeroCount,
    zeroThreshold: point.zeroThreshold,
    positive: trim(point.positive),
    negative: trim(point.negative),
    count: point.count,
    sum: point.sum === undefined ? null : exactAdd(emptyExactSum, point.sum),
    min: point.min ?? null,
    max: point.max ?? null,
    invalid: 0,
  });
}

export function mergeExponentialHistograms(left: ExponentialHistogramAggregate, right: ExponentialHistogramAggregate): ExponentialHistogramAggregate {
  if (right.count === 0 && right.invalid === 0) return left;
  if (left.count === 0 && left.invalid === 0) return right;
  return combine(left, right);
}

function combine(left: ExponentialHistogramAggregate, right: ExponentialHistogramAggregate): ExponentialHistogramAggregate {
  let scale = Math.min(left.scale, right.scale);
  while (scale > MIN_SCALE && (span(left.positive, left.scale, right.positive, right.scale, scale) > MAX_BUCKETS || span(left.negative, left.scale, right.negative, right.scale, scale) > MAX_BUCKETS)) {
    scale--;
  }
  return {
    scale,
    zeroCount: left.zeroCount + right.zeroCount,
    zeroThreshold: Math.max(left.zeroThreshold, right.zeroThreshold),
    positive: mergeRuns(left.positive, left.scale, right.positive, right.scale, scale),
    negative: mergeRuns(left.negative, left.scale, right.negative, right.scale, scale),
    count: left.count + right.count,
    sum: left.sum === null || right.sum === null ? null : exactMerge(left.sum, right.sum),
    min: left.min === null || right.min === null ? null : Math.min(left.min, right.min),
    max: left.max === null || right.max === null ? null : Math.max(left.max, right.max),
    invalid: left.invalid + right.invalid,
  };
}

/** The bucket index of a positive finite value at a scale: base^i < value ≤ base^(i+1). */
export function exponentialBucketIndex(value: number, scale: number): number {
  return Math.ceil(Math.log2(value) * 2 ** scale) - 1;
}

/** Lower bound base^index of a bucket (its upper bound is the next index's lower bound). */
export function exponentialBucketLowerBound(index: number, scale: number): number {
  return 2 ** (index / 2 ** scale);
}

/**
 * The value at quantile q ∈ [0, 1]: the bucket holding the observation of rank ⌈q·count⌉ (at least 1),
 * interpolated log-linearly inside it and clamped to [min, max]. It lies in the exact quantile's bucket,
 * so its relative error is below base − 1 (2^(2^-scale) − 1, e.g. 4.4 % at scale 4). 0 for the zero bucket.
 */
export function exponentialHistogramQuantile(acc: ExponentialHistogramAggregate, q: number): number {
  const buckets = acc.zeroCount + runTotal(acc.positive) + runTotal(acc.negative);
  if (buckets === 0 || !(q >= 0 && q <= 1)) return NaN;
  const rank = Math.max(1, Math.ceil(q * buckets));
  let below = 0;
  let estimate = 0;
  const negative = acc.negative.bucketCounts;
  const positive = acc.positive.bucketCounts;
  search: {
    // Negative buckets from the most negative value (largest magnitude index) up.
    for (let k = negative.length - 1; k >= 0; k--) {
      if (below + negative[k] >= rank) {
        estimate = -interpolate(acc.negative.offset + k, acc.scale, 1 - (rank - below) / negative[k]);
        break search;
      }
      below += negative[k];
    }
    if (below + acc.zeroCount >= rank) break search;
    below += acc.zeroCount;
    for (let k = 0; k < positive.length; k++) {
      if (below + positive[k] >= rank) {
        estimate = interpolate(acc.positive.offset + k, acc.scale, (rank - below) / positive[k]);
        break search;
      }
      below += positive[k];
    }
  }
  if (acc.min !== null && Number.isFinite(acc.min)) estimate = Math.max(estimate, acc.min);
  if (acc.max !== null && Number.isFinite(acc.max)) estimate = Math.min(estimate, acc.max);
  return estimate;
}

export interface ExponentialHistogramResult extends Omit<ExponentialHistogramAggregate, 'sum' | 'min' | 'max'> {
  sum: number | undefined;
  min: number | undefined;
  max: number | undefined;
}

/** Reads a partial (empty: count 0 and min/max undefined). */
export function exponentialHistogramResult(acc: ExponentialHistogramAggregate): ExponentialHistogramResult {
  const empty = acc.count === 0;
  return {
    ...acc,
    sum: acc.sum === null ? undefined : exactValue(acc.sum),
    min: acc.min === null || empty ? undefined : acc.min,
    max: acc.max === null || empty ? undefined : acc.max,
  };
}

const EXPONENTIAL_FORMAT = 1;
// Bucket indexes of finite doubles at scale 20 stay within ±2^31; anything beyond is garbage.
const MAX_INDEX = 2 ** 31;

export const exponentialHistogramSerde: Serde<ExponentialHistogramAggregate> = {
  serialize(acc) {
    const out = new ByteWriter();
    out.uvarint(EXPONENTIAL_FORMAT);
    out.int(acc.scale);
    out.uvarint(acc.zeroCount);
    out.float64(acc.zeroThreshold);
    for (const run of [acc.positive, acc.negative]) {
      out.int(run.offset);
      out.uvarint(run.bucketCounts.length);
      for (const c of run.bucketCounts) out.uvarint(c);
    }
    out.uvarint(acc.count);
    writeOptionalSum(out, acc.sum);
    writeOptional(out, acc.min);
    writeOptional(out, acc.max);
    out.uvarint(acc.invalid);
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'exponential histogram aggregate');
    expectVersion(input, EXPONENTIAL_FORMAT);
    const scale = input.intIn(MIN_SCALE, MAX_SCALE, 'scale');
    const zeroCount = input.uvarint();
    const zeroThreshold = input.float64();
    const runs: ExponentialBucketRun[] = [];
    for (let r = 0; r < 2; r++) {
      const offset = input.intIn(-MAX_INDEX, MAX_INDEX, 'bucket offset');
      const n = input.length(MAX_BUCKETS);
      const bucketCounts: number[] = [];
      for (let k = 0; k < n; k++) bucketCounts.push(input.uvarint());
      if (n > 0 && (bucketCounts[0] === 0 || bucketCounts[n - 1] === 0)) throw input.error('untrimmed buckets');
      runs.push({ offset: n === 0 ? 0 : offset, bucketCounts });
    }
    const count = input.uvarint();
    const acc: ExponentialHistogramAggregate = {
      scale,
      zeroCount,
      zeroThreshold,
      positive: runs[0],
      negative: runs[1],
      count,
      sum: readOptionalSum(input),
      min: readOptional(input),
      max: readOptional(input),
      invalid: input.uvarint(),
    };
    input.end();
    if (zeroCount + runTotal(acc.positive) + runTotal(acc.negative) !== count) throw input.error('bucket counts do not add up to count');
    return acc;
  },
};

/** Exponential histogram points (delta): merge with scale reduction, zero count, both signs' buckets. */
export function exponentialHistogramAggregator(): Aggregator<ExponentialHistogramPointFields, ExponentialHistogramAggregate> {
  return { init: () => emptyExponentialHistogram, add: addExponentialHistogramPoint, merge: mergeExponentialHistograms, serde: exponentialHistogramSerde };
}

/**
 * Whether a run's buckets are ones finite doubles can fall in (magnitudes 2^-1075 to 2^1024). This also
 * guarantees that at the smallest scale every run fits MAX_BUCKETS, so scale reduction always ends.
 */
function indexesInRange(run: ExponentialBucketRun, scale: number): boolean {
  if (run.bucketCounts.length === 0) return true;
  return Number.isSafeInteger(run.offset) && run.offset >= -1076 * 2 ** scale && run.offset + run.bucketCounts.length - 1 <= 1024 * 2 ** scale;
}

function runTotal(run: ExponentialBucketRun): number {
  return run.bucketCounts.reduce((t, c) => t + c, 0);
}

/** The run without empty buckets at either end. */
function trim(run: ExponentialBucketRun): ExponentialBucketRun {
  const counts = run.bucketCounts;
  let first = 0;
  let end = counts.length;
  while (first < end && counts[first] === 0) first++;
  while (end > first && counts[end - 1] === 0) end--;
  if (first === end) return noBuckets;
  return first === 0 && end === counts.length ? run : { offset: run.offset + first, bucketCounts: counts.slice(first, end) };
}

function downscale(index: number, from: number, to: number): number {
  return Math.floor(index / 2 ** (from - to));
}

/** Number of buckets the union of two trimmed runs spans at `scale`. */
function span(a: ExponentialBucketRun, aScale: number, b: ExponentialBucketRun, bScale: number, scale: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const [run, from] of [[a, aScale], [b, bScale]] as const) {
    if (run.bucketCounts.length === 0) continue;
    lo = Math.min(lo, downscale(run.offset, from, scale));
    hi = Math.max(hi, downscale(run.offset + run.bucketCounts.length - 1, from, scale));
  }
  return hi < lo ? 0 : hi - lo + 1;
}

function mergeRuns(a: ExponentialBucketRun, aScale: number, b: ExponentialBucketRun, bScale: number, scale: number): ExponentialBucketRun {
  const length = span(a, aScale, b, bScale, scale);
  if (length === 0) return noBuckets;
  const starts = [a.bucketCounts.length > 0 ? downscale(a.offset, aScale, scale) : Infinity, b.bucketCounts.length > 0 ? downscale(b.offset, bScale, scale) : Infinity];
  const offset = Math.min(...starts);
  const counts = new Array<number>(length).fill(0);
  for (const [run, from] of [[a, aScale], [b, bScale]] as const) {
    run.bucketCounts.forEach((c, k) => {
      counts[downscale(run.offset + k, from, scale) - offset] += c;
    });
  }
  return { offset, bucketCounts: counts };
}

/** A value inside bucket `index` (of |value|): log-linear at `fraction` ∈ [0, 1] from its lower bound. */
function interpolate(index: number, scale: number, fraction: number): number {
  return 2 ** ((index + fraction) / 2 ** scale);
}

/**
 * `next` − `previous` bucket by bucket at `scale` (at most both scales); undefined when a bucket went
 * down (the counts restarted). For the increase between two cumulative points.
 */
export function subtractBuckets(
  next: ExponentialBucketRun,
  nextScale: number,
  previous: ExponentialBucketRun,
  previousScale: number,
  scale: number,
): ExponentialBucketRun | undefined {
  const difference = new Map<number, number>();
  const add = (run: ExponentialBucketRun, from: number, sign: number) =>
    run.bucketCounts.forEach((c, k) => {
      const index = downscale(run.offset + k, from, scale);
      difference.set(index, (difference.get(index) ?? 0) + sign * c);
    });
  add(next, nextScale, 1);
  add(previous, previousScale, -1);
  const indexes = [...difference.keys()].filter((i) => difference.get(i) !== 0).sort((a, b) => a - b);
  if (indexes.some((i) => (difference.get(i) as number) < 0)) return undefined;
  if (indexes.length === 0) return noBuckets;
  const offset = indexes[0];
  const bucketCounts = new Array<number>(indexes[indexes.length - 1] - offset + 1).fill(0);
  for (const i of indexes) bucketCounts[i - offset] = difference.get(i) as number;
  return { offset, bucketCounts };
}
