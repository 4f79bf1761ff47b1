// Runs of cumulative points, shared by cumulative sums and cumulative histograms. A cumulative point
// carries a total since its start time; what a window needs is the increase between consecutive points.
//
// A partial is a set of runs. A run is points in time order: its first and last points and the increase
// accumulated between consecutive points inside it (plus resets and duplicates). Points arriving in
// time order extend one run; a late point, or the partial of another window, is another run. Runs are
// joined only when read or compacted: sorted by first time, each continues the previous one and the
// increase across the boundary (previous run's last point → next run's first point) is added. Merging
// is the union of runs, so it is exact in any order and grouping: windows may arrive out of order, and
// a later window must not be joined to an earlier one before the window between them has arrived.
import type { Serde } from '../../state/index.ts';
import type { ByteReader, ByteWriter } from './bytes.ts';
import { compareTime } from './time.ts';
import type { PointTime } from './time.ts';

/** A point of a cumulative series: its time and start time (a changed start time is a restart). */
export interface StartedPoint extends PointTime {
  readonly startTimeMs: number;
  readonly startTimeNanos: number;
}

export interface Run<P extends StartedPoint, I> {
  /** Points in the run (duplicates included). */
  readonly points: number;
  readonly first: P;
  readonly last: P;
  /** Increase between consecutive points of the run. */
  readonly increase: I;
  readonly resets: number;
  /** Consecutive points with the same time: the later arrival replaces the earlier, no increase. */
  readonly duplicates: number;
}

export interface Runs<P extends StartedPoint, I> {
  /** Sorted by `compareRuns`. */
  readonly runs: readonly Run<P, I>[];
  /** Points of runs left out when runs were joined (they overlapped an earlier run in time). */
  readonly outOfOrder: number;
}

/** What differs between kinds of cumulative points. */
export interface RunRules<P extends StartedPoint, I> {
  readonly noIncrease: I;
  mergeIncrease(left: I, right: I): I;
  /**
   * The increase from `previous` to `next` (a later time, same start time) and whether the values say
   * the series restarted (a count went down). On a restart the increase is all of `next`.
   */
  step(previous: P, next: P): { increase: I; reset: boolean };
  /** The increase of a restarted series: all of the point's value since its start. */
  sinceStart(point: P): I;
  /** A total order on runs with equal times, so the joined result does not depend on merge order. */
  compareContent(a: Run<P, I>, b: Run<P, I>): number;
}

/** Runs a partial keeps before it joins them (only many late points in one window get there). */
export const MAX_RUNS = 128;

/** Adds a point: it extends the run that ends last when not older than its end, else starts a run. */
export function addToRuns<P extends StartedPoint, I>(rules: RunRules<P, I>, acc: Runs<P, I>, point: P): Runs<P, I> {
  const single: Run<P, I> = { points: 1, first: point, last: point, increase: rules.noIncrease, resets: 0, duplicates: 0 };
  let latest = -1;
  acc.runs.forEach((run, i) => {
    if (latest < 0 || compareTime(run.last, acc.runs[latest].last) > 0) latest = i;
  });
  if (latest >= 0 && compareTime(point, acc.runs[latest].last) >= 0) {
    const runs = [...acc.runs];
    runs[latest] = concatenate(rules, runs[latest], single);
    return { runs, outOfOrder: acc.outOfOrder };
  }
  return limitRuns(rules, { runs: sortRuns(rules, [...acc.runs, single]), outOfOrder: acc.outOfOrder });
}

/** The union of two partials' runs. */
export function mergeRuns<P extends StartedPoint, I>(rules: RunRules<P, I>, left: Runs<P, I>, right: Runs<P, I>): Runs<P, I> {
  if (right.runs.length === 0 && right.outOfOrder === 0) return left;
  if (left.runs.length === 0 && left.outOfOrder === 0) return right;
  return limitRuns(rules, { runs: sortRuns(rules, [...left.runs, ...right.runs]), outOfOrder: left.outOfOrder + right.outOfOrder });
}

/**
 * Joins the runs: each continues the previous one. A run that starts before the end of what is already
 * joined cannot be placed (its increase would overlap): its points are counted in `outOfOrder`.
 */
export function joinRuns<P extends StartedPoint, I>(rules: RunRules<P, I>, acc: Runs<P, I>): { run: Run<P, I> | undefined; outOfOrder: number } {
  let joined: Run<P, I> | undefined;
  let outOfOrder = acc.outOfOrder;
  for (const run of acc.runs) {
    if (joined === undefined) joined = run;
    else if (compareTime(run.first, joined.last) < 0) outOfOrder += run.points;
    else joined = concatenate(rules, joined, run);
  }
  return { run: joined, outOfOrder };
}

/** The runs joined into one: for a final window whose partials have all arrived. */
export function compactRuns<P extends StartedPoint, I>(rules: RunRules<P, I>, acc: Runs<P, I>): Runs<P, I> {
  const { run, outOfOrder } = joinRuns(rules, acc);
  return { runs: run === undefined ? [] : [run], outOfOrder };
}

