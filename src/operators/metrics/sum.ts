// Sum points. Three aggregates, chosen by the metric's temporality and monotonicity:
// - cumulative monotonic → CumulativeSumAggregate: the increase within the partial, with reset detection;
// - delta (monotonic or not) → DeltaSumAggregate: the values accumulate;
// - cumulative non-monotonic (an up-down counter) → UpDownSumAggregate: last, min and max.
import { AggregationTemporality } from '../../otlp/model.ts';
import type { Aggregator } from '../aggregators.ts';
import type { Serde } from '../../state/index.ts';
import { ByteReader, ByteWriter, expectVersion } from './bytes.ts';
import { emptyExactSum, exactAdd, exactMerge, exactValue, readExactSum, writeExactSum } from './exactSum.ts';
import type { ExactSum } from './exactSum.ts';
import { hasRecordedValue, numberValue, readTimedValue, writeTimedValue } from './gauge.ts';
import type { NumberPointFields, TimedValue } from './gauge.ts';
import { addToRuns, compactRuns, joinRuns, mergeRuns, readRuns, runSeconds, writeRuns } from './cumulativeRuns.ts';
import type { Run, RunCodec, RunRules, Runs } from './cumulativeRuns.ts';
import { compareTime, laterOf } from './time.ts';

/** A cumulative point as the increase logic needs it: its value, time and start time. */
export interface CumulativePoint extends TimedValue {
  readonly startTimeMs: number;
  readonly startTimeNanos: number;
}

/** A run of cumulative sum points (see cumulativeRuns.ts): the increase between them, exactly. */
export type CumulativeRun = Run<CumulativePoint, ExactSum>;

/**
 * Partial of a cumulative monotonic sum: a set of runs, joined by time when read (see cumulativeRuns.ts
 * for why that makes merging exact in any order). The increase from one point to the next: none for
 * the same time (a duplicate; the later arrival replaces the earlier); all of the next value after a
 * reset — a changed start time or a value drop, the counter restarted; else next − previous.
 */
export type CumulativeSumAggregate = Runs<CumulativePoint, ExactSum>;

export interface CumulativeSumResult {
  points: number;
  increase: number;
  /** Increase per second between the first and the last point; NaN below two distinct times. */
  rate: number;
  resets: number;
  duplicates: number;
  /** Points of runs that overlap an earlier run in time: not used (their increase cannot be placed). */
  outOfOrder: number;
  first: CumulativePoint | undefined;
  last: CumulativePoint | undefined;
}

const sumRules: RunRules<CumulativePoint, ExactSum> = {
  noIncrease: emptyExactSum,
  mergeIncrease: exactMerge,
  step: (previous, next) => ({ increase: exactAdd(exactAdd(emptyExactSum, next.value), -previous.value), reset: next.value < previous.value }),
  sinceStart: (point) => exactAdd(emptyExactSum, point.value),
  compareContent: (a, b) =>
    compareNumbers(a.first.value, b.first.value) || compareNumbers(a.last.value, b.last.value) || compareNumbers(exactValue(a.increase), exactValue(b.increase)),
};

export const emptyCumulativeSum: CumulativeSumAggregate = { runs: [], outOfOrder: 0 };

/** Adds one point: it extends the run that ends last when not older than its end, else starts a run. */
export function addCumulativePoint(acc: CumulativeSumAggregate, point: NumberPointFields): CumulativeSumAggregate {
  if (!hasRecordedValue(point)) return acc;
  const p: CumulativePoint = {
    timeMs: point.timeMs,
    timeNanos: point.timeNanos,
    startTimeMs: point.startTimeMs,
    startTimeNanos: point.startTimeNanos,
    value: numberValue(point),
  };
  return addToRuns(sumRules, acc, p);
}

/** Merges two partials: the union of their runs (exact, associative and commutative). */
export function mergeCumulativeSums(left: CumulativeSumAggregate, right: CumulativeSumAggregate): CumulativeSumAggregate {
  return mergeRuns(sumRules, left, right);
}

/** Joins the runs into one, for a final window whose partials have all arrived (what a rollup level emits). */
export function compactCumulativeSum(acc: CumulativeSumAggregate): CumulativeSumAggregate {
  return compactRuns(sumRules, acc);
}

