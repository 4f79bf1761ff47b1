// Point times are OTLP's (ms, nanos-of-ms) pairs (see src/otlp/model.ts); these compare them.

/** A point's time as the exact pair the decoder produces. */
export interface PointTime {
  readonly timeMs: number;
  readonly timeNanos: number;
}

/** Negative, 0 or positive as a is before, at or after b. */
export function compareTime(a: PointTime, b: PointTime): number {
  return a.timeMs - b.timeMs || a.timeNanos - b.timeNanos;
}

/** The later of two times; on a tie the right one (the later arrival). */
export function laterOf<T extends PointTime>(left: T, right: T): T {
  return compareTime(right, left) >= 0 ? right : left;
}
