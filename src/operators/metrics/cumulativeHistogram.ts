// Cumulative explicit-bounds histogram points → the histogram of the observations made within the
// partial (bucket-wise increases), with reset detection. Cumulative temporality is the OpenTelemetry
// SDKs' default for histograms. The points form runs (cumulativeRuns.ts) exactly like cumulative sums;
// the increase between two points is a delta histogram (histogram.ts), so the bounds change rule and
// the quantiles are the delta histogram's.
//
// Increase from one point to the next: none for the same time (a duplicate); all of the next point
// (its counts since its start) after a reset — a changed start time, a count that went down, or changed
// bounds (a reconfigured instrument restarts its counts); else the bucket-wise difference. Min and
// max of a cumulative point are since its start, so the increase has none (undefined when read).
import type { Aggregator } from '../aggregators.ts';
import type { Serde } from '../../state/index.ts';
import { ByteReader, ByteWriter, expectVersion } from './bytes.ts';
import { addToRuns, compactRuns, joinRuns, mergeRuns, nestedIncrease, readRuns, runCounts, writeRuns } from './cumulativeRuns.ts';
import type { RunCodec, RunRules, Runs, StartedPoint } from './cumulativeRuns.ts';
import { emptyExactSum, exactAdd } from './exactSum.ts';
import { hasRecordedValue } from './gauge.ts';
import { emptyHistogram, histogramResult, histogramSerde, mergeHistograms } from './histogram.ts';
import type { HistogramAggregate, HistogramPointFields, HistogramResult } from './histogram.ts';

/** A cumulative histogram point as the increase logic needs it. */
export interface HistogramSnapshot extends StartedPoint {
  readonly explicitBounds: readonly number[];
  readonly bucketCounts: readonly number[];
  readonly count: number;
  readonly sum: number | undefined;
}

/** The fields of a cumulative histogram point the aggregator reads. */
export type CumulativeHistogramPointFields = HistogramPointFields & { startTimeMs: number; startTimeNanos: number };

export interface CumulativeHistogramAggregate {
  readonly series: Runs<HistogramSnapshot, HistogramAggregate>;
  /** Points whose bucket counts do not fit their bounds or do not add up to count: not used. */
  readonly invalid: number;
}

export interface CumulativeHistogramResult extends HistogramResult {
  /** Points used (duplicates included). */
  points: number;
  resets: number;
  duplicates: number;
  outOfOrder: number;
}

const histogramRules: RunRules<HistogramSnapshot, HistogramAggregate> = {
  noIncrease: emptyHistogram,
  mergeIncrease: mergeHistograms,
  step(previous, next) {
    const sameBounds = previous.explicitBounds.length === next.explicitBounds.length && previous.explicitBounds.every((b, i) => b === next.explicitBounds[i]);
    if (!sameBounds || next.count < previous.count) return { increase: emptyHistogram, reset: true };
    const bucketCounts = next.bucketCounts.map((c, i) => c - previous.bucketCounts[i]);
    if (bucketCounts.some((c) => c < 0)) return { increase: emptyHistogram, reset: true };
    const sum = next.sum === undefined || previous.sum === undefined ? undefined : [next.sum, -previous.sum];
    return { increase: deltaHistogram(next, bucketCounts, next.count - previous.count, sum), reset: false };
  },
  sinceStart: (point) => deltaHistogram(point, point.bucketCounts, point.count, point.sum === undefined ? undefined : [point.sum]),
  compareContent: (a, b) => a.first.count - b.first.count || a.last.count - b.last.count || compareSums(a.first.sum, b.first.sum) || compareSums(a.last.sum, b.last.sum),
};

export const emptyCumulativeHistogram: CumulativeHistogramAggregate = { series: { runs: [], outOfOrder: 0 }, invalid: 0 };

export function addCumulativeHistogramPoint(acc: CumulativeHistogramAggregate, point: CumulativeHistogramPointFields): CumulativeHistogramAggregate {
  if (!hasRecordedValue(point)) return acc;
  const counts = point.bucketCounts;
  const valid =
    counts.length === point.explicitBounds.length + 1 &&
    counts.reduce((total, c) => total + c, 0) === point.count &&
    point.explicitBounds.every((b, i) => !Number.isNaN(b) && (i === 0 || point.explicitBounds[i - 1] < b));
  if (!valid) return { series: acc.series, invalid: acc.invalid + 1 };
  const snapshot: HistogramSnapshot = {
    timeMs: point.timeMs,
    timeNanos: point.timeNanos,
    startTimeMs: point.startTimeMs,
    startTimeNanos: point.startTimeNanos,
    explicitBounds: point.explicitBounds,
    bucketCounts: counts,
    count: point.count,
    sum: point.sum,
  };
  return { series: addToRuns(histogramRules, acc.series, snapshot), invalid: acc.invalid };
}