/** Sorted as a partial keeps its runs (after decoding, for instance). */
export function sortRuns<P extends StartedPoint, I>(rules: RunRules<P, I>, runs: Run<P, I>[]): Run<P, I>[] {
  return runs.sort((a, b) => compareTime(a.first, b.first) || compareTime(a.last, b.last) || a.points - b.points || rules.compareContent(a, b));
}

/** How the points and increases of runs are written to changelog bytes and read back. */
export interface RunCodec<P extends StartedPoint, I> {
  writePoint(out: ByteWriter, point: P): void;
  readPoint(input: ByteReader): P | undefined;
  writeIncrease(out: ByteWriter, increase: I): void;
  readIncrease(input: ByteReader, run: number): I;
}

/** Writes runs: their count, each run, then the out-of-order count. */
export function writeRuns<P extends StartedPoint, I>(out: ByteWriter, acc: Runs<P, I>, codec: RunCodec<P, I>): void {
  out.uvarint(acc.runs.length);
  for (const run of acc.runs) {
    out.uvarint(run.points);
    codec.writePoint(out, run.first);
    codec.writePoint(out, run.last);
    codec.writeIncrease(out, run.increase);
    out.uvarint(run.resets);
    out.uvarint(run.duplicates);
  }
  out.uvarint(acc.outOfOrder);
}

/** Reads what `writeRuns` wrote (at most MAX_RUNS runs), sorted as a partial keeps them. */
export function readRuns<P extends StartedPoint, I>(input: ByteReader, rules: RunRules<P, I>, codec: RunCodec<P, I>): Runs<P, I> {
  const n = input.length(MAX_RUNS, 4);
  const runs: Run<P, I>[] = [];
  for (let i = 0; i < n; i++) {
    const points = input.uvarint();
    if (points === 0) throw input.error('empty run');
    const first = codec.readPoint(input);
    const last = codec.readPoint(input);
    if (first === undefined || last === undefined) throw input.error('empty run');
    runs.push({ points, first, last, increase: codec.readIncrease(input, i), resets: input.uvarint(), duplicates: input.uvarint() });
  }
  return { runs: sortRuns(rules, runs), outOfOrder: input.uvarint() };
}

/** An increase stored as another aggregate's bytes, nested; a decoding error names the run. */
export function nestedIncrease<I>(serde: Serde<I>): Pick<RunCodec<StartedPoint, I>, 'writeIncrease' | 'readIncrease'> {
  return {
    writeIncrease: (out, increase) => out.nested(serde.serialize(increase)),
    readIncrease(input, run) {
      const nested = input.nested();
      try {
        return serde.deserialize(nested);
      } catch (cause) {
        throw input.error(`increase of run ${run}: ${(cause as Error).message}`);
      }
    },
  };
}

/** What a read partial says of its points besides the increase. */
export function runCounts(run: Run<StartedPoint, unknown> | undefined, outOfOrder: number): { points: number; resets: number; duplicates: number; outOfOrder: number } {
  return { points: run?.points ?? 0, resets: run?.resets ?? 0, duplicates: run?.duplicates ?? 0, outOfOrder };
}

/** Seconds from the first to the last point of a run. */
export function runSeconds(run: Run<StartedPoint, unknown>): number {
  return (run.last.timeMs - run.first.timeMs) / 1000 + (run.last.timeNanos - run.first.timeNanos) / 1e9;
}

/** `next` continues `previous` (it starts at or after previous's last point). */
function concatenate<P extends StartedPoint, I>(rules: RunRules<P, I>, previous: Run<P, I>, next: Run<P, I>): Run<P, I> {
  const [a, b] = [previous.last, next.first];
  let boundary = rules.noIncrease;
  let reset = false;
  const duplicate = compareTime(a, b) === 0;
  if (!duplicate) {
    const restarted = a.startTimeMs !== b.startTimeMs || a.startTimeNanos !== b.startTimeNanos;
    const step = restarted ? undefined : rules.step(a, b);
    reset = step === undefined || step.reset;
    boundary = reset ? rules.sinceStart(b) : (step as { increase: I }).increase;
  }
  return {
    points: previous.points + next.points,
    first: previous.first,
    last: next.last,
    increase: rules.mergeIncrease(rules.mergeIncrease(previous.increase, boundary), next.increase),
    resets: previous.resets + next.resets + (reset ? 1 : 0),
    duplicates: previous.duplicates + next.duplicates + (duplicate ? 1 : 0),
  };
}

function limitRuns<P extends StartedPoint, I>(rules: RunRules<P, I>, acc: Runs<P, I>): Runs<P, I> {
  if (acc.runs.length <= MAX_RUNS) return acc;
  // Pathological: more late points than MAX_RUNS in one window. Join now; from here merging this
  // partial with runs that fall between its own is no longer exact (they count as out of order).
  return compactRuns(rules, acc);
}
