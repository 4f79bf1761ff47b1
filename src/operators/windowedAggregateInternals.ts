// The synchronous core of `windowedAggregate`: stream time, window assignment, lateness and
// closing. No RxJS here, so the rules read in one place; the operator adds subscription and timers.
import type { WindowEntry, WindowStore } from '../state/index.ts';
import type { Aggregator } from './aggregators.ts';
import type { TaskEvent, TaskRecord } from './taskEvent.ts';
import type { WindowCounters, WindowOutput } from './windowOutput.ts';
import { assignWindows, formatWindow, sessionWindowOf, windowsOverlap } from './windows.ts';
import type { FixedWindows, SessionWindows, Window, WindowSpec } from './windows.ts';

/** The options the core needs, with defaults applied. */
export interface WindowAggregationConfig<V, K extends string, A> {
  windows: WindowSpec;
  aggregator: Aggregator<V, A>;
  key: (record: TaskRecord<V>) => K;
  eventTime: (record: TaskRecord<V>) => number;
  grace: number;
  emit: 'final' | 'update';
  store: WindowStore<K, A>;
  counters: WindowCounters;
}

/**
 * One task's windowed aggregation. Rules:
 * - stream time = max(event times seen, ticks); it never decreases;
 * - a window closes (emits its final result and leaves the store) once end + grace ≤ stream time;
 * - a record is late for each of its windows that is already closed by that rule; it still counts
 *   in its open windows. A session record is late only if it would form a closed session, i.e.
 *   its own `[t, t + gap)` is closed and it overlaps no open session of its key.
 * Windows closing at the same stream time are emitted ordered by end, key, start.
 */
export class WindowAggregation<V, K extends string, A> {
  private readonly config: WindowAggregationConfig<V, K, A>;
  private readonly emit: (output: WindowOutput<K, A, V>) => void;

  constructor(config: WindowAggregationConfig<V, K, A>, emit: (output: WindowOutput<K, A, V>) => void) {
    this.config = config;
    this.emit = emit;
  }

  get streamTime(): number {
    return this.config.counters.streamTime;
  }

  /** Handles one input event, emitting its outputs synchronously. */
  onEvent(event: TaskEvent<V>): void {
    switch (event.kind) {
      case 'record':
        this.onRecord(event);
        return;
      case 'tick':
        if (Number.isNaN(event.streamTime)) throw new TypeError('tick: streamTime is NaN');
        this.advanceTo(event.streamTime);
        return;
      case 'flush':
        this.flush();
        return;
      case 'commit':
        this.emit(event);
        return;
    }
  }

  /** Moves stream time forward (never back) and closes the windows it passes. */
  advanceTo(streamTime: number): void {
    if (!(streamTime > this.config.counters.streamTime)) return;
    this.config.counters.streamTime = streamTime;
    this.closeEndedBy(streamTime - this.config.grace);
  }

  /** Moves stream time to where the last open window closes, closing them all. */
  flush(): void {
    const closing = this.config.store.takeEndedBy(Infinity);
    for (const entry of closing) {
      const closesAt = entry.end + this.config.grace;
      if (closesAt > this.config.counters.streamTime) this.config.counters.streamTime = closesAt;
    }
    this.emitFinal(closing);
  }

  private onRecord(record: TaskRecord<V>): void {
    const { counters } = this.config;
    counters.records++;
    const raw = this.config.eventTime(record);
    // + 0 turns -0 into 0 so window bounds never print as -0.
    const eventTime = Math.floor(raw) + 0;
    if (!Number.isSafeInteger(eventTime)) {
      counters.invalidRecords++;
      this.emit({ kind: 'invalid', record, reason: `event time ${raw} is not a finite ms timestamp` });
      return;
    }
    const key = this.config.key(record);
    this.advanceTo(eventTime);
    const { windows } = this.config;
    if (windows.kind === 'session') this.addToSession(windows, record, key, eventTime);
    else this.addToFixedWindows(windows, record, key, eventTime);
  }