/** Reads a partial: its runs joined. */
export function cumulativeSumResult(acc: CumulativeSumAggregate): CumulativeSumResult {
  const { run, outOfOrder } = joinRuns(sumRules, acc);
  if (run === undefined) return { points: 0, increase: 0, rate: NaN, resets: 0, duplicates: 0, outOfOrder, first: undefined, last: undefined };
  const increase = exactValue(run.increase);
  const seconds = runSeconds(run);
  return {
    points: run.points,
    increase,
    rate: seconds > 0 ? increase / seconds : NaN,
    resets: run.resets,
    duplicates: run.duplicates,
    outOfOrder,
    first: run.first,
    last: run.last,
  };
}

function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Partial of delta sum points: their values accumulate (exactly). */
export interface DeltaSumAggregate {
  readonly points: number;
  readonly sum: ExactSum;
  /** Earliest start time and latest time of the points (the interval the sum covers). */
  readonly startTimeMs: number;
  readonly startTimeNanos: number;
  readonly timeMs: number;
  readonly timeNanos: number;
}

export const emptyDeltaSum: DeltaSumAggregate = {
  points: 0,
  sum: emptyExactSum,
  startTimeMs: Infinity,
  startTimeNanos: 0,
  timeMs: -Infinity,
  timeNanos: 0,
};

/** Adds a delta point. A duplicate delta point counts twice: deduplicate upstream (`deduplicate`). */
export function addDeltaPoint(acc: DeltaSumAggregate, point: NumberPointFields): DeltaSumAggregate {
  if (!hasRecordedValue(point)) return acc;
  return mergeDeltaSums(acc, {
    points: 1,
    sum: exactAdd(emptyExactSum, numberValue(point)),
    startTimeMs: point.startTimeMs,
    startTimeNanos: point.startTimeNanos,
    timeMs: point.timeMs,
    timeNanos: point.timeNanos,
  });
}

export function mergeDeltaSums(left: DeltaSumAggregate, right: DeltaSumAggregate): DeltaSumAggregate {
  if (right.points === 0) return left;
  if (left.points === 0) return right;
  const earlierStart = compareTime(
    { timeMs: right.startTimeMs, timeNanos: right.startTimeNanos },
    { timeMs: left.startTimeMs, timeNanos: left.startTimeNanos },
  ) < 0 ? right : left;
  const later = compareTime(right, left) > 0 ? right : left;
  return {
    points: left.points + right.points,
    sum: exactMerge(left.sum, right.sum),
    startTimeMs: earlierStart.startTimeMs,
    startTimeNanos: earlierStart.startTimeNanos,
    timeMs: later.timeMs,
    timeNanos: later.timeNanos,
  };
}

/** Partial of a cumulative non-monotonic sum: its value goes up and down, so only last/min/max mean something. */
export interface UpDownSumAggregate {
  readonly points: number;
  readonly min: number;
  readonly max: number;
  /** By point time; ties go to the later arrival. */
  readonly last: TimedValue | undefined;
}

export const emptyUpDownSum: UpDownSumAggregate = { points: 0, min: Infinity, max: -Infinity, last: undefined };

export function addUpDownPoint(acc: UpDownSumAggregate, point: NumberPointFields): UpDownSumAggregate {
  if (!hasRecordedValue(point)) return acc;
  const value = numberValue(point);
  return mergeUpDownSums(acc, { points: 1, min: value, max: value, last: { timeMs: point.timeMs, timeNanos: point.timeNanos, value } });
}

export function mergeUpDownSums(left: UpDownSumAggregate, right: UpDownSumAggregate): UpDownSumAggregate {
  if (right.last === undefined) return left;
  if (left.last === undefined) return right;
  return {
    points: left.points + right.points,
    min: Math.min(left.min, right.min),
    max: Math.max(left.max, right.max),
    last: laterOf(left.last, right.last),
  };
}

const CUMULATIVE_FORMAT = 1;
const DELTA_FORMAT = 1;
const UP_DOWN_FORMAT = 1;

const sumCodec: RunCodec<CumulativePoint, ExactSum> = {
  writePoint: writeCumulativePoint,
  readPoint: readCumulativePoint,
  writeIncrease: writeExactSum,
  readIncrease: (input) => readExactSum(input),
};

