// What windowed operators emit, and the counters the runtime reads from them.
import type { CommitMarker, TaskRecord } from './taskEvent.ts';
import type { Window } from './windows.ts';

/** A window's aggregate: an update while the window is open, or its final value once it closes. */
export interface WindowResult<K extends string, A> {
  readonly kind: 'window';
  readonly key: K;
  readonly window: Window;
  readonly aggregate: A;
  /** True exactly once per window, when stream time reaches its end + grace (or on flush). */
  readonly final: boolean;
  /** Stream time when this was emitted. */
  readonly streamTime: number;
}

/**
 * In `update` emission, a session window that no longer exists because it merged into another
 * or its start moved earlier; downstream tables should delete it.
 */
export interface WindowRetraction<K extends string> {
  readonly kind: 'retract';
  readonly key: K;
  readonly window: Window;
  readonly streamTime: number;
}

/** A record that arrived after some or all of its windows had closed. */
export interface LateRecord<K extends string, V> {
  readonly kind: 'late';
  readonly key: K;
  readonly record: TaskRecord<V>;
  readonly eventTime: number;
  /** The record's windows that had closed; it was added to its other windows. */
  readonly missed: readonly Window[];
  readonly streamTime: number;
  readonly grace: number;
  /** e.g. `window [0,60000) closed at stream time 75000, grace 10000`. */
  readonly reason: string;
}

/** A record without a usable event time. */
export interface InvalidRecord<V> {
  readonly kind: 'invalid';
  readonly record: TaskRecord<V>;
  readonly reason: string;
}

/** Everything a windowed aggregation emits; commit markers pass through in order. */
export type WindowOutput<K extends string, A, V> =
  | WindowResult<K, A>
  | WindowRetraction<K>
  | LateRecord<K, V>
  | InvalidRecord<V>
  | CommitMarker;

/** Counters of one windowed aggregation, updated in place; the runtime reads them as metrics. */
export interface WindowCounters {
  /** Current stream time: the largest event time seen, or moved on by ticks, flushes and idle flushes. */
  streamTime: number;
  records: number;
  lateRecords: number;
  invalidRecords: number;
  /** Windows emitted as final. */
  windowsClosed: number;
  /** Non-final results emitted in `update` emission. */
  updates: number;
  /** Times idle flush moved stream time forward. */
  idleAdvances: number;
}

/** Fresh counters, all zero, stream time unknown. */
export function windowCounters(): WindowCounters {
  return { streamTime: -Infinity, records: 0, lateRecords: 0, invalidRecords: 0, windowsClosed: 0, updates: 0, idleAdvances: 0 };
}