export function mergeCumulativeHistograms(left: CumulativeHistogramAggregate, right: CumulativeHistogramAggregate): CumulativeHistogramAggregate {
  return { series: mergeRuns(histogramRules, left.series, right.series), invalid: left.invalid + right.invalid };
}

/** Joins the runs into one, for a final window whose partials have all arrived (what a rollup level emits). */
export function compactCumulativeHistogram(acc: CumulativeHistogramAggregate): CumulativeHistogramAggregate {
  return { series: compactRuns(histogramRules, acc.series), invalid: acc.invalid };
}

/** Reads a partial: the histogram of the increases between its points (min and max unknown). */
export function cumulativeHistogramResult(acc: CumulativeHistogramAggregate): CumulativeHistogramResult {
  const { run, outOfOrder } = joinRuns(histogramRules, acc.series);
  const increase = histogramResult(run?.increase ?? emptyHistogram);
  return { ...increase, invalid: increase.invalid + acc.invalid, ...runCounts(run, outOfOrder) };
}

const CUMULATIVE_HISTOGRAM_FORMAT = 1;
const MAX_BOUNDS = 4096;

const histogramCodec: RunCodec<HistogramSnapshot, HistogramAggregate> = { writePoint: writeSnapshot, readPoint: readSnapshot, ...nestedIncrease(histogramSerde) };

export const cumulativeHistogramSerde: Serde<CumulativeHistogramAggregate> = {
  serialize(acc) {
    const out = new ByteWriter();
    out.uvarint(CUMULATIVE_HISTOGRAM_FORMAT);
    writeRuns(out, acc.series, histogramCodec);
    out.uvarint(acc.invalid);
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'cumulative histogram aggregate');
    expectVersion(input, CUMULATIVE_HISTOGRAM_FORMAT);
    const series = readRuns(input, histogramRules, histogramCodec);
    const invalid = input.uvarint();
    input.end();
    return { series, invalid };
  },
};

/** Cumulative histogram points → the histogram of the observations within the partial. */
export function cumulativeHistogramAggregator(): Aggregator<CumulativeHistogramPointFields, CumulativeHistogramAggregate> {
  return { init: () => emptyCumulativeHistogram, add: addCumulativeHistogramPoint, merge: mergeCumulativeHistograms, serde: cumulativeHistogramSerde };
}

/** A delta histogram of one group: counts observed between two points, at the later one's time. */
function deltaHistogram(at: HistogramSnapshot, bucketCounts: readonly number[], count: number, sumTerms: number[] | undefined): HistogramAggregate {
  return {
    groups: [
      {
        explicitBounds: at.explicitBounds,
        bucketCounts,
        count,
        sum: sumTerms === undefined ? null : sumTerms.reduce(exactAdd, emptyExactSum),
        min: null,
        max: null,
        newest: { timeMs: at.timeMs, timeNanos: at.timeNanos },
      },
    ],
    evicted: 0,
    invalid: 0,
  };
}

function compareSums(a: number | undefined, b: number | undefined): number {
  const [x, y] = [a ?? -Infinity, b ?? -Infinity];
  return x < y ? -1 : x > y ? 1 : 0;
}

function writeSnapshot(out: ByteWriter, s: HistogramSnapshot): void {
  out.int(s.timeMs);
  out.uvarint(s.timeNanos);
  out.int(s.startTimeMs);
  out.uvarint(s.startTimeNanos);
  out.uvarint(s.explicitBounds.length);
  for (const b of s.explicitBounds) out.float64(b);
  for (const c of s.bucketCounts) out.uvarint(c);
  out.uvarint(s.count);
  out.uvarint(s.sum === undefined ? 0 : 1);
  if (s.sum !== undefined) out.float64(s.sum);
}

function readSnapshot(input: ByteReader): HistogramSnapshot {
  const timeMs = input.int();
  const timeNanos = nanos(input);
  const startTimeMs = input.int();
  const startTimeNanos = nanos(input);
  const boundsLength = input.length(MAX_BOUNDS, 9);
  const explicitBounds: number[] = [];
  for (let i = 0; i < boundsLength; i++) explicitBounds.push(input.float64());
  const bucketCounts: number[] = [];
  for (let i = 0; i <= boundsLength; i++) bucketCounts.push(input.uvarint());
  const count = input.uvarint();
  if (bucketCounts.reduce((t, c) => t + c, 0) !== count) throw input.error('bucket counts do not add up to count');
  const present = input.byte();
  if (present > 1) throw input.error(`bad presence byte ${present}`);
  const sum = present === 1 ? input.float64() : undefined;
  return { timeMs, timeNanos, startTimeMs, startTimeNanos, explicitBounds, bucketCounts, count, sum };
}

function nanos(input: ByteReader): number {
  const value = input.uvarint();
  if (value > 999_999) throw input.error(`nanos ${value} above 999999`);
  return value;
}