export const cumulativeSumSerde: Serde<CumulativeSumAggregate> = {
  serialize(acc) {
    const out = new ByteWriter();
    out.uvarint(CUMULATIVE_FORMAT);
    writeRuns(out, acc, sumCodec);
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'cumulative sum aggregate');
    expectVersion(input, CUMULATIVE_FORMAT);
    const runs = readRuns(input, sumRules, sumCodec);
    input.end();
    return runs;
  },
};

export const deltaSumSerde: Serde<DeltaSumAggregate> = {
  serialize(acc) {
    const out = new ByteWriter();
    out.uvarint(DELTA_FORMAT);
    out.uvarint(acc.points);
    writeExactSum(out, acc.sum);
    if (acc.points > 0) {
      out.int(acc.startTimeMs);
      out.uvarint(acc.startTimeNanos);
      out.int(acc.timeMs);
      out.uvarint(acc.timeNanos);
    }
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'delta sum aggregate');
    expectVersion(input, DELTA_FORMAT);
    const points = input.uvarint();
    const sum = readExactSum(input);
    let acc: DeltaSumAggregate = { ...emptyDeltaSum, points, sum };
    if (points > 0) {
      acc = { points, sum, startTimeMs: input.int(), startTimeNanos: readNanos(input), timeMs: input.int(), timeNanos: readNanos(input) };
    }
    input.end();
    return acc;
  },
};

export const upDownSumSerde: Serde<UpDownSumAggregate> = {
  serialize(acc) {
    const out = new ByteWriter();
    out.uvarint(UP_DOWN_FORMAT);
    out.uvarint(acc.points);
    out.float64(acc.min);
    out.float64(acc.max);
    writeTimedValue(out, acc.last);
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'up-down sum aggregate');
    expectVersion(input, UP_DOWN_FORMAT);
    const acc = { points: input.uvarint(), min: input.float64(), max: input.float64(), last: readTimedValue(input) };
    input.end();
    if ((acc.last === undefined) !== (acc.points === 0)) throw input.error('points and last disagree');
    return acc;
  },
};

/** Cumulative monotonic sum points → increase (and rate) with reset detection. */
export function cumulativeSumAggregator(): Aggregator<NumberPointFields, CumulativeSumAggregate> {
  return { init: () => emptyCumulativeSum, add: addCumulativePoint, merge: mergeCumulativeSums, serde: cumulativeSumSerde };
}

/** Delta sum points → their accumulated sum. */
export function deltaSumAggregator(): Aggregator<NumberPointFields, DeltaSumAggregate> {
  return { init: () => emptyDeltaSum, add: addDeltaPoint, merge: mergeDeltaSums, serde: deltaSumSerde };
}

/** Cumulative non-monotonic sum points → last, min, max. */
export function upDownSumAggregator(): Aggregator<NumberPointFields, UpDownSumAggregate> {
  return { init: () => emptyUpDownSum, add: addUpDownPoint, merge: mergeUpDownSums, serde: upDownSumSerde };
}

/** The sum aggregate a metric needs: by its aggregation temporality and monotonicity. */
export function sumAggregateKind(metric: { aggregationTemporality: number; isMonotonic: boolean }): 'cumulative' | 'delta' | 'upDown' {
  if (metric.aggregationTemporality === AggregationTemporality.DELTA) return 'delta';
  return metric.isMonotonic ? 'cumulative' : 'upDown';
}

function writeCumulativePoint(out: ByteWriter, point: CumulativePoint | undefined): void {
  writeTimedValue(out, point);
  if (point === undefined) return;
  out.int(point.startTimeMs);
  out.uvarint(point.startTimeNanos);
}

function readCumulativePoint(input: ByteReader): CumulativePoint | undefined {
  const timed = readTimedValue(input);
  if (timed === undefined) return undefined;
  return { ...timed, startTimeMs: input.int(), startTimeNanos: readNanos(input) };
}

function readNanos(input: ByteReader): number {
  const nanos = input.uvarint();
  if (nanos > 999_999) throw input.error(`nanos ${nanos} above 999999`);
  return nanos;
}
