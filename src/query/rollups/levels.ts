// The rollup levels the PostgreSQL sinks write (rollup_1m … rollup_1d) and which one answers a time range.
//
// The rule: among the levels whose retention still covers the range's start (now − retention ≤ start), take the
// finest whose windows over the range number at most `maxPoints`; when none has few enough, the coarsest that still
// covers the start; when none covers the start, the coarsest of all (1d keeps the longest). Retention is the sinks'
// default (docs/sinks.md) unless the reader is told otherwise.

export interface Level {
  name: '1m' | '5m' | '1h' | '1d';
  stepMs: number;
  /** How long the sink keeps the level's windows (null: forever). */
  retentionMs: number | null;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/** Finest first, with the postgres_rollup sink's default retention. */
export const LEVELS: readonly Level[] = [
  { name: '1m', stepMs: MINUTE, retentionMs: 7 * DAY },
  { name: '5m', stepMs: 5 * MINUTE, retentionMs: 30 * DAY },
  { name: '1h', stepMs: 60 * MINUTE, retentionMs: 365 * DAY },
  { name: '1d', stepMs: DAY, retentionMs: 5 * 365 * DAY },
];

/** Points a chart wants at most: 1m serves up to 8 h 20 min, 5m up to ~41 h, 1h up to ~20 days, beyond that 1d. */
export const DEFAULT_MAX_POINTS = 500;

export function levelNamed(name: string, levels: readonly Level[] = LEVELS): Level | undefined {
  return levels.find((l) => l.name === name);
}

/** The windows of `level` that overlap [startMs, endMs). */
export function windowsIn(level: Level, startMs: number, endMs: number): number {
  if (endMs <= startMs) return 0;
  return Math.ceil(endMs / level.stepMs) - Math.floor(startMs / level.stepMs);
}

/** The level that answers [startMs, endMs) at `nowMs` (the rule above). */
export function chooseLevel(startMs: number, endMs: number, nowMs: number, options: { maxPoints?: number; levels?: readonly Level[] } = {}): Level {
  const levels = options.levels ?? LEVELS;
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS;
  const kept = levels.filter((l) => l.retentionMs === null || nowMs - l.retentionMs <= startMs);
  if (kept.length === 0) return levels[levels.length - 1];
  return kept.find((l) => windowsIn(l, startMs, endMs) <= maxPoints) ?? kept[kept.length - 1];
}
