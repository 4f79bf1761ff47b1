// Window specs and assigners. Every window is half-open, `[start, end)` in ms of event time.
// Tumbling and hopping windows are aligned to the epoch: starts are multiples of the advance.

/** A half-open interval of event time in ms: `start` inclusive, `end` exclusive. */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/** Fixed-size windows that do not overlap: `[n·size, (n+1)·size)`. */
export interface TumblingWindows {
  readonly kind: 'tumbling';
  readonly size: number;
}

/** Fixed-size windows starting every `advance` ms; a record falls in `ceil(size / advance)` of them. */
export interface HoppingWindows {
  readonly kind: 'hopping';
  readonly size: number;
  readonly advance: number;
}

/**
 * Per-key windows of activity. A record at t opens `[t, t + gap)`; windows of one key that overlap
 * merge, so a session is `[first record, last record + gap)` and two records exactly `gap` apart
 * fall in different sessions.
 */
export interface SessionWindows {
  readonly kind: 'session';
  readonly gap: number;
}

/** How records are grouped in time. */
export type WindowSpec = TumblingWindows | HoppingWindows | SessionWindows;

/** Windows of a fixed size, assignable from the timestamp alone. */
export type FixedWindows = TumblingWindows | HoppingWindows;

/** Tumbling windows of `size` ms. */
export function tumblingWindows(size: number): TumblingWindows {
  checkDuration('tumbling window size', size);
  return { kind: 'tumbling', size };
}

/** Hopping windows of `size` ms starting every `advance` ms (advance ≤ size). */
export function hoppingWindows(size: number, advance: number): HoppingWindows {
  checkDuration('hopping window size', size);
  checkDuration('hopping window advance', advance);
  if (advance > size) throw new RangeError(`hopping window advance ${advance} is larger than size ${size}`);
  return { kind: 'hopping', size, advance };
}

/** Session windows closed by `gap` ms of inactivity. */
export function sessionWindows(gap: number): SessionWindows {
  checkDuration('session gap', gap);
  return { kind: 'session', gap };
}

/** The windows a timestamp falls in, ordered by start. */
export function assignWindows(spec: FixedWindows, timestamp: number): Window[] {
  const advance = spec.kind === 'tumbling' ? spec.size : spec.advance;
  const lastStart = timestamp - floorMod(timestamp, advance);
  const windows: Window[] = [];
  for (let start = lastStart - Math.floor((spec.size - 1) / advance) * advance; start <= lastStart; start += advance) {
    if (start + spec.size > timestamp) windows.push({ start, end: start + spec.size });
  }
  return windows;
}

/** The window a single record opens in a session spec, before merging: `[t, t + gap)`. */
export function sessionWindowOf(spec: SessionWindows, timestamp: number): Window {
  return { start: timestamp, end: timestamp + spec.gap };
}

/** Whether two windows share at least one instant. */
export function windowsOverlap(a: Window, b: Window): boolean {
  return a.start < b.end && b.start < a.end;
}

/** `[start,end)`, the notation used in reasons and logs. */
export function formatWindow(window: Window): string {
  return `[${window.start},${window.end})`;
}

/** Checks a window spec built by hand (e.g. from YAML); the factories already do this. */
export function validateWindowSpec(spec: WindowSpec): WindowSpec {
  switch (spec.kind) {
    case 'tumbling':
      return tumblingWindows(spec.size);
    case 'hopping':
      return hoppingWindows(spec.size, spec.advance);
    case 'session':
      return sessionWindows(spec.gap);
  }
}

// Modulo that is never negative, so negative timestamps align like positive ones.
function floorMod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

function checkDuration(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${what} must be a positive integer of ms, got ${value}`);
}
