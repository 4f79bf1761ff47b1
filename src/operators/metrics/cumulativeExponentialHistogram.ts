// Cumulative exponential histogram points → the exponential histogram of the observations made within
// the partial, with reset detection; the same runs as cumulative sums (cumulativeRuns.ts). SDKs lower
// the scale of a cumulative histogram as its range grows, so two consecutive points may differ in
// scale: both are brought to the smaller scale before the bucket-wise difference.
//
// Increase from one point to the next: none for the same time (a duplicate); all of the next point
// after a reset — a changed start time, or a count, zero count or bucket that went down; else the
// bucket-wise difference. Min and max of a cumulative point are since its start: the increase has none.
import type { Aggregator } from '../aggregators.ts';
import type { Serde } from '../../state/index.ts';
import { ByteReader, ByteWriter, expectVersion } from './bytes.ts';
import { addToRuns, compactRuns, joinRuns, mergeRuns, nestedIncrease, readRuns, runCounts, writeRuns } from './cumulativeRuns.ts';
import type { RunCodec, RunRules, Runs, StartedPoint } from './cumulativeRuns.ts';
import { emptyExactSum, exactAdd } from './exactSum.ts';
import { hasRecordedValue } from './gauge.ts';
import {
  addExponentialHistogramPoint,
  emptyExponentialHistogram,
  exponentialHistogramResult,
  exponentialHistogramSerde,
  MAX_SCALE,
  MIN_SCALE,
  mergeExponentialHistograms,
  subtractBuckets,
} from './exponentialHistogram.ts';
import type { ExponentialBucketRun, ExponentialHistogramAggregate, ExponentialHistogramPointFields, ExponentialHistogramResult } from './exponentialHistogram.ts';

/** A cumulative exponential histogram point as the increase logic needs it. */
export interface ExponentialSnapshot extends StartedPoint {
  readonly scale: number;
  readonly zeroCount: number;
  readonly zeroThreshold: number;
  readonly positive: ExponentialBucketRun;
  readonly negative: ExponentialBucketRun;
  readonly count: number;
  readonly sum: number | undefined;
}

/** The fields of a cumulative exponential histogram point the aggregator reads. */
export type CumulativeExponentialHistogramPointFields = ExponentialHistogramPointFields & {
  timeMs: number;
  timeNanos: number;
  startTimeMs: number;
  startTimeNanos: number;
};

export interface CumulativeExponentialHistogramAggregate {
  readonly series: Runs<ExponentialSnapshot, ExponentialHistogramAggregate>;
  /** Points the delta aggregator would reject (counts that do not add up, scale out of range, …). */
  readonly invalid: number;
}

export interface CumulativeExponentialHistogramResult extends ExponentialHistogramResult {
  points: number;
  resets: number;
  duplicates: number;
  outOfOrder: number;
}

const exponentialRules: RunRules<ExponentialSnapshot, ExponentialHistogramAggregate> = {
  noIncrease: emptyExponentialHistogram,
  mergeIncrease: mergeExponentialHistograms,
  step(previous, next) {
    const restarted = { increase: emptyExponentialHistogram, reset: true };
    if (next.count < previous.count || next.zeroCount < previous.zeroCount) return restarted;
    const scale = Math.min(previous.scale, next.scale);
    const positive = subtractBuckets(next.positive, next.scale, previous.positive, previous.scale, scale);
    const negative = subtractBuckets(next.negative, next.scale, previous.negative, previous.scale, scale);
    if (positive === undefined || negative === undefined) return restarted;
    const sum = next.sum === undefined || previous.sum === undefined ? undefined : [next.sum, -previous.sum];
    const delta = { ...next, scale, positive, negative, zeroCount: next.zeroCount - previous.zeroCount, count: next.count - previous.count };
    return { increase: deltaHistogram(delta, sum), reset: false };
  },
  sinceStart: (point) => deltaHistogram(point, point.sum === undefined ? undefined : [point.sum]),
  compareContent: (a, b) => a.first.count - b.first.count || a.last.count - b.last.count || a.first.scale - b.first.scale || a.last.scale - b.last.scale,
};

export const emptyCumulativeExponentialHistogram: CumulativeExponentialHistogramAggregate = { series: { runs: [], outOfOrder: 0 }, invalid: 0 };

export function addCumulativeExponentialHistogramPoint(
  acc: CumulativeExponentialHistogramAggregate,
  point: CumulativeExponentialHistogramPointFields,
): CumulativeExponentialHistogramAggregate {
  if (!hasRecordedValue(point)) return acc;
  const snapshot: ExponentialSnapshot = {
    timeMs: point.timeMs,
    timeNanos: point.timeNanos,
    startTimeMs: point.startTimeMs,
    startTimeNanos: point.startTimeNanos,
    scale: point.scale,
    zeroCount: point.zeroCount,
    zeroThreshold: point.zeroThreshold,
    positive: point.positive,
    negative: point.negative,
    count: point.count,
    sum: point.sum,
  };
  // The delta aggregator's checks decide validity.
  const asDelta = addExponentialHistogramPoint(emptyExponentialHistogram, { ...snapshot, min: undefined, max: undefined, flags: 0 });
  if (asDelta.invalid > 0) return { series: acc.series, invalid: acc.invalid + 1 };
  return { series: addToRuns(exponentialRules, acc.series, snapshot), invalid: acc.invalid };
}

