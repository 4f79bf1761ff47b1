// Windowed aggregation as a processor: what the DSL's `windowedBy → aggregate` and the YAML `window` + `aggregate`
// steps run. The rules (stream time, window assignment, lateness, closing) are WindowAggregation's; this adds the
// task's store, its stream time, the late topic, dead letters and the idle flush.
import { tenantHeaders } from '../otlp/tenant.ts';
import type { ProcessorContext, ProcessorDefinition, ProcessorRecord, StoreDefinition } from '../runtime/processor.ts';
import type { WindowStore } from '../state/index.ts';
import type { Aggregator } from './aggregators.ts';
import { toTaskRecord, type TaskRecord } from './taskEvent.ts';
import { WindowAggregation } from './windowedAggregateInternals.ts';
import { windowCounters, type WindowOutput, type WindowResult } from './windowOutput.ts';
import { validateWindowSpec, type WindowSpec } from './windows.ts';

/** Options of a windowed aggregation processor. */
export interface WindowedAggregateProcessorOptions<V, A> {
  windows: WindowSpec;
  aggregator: Aggregator<V, A>;
  /** The window store (see `windowStore` in src/runtime/stores.ts). */
  store: StoreDefinition<WindowStore<string, A>>;
  /** ms of stream time a window keeps accepting records after its end (default 0). */
  grace?: number;
  /** `final` (default): one result per window when it closes; `update`: also every change (tumbling, hopping). */
  emit?: 'final' | 'update';
  /** Topic of records later than end + grace (declared as the output `late`). */
  lateTopic: string;
}

/** Aggregates records per key and event-time window; forwards window results, late records to the late topic. */
export function windowedAggregateProcessor<V, A>(o: WindowedAggregateProcessorOptions<V, A>): ProcessorDefinition<V, WindowResult<string, A>> {
  const windows = validateWindowSpec(o.windows);
  const grace = o.grace ?? 0;
  if (!Number.isSafeInteger(grace) || grace < 0) throw new RangeError(`grace must be a non-negative integer of ms, got ${grace}`);
  if (windows.kind === 'session' && !o.aggregator.merge) throw new TypeError('session windows need an aggregator with merge');
  if (o.emit === 'update' && windows.kind === 'session') throw new Error('emit "update" is supported for tumbling and hopping windows only');
  return {
    name: `window ${o.store.name}`,
    stores: [o.store],
    outputs: { late: { topic: o.lateTopic } },
    create() {
      let ctx: ProcessorContext<WindowResult<string, A>>;
      let aggregation: WindowAggregation<V, string, A>;
      let store: WindowStore<string, A>;
      const counters = windowCounters();
      // Idle flush: wall-clock time since the last record, and the stream time it left.
      let lastInputAt = 0;
      let streamTimeAtLastInput = -Infinity;

      const onOutput = (out: WindowOutput<string, A, V>): void => {
        switch (out.kind) {
          case 'window':
            // A window result belongs to the tenant of its key (src/otlp/tenant.ts), and says so in its headers.
            ctx.forward({ key: out.key, timestamp: out.window.start, value: out, headers: tenantHeaders(out.key) });
            return;
          case 'late': {
            const pos = out.record.position;
            ctx.emit('late', {
              key: out.key,
              // Kafka keeps a record by its timestamp: a late record is dated when it was set aside (its event time is in
              // the value), or time retention deletes the late records of a replay of old data within minutes.
              timestamp: ctx.wallClockTime(),
              value: { eventTime: out.eventTime, streamTime: out.streamTime, grace: out.grace, missed: out.missed, source: pos, value: out.record.value },
              headers: { 'late.reason': out.reason, ...(pos ? { 'late.source.topic': pos.topic, 'late.source.partition': String(pos.partition), 'late.source.offset': pos.offset } : {}) },
            });
            return;
          }
          case 'invalid':
            ctx.deadLetter({ key: out.record.key, timestamp: out.record.timestamp, value: out.record.value, headers: {}, position: out.record.position }, new Error(out.reason));
            return;
          default:
            // retractions only exist in update emission of session windows, which is refused; commit markers do not reach processors
            return;
        }
      };

      return {
        init(context) {
          ctx = context;
          store = ctx.store(o.store);
          aggregation = new WindowAggregation<V, string, A>(
            { windows, aggregator: o.aggregator, key: (r) => r.key ?? '', eventTime: (r) => r.timestamp, grace, emit: o.emit ?? 'final', store, counters },
            onOutput,
          );
          // Restored stream time closes what it already passed.
          aggregation.advanceTo(ctx.streamTime());
          ctx.gauge(`window_state_size{store="${o.store.name}"}`, () => store.size);
          ctx.gauge(`late_records_total{store="${o.store.name}"}`, () => counters.lateRecords);
          const idle = ctx.idleFlushMs;
          if (idle !== undefined) {
            // Armed at init, so windows restored into a partition that stays quiet still close.
            lastInputAt = ctx.wallClockTime();
            streamTimeAtLastInput = ctx.streamTime();
            ctx.schedule(idle, 'wall-clock', (now) => {
              const quiet = now - lastInputAt;
              if (quiet < idle || store.size === 0 || streamTimeAtLastInput === -Infinity) return;
              const before = aggregation.streamTime;
              aggregation.advanceTo(streamTimeAtLastInput + quiet);
              if (aggregation.streamTime > before) {
                counters.idleAdvances++;
                ctx.advanceStreamTime(aggregation.streamTime);
              }
            });
          }
        },
        process(record: ProcessorRecord<V>) {
          // Windows close on the task's stream time, which records this step never saw (filtered) also move.
          aggregation.advanceTo(ctx.streamTime());
          aggregation.onEvent('kind' in record ? (record as TaskRecord<V>) : toTaskRecord(record));
          if (ctx.idleFlushMs !== undefined) {
            lastInputAt = ctx.wallClockTime();
            streamTimeAtLastInput = aggregation.streamTime;
          }
        },
        advance() {
          aggregation.advanceTo(ctx.streamTime());
        },
        flush() {
          aggregation.flush();
          ctx.advanceStreamTime(aggregation.streamTime);
        },
      };
    },
  };
}
