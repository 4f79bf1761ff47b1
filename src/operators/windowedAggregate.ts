import { Observable, asyncScheduler } from 'rxjs';
import type { OperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import { inMemoryWindowStore } from '../state/index.ts';
import type { WindowStore } from '../state/index.ts';
import type { Aggregator } from './aggregators.ts';
import type { TaskEvent, TaskRecord } from './taskEvent.ts';
import { WindowAggregation } from './windowedAggregateInternals.ts';
import type { WindowAggregationConfig } from './windowedAggregateInternals.ts';
import { windowCounters } from './windowOutput.ts';
import type { WindowCounters, WindowOutput } from './windowOutput.ts';
import { validateWindowSpec } from './windows.ts';
import type { WindowSpec } from './windows.ts';

/**
 * Idle flush: after `after` ms of scheduler time without a record or tick, stream time follows the
 * scheduler clock: it becomes (stream time at the last input) + (scheduler ms since the last input),
 * re-evaluated every `after` ms while windows are open. The first input after that continues from
 * the advanced stream time, so records for windows closed this way are late.
 */
export interface IdleFlush {
  readonly after: number;
}

/** Options of `windowedAggregate`; the generic parameters narrow record → key → aggregate. */
export interface WindowedAggregateOptions<V, K extends string, A> {
  /** Window spec: `tumblingWindows(size)`, `hoppingWindows(size, advance)` or `sessionWindows(gap)`. */
  windows: WindowSpec;
  /** Folds record values into a window aggregate; session windows need `merge`. */
  aggregator: Aggregator<V, A>;
  /** Group key of a record (default: the Kafka key, or '' when null). */
  key?: (record: TaskRecord<V>) => K;
  /** Event time in ms (default: the Kafka record timestamp); fractions are floored. */
  eventTime?: (record: TaskRecord<V>) => number;
  /** How long after its end a window still accepts records, in ms of stream time (default 0). */
  grace?: number;
  /** `final` (default): one result per window when it closes. `update`: also every change. */
  emit?: 'final' | 'update';
  /**
   * Store for open windows (default: a fresh unlogged in-memory store per subscription). A given
   * store, like given counters, is shared by every subscription: subscribe once per task.
   */
  store?: WindowStore<K, A>;
  /** Counters to update in place (default: fresh ones per subscription); holds the stream time. */
  counters?: WindowCounters;
  /** Stream time restored with the task's state (default: unknown until the first record). */
  initialStreamTime?: number;
  /** Wall-clock idle flush; off by default, and off in backfills. */
  idleFlush?: IdleFlush;
  /** Clock for idle flush (default: asyncScheduler); tests pass a TestScheduler. */
  scheduler?: SchedulerLike;
  /**
   * When the input completes: `keep` (default) leaves open windows in the store, as a task that is
   * revoked or shut down must; `flush` closes them all first, for finite inputs such as backfills.
   */
  endOfInput?: 'keep' | 'flush';
}

/** Aggregates records per key and event-time window, closing windows on stream time + grace. */
export function windowedAggregate<V, A, K extends string = string>(
  options: WindowedAggregateOptions<V, K, A>,
): OperatorFunction<TaskEvent<V>, WindowOutput<K, A, V>> {
  const windows = validateWindowSpec(options.windows);
  const grace = options.grace ?? 0;
  if (!Number.isSafeInteger(grace) || grace < 0) throw new RangeError(`grace must be a non-negative integer of ms, got ${grace}`);
  if (windows.kind === 'session' && !options.aggregator.merge) {
    throw new TypeError('session windows need an aggregator with merge');
  }
  const idleAfter = options.idleFlush?.after;
  if (idleAfter !== undefined && !(idleAfter > 0)) throw new RangeError(`idleFlush.after must be > 0, got ${idleAfter}`);
  const scheduler = options.scheduler ?? asyncScheduler;

  return (source) =>
    new Observable<WindowOutput<K, A, V>>((subscriber) => {
      const counters = options.counters ?? windowCounters();
      const config: WindowAggregationConfig<V, K, A> = {
        windows,
        aggregator: options.aggregator,
        key: options.key ?? ((record) => (record.key ?? '') as K),
        eventTime: options.eventTime ?? ((record) => record.timestamp),
        grace,
        emit: options.emit ?? 'final',
        store: options.store ?? inMemoryWindowStore<K, A>({ name: 'windowed-aggregate', logged: false }),
        counters,
      };
      const aggregation = new WindowAggregation(config, (output) => subscriber.next(output));
      if (options.initialStreamTime !== undefined) aggregation.advanceTo(options.initialStreamTime);

      // Idle flush state: one pending timer at most; inputs only move the last-activity mark.
      let timer: Subscription | undefined;
      let lastInputAt = 0;
      let streamTimeAtLastInput = -Infinity;
      const armIdleTimer = (delay: number): void => {
        if (idleAfter === undefined || timer !== undefined || config.store.size === 0) return;
        timer = scheduler.schedule(onIdleTimer, delay);
      };
      const onIdleTimer = (): void => {
        timer = undefined;
        if (idleAfter === undefined || subscriber.closed) return;
        const idle = scheduler.now() - lastInputAt;
        if (idle < idleAfter) {
          armIdleTimer(idleAfter - idle);
          return;
        }
        if (streamTimeAtLastInput !== -Infinity) {
          const before = aggregation.streamTime;
          try {
            aggregation.advanceTo(streamTimeAtLastInput + idle);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          if (aggregation.streamTime > before) counters.idleAdvances++;
        }
        armIdleTimer(idleAfter);
      };

      const subscription = source.subscribe({
        next: (event) => {
          try {
            aggregation.onEvent(event);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          if (idleAfter !== undefined && (event.kind === 'record' || event.kind === 'tick')) {
            lastInputAt = scheduler.now();
            streamTimeAtLastInput = aggregation.streamTime;
            armIdleTimer(idleAfter);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (options.endOfInput === 'flush') {
            try {
              aggregation.flush();
            } catch (error) {
              subscriber.error(error);
              return;
            }
          }
          subscriber.complete();
        },
      });

      return () => {
        subscription.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