export function mergeCumulativeExponentialHistograms(
  left: CumulativeExponentialHistogramAggregate,
  right: CumulativeExponentialHistogramAggregate,
): CumulativeExponentialHistogramAggregate {
  return { series: mergeRuns(exponentialRules, left.series, right.series), invalid: left.invalid + right.invalid };
}

/** Joins the runs into one, for a final window whose partials have all arrived (what a rollup level emits). */
export function compactCumulativeExponentialHistogram(acc: CumulativeExponentialHistogramAggregate): CumulativeExponentialHistogramAggregate {
  return { series: compactRuns(exponentialRules, acc.series), invalid: acc.invalid };
}

/** Reads a partial: the exponential histogram of the increases between its points (min and max unknown). */
export function cumulativeExponentialHistogramResult(acc: CumulativeExponentialHistogramAggregate): CumulativeExponentialHistogramResult {
  const { run, outOfOrder } = joinRuns(exponentialRules, acc.series);
  const increase = exponentialHistogramResult(run?.increase ?? emptyExponentialHistogram);
  return { ...increase, invalid: increase.invalid + acc.invalid, ...runCounts(run, outOfOrder) };
}

const FORMAT = 1;
// Per sign; a point may carry more buckets than a partial keeps, but not without bound.
const MAX_SNAPSHOT_BUCKETS = 4096;

const exponentialCodec: RunCodec<ExponentialSnapshot, ExponentialHistogramAggregate> = { writePoint: writeSnapshot, readPoint: readSnapshot, ...nestedIncrease(exponentialHistogramSerde) };

export const cumulativeExponentialHistogramSerde: Serde<CumulativeExponentialHistogramAggregate> = {
  serialize(acc) {
    const out = new ByteWriter();
    out.uvarint(FORMAT);
    writeRuns(out, acc.series, exponentialCodec);
    out.uvarint(acc.invalid);
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'cumulative exponential histogram aggregate');
    expectVersion(input, FORMAT);
    const series = readRuns(input, exponentialRules, exponentialCodec);
    const invalid = input.uvarint();
    input.end();
    return { series, invalid };
  },
};

/** Cumulative exponential histogram points → the histogram of the observations within the partial. */
export function cumulativeExponentialHistogramAggregator(): Aggregator<CumulativeExponentialHistogramPointFields, CumulativeExponentialHistogramAggregate> {
  return {
    init: () => emptyCumulativeExponentialHistogram,
    add: addCumulativeExponentialHistogramPoint,
    merge: mergeCumulativeExponentialHistograms,
    serde: cumulativeExponentialHistogramSerde,
  };
}

/** A delta histogram of the counts between two points, fitted like any delta point; its sum exact. */
function deltaHistogram(counts: Omit<ExponentialSnapshot, 'timeMs' | 'timeNanos' | 'startTimeMs' | 'startTimeNanos' | 'sum'>, sumTerms: number[] | undefined): ExponentialHistogramAggregate {
  const delta = addExponentialHistogramPoint(emptyExponentialHistogram, { ...counts, sum: 0, min: undefined, max: undefined, flags: 0 });
  if (delta.count === 0 && delta.invalid === 0) return emptyExponentialHistogram; // nothing observed: merging it changes nothing
  return { ...delta, sum: sumTerms === undefined ? null : sumTerms.reduce(exactAdd, emptyExactSum) };
}

function writeSnapshot(out: ByteWriter, s: ExponentialSnapshot): void {
  out.int(s.timeMs);
  out.uvarint(s.timeNanos);
  out.int(s.startTimeMs);
  out.uvarint(s.startTimeNanos);
  out.int(s.scale);
  out.uvarint(s.zeroCount);
  out.float64(s.zeroThreshold);
  for (const run of [s.positive, s.negative]) {
    out.int(run.offset);
    out.uvarint(run.bucketCounts.length);
    for (const c of run.bucketCounts) out.uvarint(c);
  }
  out.uvarint(s.count);
  out.uvarint(s.sum === undefined ? 0 : 1);
  if (s.sum !== undefined) out.float64(s.sum);
}

function readSnapshot(input: ByteReader): ExponentialSnapshot {
  const timeMs = input.int();
  const timeNanos = nanos(input);
  const startTimeMs = input.int();
  const startTimeNanos = nanos(input);
  const scale = input.intIn(MIN_SCALE, MAX_SCALE, 'scale');
  const zeroCount = input.uvarint();
  const zeroThreshold = input.float64();
  const runs: ExponentialBucketRun[] = [];
  for (let r = 0; r < 2; r++) {
    const offset = input.intIn(-(2 ** 31), 2 ** 31, 'bucket offset');
    const n = input.length(MAX_SNAPSHOT_BUCKETS);
    const bucketCounts: number[] = [];
    for (let k = 0; k < n; k++) bucketCounts.push(input.uvarint());
    runs.push({ offset, bucketCounts });
  }
  const count = input.uvarint();
  const present = input.byte();
  if (present > 1) throw input.error(`bad presence byte ${present}`);
  const sum = present === 1 ? input.float64() : undefined;
  const total = zeroCount + [...runs[0].bucketCounts, ...runs[1].bucketCounts].reduce((t, c) => t + c, 0);
  if (total !== count) throw input.error('bucket counts do not add up to count');
  return { timeMs, timeNanos, startTimeMs, startTimeNanos, scale, zeroCount, zeroThreshold, positive: runs[0], negative: runs[1], count, sum };
}

function nanos(input: ByteReader): number {
  const value = input.uvarint();
  if (value > 999_999) throw input.error(`nanos ${value} above 999999`);
  return value;
}