  private addToFixedWindows(spec: FixedWindows, record: TaskRecord<V>, key: K, eventTime: number): void {
    const { aggregator, store } = this.config;
    if (spec.kind === 'tumbling') {
      // One window per record: what assignWindows returns for tumbling windows, without the arrays.
      const start = eventTime - floorMod(eventTime, spec.size);
      const window: Window = { start, end: start + spec.size };
      if (this.isClosed(window)) {
        this.emitLate(record, key, eventTime, [window]);
        return;
      }
      const current = store.aggregateOf(key, start);
      const aggregate = aggregator.add(current === undefined ? aggregator.init() : current, record.value, eventTime);
      store.put(key, start, window.end, aggregate);
      this.emitUpdate(key, window, aggregate);
      return;
    }
    const missed: Window[] = [];
    const open: Window[] = [];
    for (const window of assignWindows(spec, eventTime)) (this.isClosed(window) ? missed : open).push(window);
    if (missed.length > 0) this.emitLate(record, key, eventTime, missed);
    for (const window of open) {
      const current = store.aggregateOf(key, window.start);
      const aggregate = aggregator.add(current === undefined ? aggregator.init() : current, record.value, eventTime);
      store.put(key, window.start, window.end, aggregate);
      this.emitUpdate(key, window, aggregate);
    }
  }

  private addToSession(spec: SessionWindows, record: TaskRecord<V>, key: K, eventTime: number): void {
    const { aggregator, store } = this.config;
    const own = sessionWindowOf(spec, eventTime);
    // The store holds open windows only (closing evicts), so every overlap is an open session.
    const overlapping = store.windowsOf(key).filter((session) => windowsOverlap(session, own));
    if (overlapping.length === 0 && this.isClosed(own)) {
      this.emitLate(record, key, eventTime, [own]);
      return;
    }
    let start = own.start;
    let end = own.end;
    for (const session of overlapping) {
      start = Math.min(start, session.start);
      end = Math.max(end, session.end);
    }
    const merged = overlapping.length === 0 ? aggregator.init() : mergeAggregates(aggregator, overlapping);
    const aggregate = aggregator.add(merged, record.value, eventTime);
    for (const session of overlapping) {
      if (session.start === start) continue;
      store.delete(key, session.start);
      if (this.config.emit === 'update') {
        this.emit({ kind: 'retract', key, window: windowOf(session), streamTime: this.streamTime });
      }
    }
    store.put(key, start, end, aggregate);
    this.emitUpdate(key, { start, end }, aggregate);
  }

  private isClosed(window: Window): boolean {
    return window.end + this.config.grace <= this.config.counters.streamTime;
  }

  private closeEndedBy(maxEnd: number): void {
    this.emitFinal(this.config.store.takeEndedBy(maxEnd));
  }

  private emitFinal(closed: WindowEntry<K, A>[]): void {
    for (const entry of closed) {
      this.config.counters.windowsClosed++;
      this.emit({
        kind: 'window',
        key: entry.key,
        window: windowOf(entry),
        aggregate: entry.aggregate,
        final: true,
        streamTime: this.streamTime,
      });
    }
  }

  private emitUpdate(key: K, window: Window, aggregate: A): void {
    if (this.config.emit !== 'update') return;
    this.config.counters.updates++;
    this.emit({ kind: 'window', key, window, aggregate, final: false, streamTime: this.streamTime });
  }

  private emitLate(record: TaskRecord<V>, key: K, eventTime: number, missed: Window[]): void {
    const { counters, grace } = this.config;
    counters.lateRecords++;
    const windows = missed.map(formatWindow).join(', ');
    const reason = `${missed.length === 1 ? 'window' : 'windows'} ${windows} closed at stream time ${counters.streamTime}, grace ${grace}`;
    this.emit({ kind: 'late', key, record, eventTime, missed, streamTime: counters.streamTime, grace, reason });
  }
}

function mergeAggregates<V, K extends string, A>(aggregator: Aggregator<V, A>, sessions: WindowEntry<K, A>[]): A {
  let merged = sessions[0].aggregate;
  for (let i = 1; i < sessions.length; i++) {
    if (!aggregator.merge) throw new TypeError('session windows need an aggregator with merge');
    merged = aggregator.merge(merged, sessions[i].aggregate);
  }
  return merged;
}

// Modulo that is never negative, as in assignWindows.
function floorMod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

function windowOf(entry: Window): Window {
  return { start: entry.start, end: entry.end };
}
