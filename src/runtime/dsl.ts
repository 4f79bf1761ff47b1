// The TypeScript DSL. Each step narrows the type, Kafka Streams style:
//   topology('app').stream(source) → Stream<V> → .windowedBy(spec) → WindowedStream<V> → .aggregate(…) → Stream<WindowResult>
//   → .to(topic) / .toSink(sink).
// Every step is an RxJS operator over Flow events; control events and outputs pass through untouched.
import { Observable, Subject, type OperatorFunction } from 'rxjs';
import { deadLetterRecord, DLQ_TOPIC } from '../dlq/index.ts';
import {
  windowCounters,
  windowedAggregate,
  type Aggregator,
  type TaskRecord,
  type WindowResult,
  type WindowSpec,
} from '../operators/index.ts';
import { inMemoryWindowStore, type Serde, type WindowStore } from '../state/index.ts';
import type { Flow, OutputTopicSpec, SinkSpec, SourceSpec, StoreSpec, TaskContext, TaskOutput, Topology } from './topology.ts';

type Step = (ctx: TaskContext) => OperatorFunction<Flow<unknown>, Flow<unknown>>;

/** JSON that tolerates bigint (OTLP nanoseconds). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}

function output(o: TaskOutput): Flow<never> {
  return { kind: 'output', output: o };
}

/** A dead letter for an item a step could not handle; the item's value is kept as JSON. */
function deadLetter(record: TaskRecord<unknown>, err: unknown): Flow<never> {
  const pos = record.position ?? { topic: 'unknown', partition: -1, offset: '-1' };
  const message = deadLetterRecord(
    { ...pos, key: record.key === null ? null : Buffer.from(record.key), value: Buffer.from(toJson(record.value)), timestamp: String(record.timestamp) },
    err,
  );
  return output({ kind: 'emit', topic: DLQ_TOPIC, key: message.key ?? null, value: message.value ?? null, headers: message.headers as Record<string, string> });
}

/** An operator that handles records with `onRecord` and passes everything else through. A throwing record becomes a dead letter. */
function recordStep<V, W>(onRecord: (record: TaskRecord<V>, emit: (flow: Flow<W>) => void) => void): OperatorFunction<Flow<V>, Flow<W>> {
  return (source) =>
    new Observable<Flow<W>>((subscriber) => {
      const emit = (flow: Flow<W>) => subscriber.next(flow);
      return source.subscribe({
        next: (event) => {
          if (event.kind !== 'record') return subscriber.next(event as Flow<W>);
          try {
            onRecord(event, emit);
          } catch (err) {
            subscriber.next(deadLetter(event, err));
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/** How records of a stream become Kafka records. Defaults: the record key, the value as JSON. */
export interface Produced<V> {
  key?: (value: V, key: string | null) => Buffer | string | null;
  value?: (value: V) => Buffer | string | null;
  headers?: (value: V) => Record<string, string>;
  /** Create the topic compacted (tables keyed by an id). */
  compacted?: boolean;
}

/** Options of a windowed aggregation (a noun, like Kafka Streams' Materialized). */
export interface Materialized<A> {
  /** Store name; its changelog topic is `<application>-<store>-changelog`. */
  store: string;
  /** Serializes the aggregate for the changelog. */
  serde: Serde<A>;
  /** Changelog buckets per task (default 256). */
  buckets?: number;
}

export interface WindowOptions {
  /** ms of stream time a window keeps accepting records after its end (default 0). */
  grace?: number;
  /** `final` (default) or `update` (every change; tumbling and hopping windows only). */
  emit?: 'final' | 'update';
  /** Where records later than end + grace go (default `<application>.late`). */
  lateTopic?: string;
}

class Builder {
  readonly stores: StoreSpec[] = [];
  readonly outputs = new Map<string, OutputTopicSpec>();
  readonly sinks = new Map<string, SinkSpec>();
  readonly steps: Step[] = [];
  source?: SourceSpec<unknown>;
  readonly application: string;
  constructor(application: string) {
    this.application = application;
  }
}

/** A stream of records of type V inside a task. */
export class Stream<V> {
  protected readonly builder: Builder;
  constructor(builder: Builder) {
    this.builder = builder;
  }

  private then<W>(step: (ctx: TaskContext) => OperatorFunction<Flow<V>, Flow<W>>): Stream<W> {
    this.builder.steps.push(step as Step);
    return new Stream<W>(this.builder);
  }

  /** Keeps records whose value satisfies `predicate`. */
  filter(predicate: (value: V, key: string | null) => boolean): Stream<V> {
    return this.then(() => recordStep<V, V>((r, emit) => predicate(r.value, r.key) && emit(r)));
  }

  /** Replaces each value. */
  mapValues<W>(fn: (value: V, key: string | null) => W): Stream<W> {
    return this.then(() => recordStep<V, W>((r, emit) => emit({ ...r, value: fn(r.value, r.key) })));
  }

  /** Replaces each value by zero or more values with the same key and time. */
  flatMapValues<W>(fn: (value: V, key: string | null) => Iterable<W>): Stream<W> {
    return this.then(() => recordStep<V, W>((r, emit) => {
      for (const value of fn(r.value, r.key)) emit({ ...r, value });
    }));
  }

  /** Sets the key (the grouping key of a following aggregation); partitioning is unchanged, so the key must not move a series across partitions. */
  selectKey(fn: (value: V, key: string | null) => string): Stream<V> {
    return this.then(() => recordStep<V, V>((r, emit) => emit({ ...r, key: fn(r.value, r.key) })));
  }

  /** Sets the event time. */
  withEventTime(fn: (value: V, timestamp: number) => number): Stream<V> {
    return this.then(() => recordStep<V, V>((r, emit) => emit({ ...r, timestamp: fn(r.value, r.timestamp) })));
  }

  /** Groups by key into event-time windows. */
  windowedBy(windows: WindowSpec, options: WindowOptions = {}): WindowedStream<V> {
    if (options.emit === 'update' && windows.kind === 'session') throw new Error('windowedBy: emit "update" is supported for tumbling and hopping windows only');
    return new WindowedStream<V>(this.builder, windows, options, (step) => this.then(step));
  }

  /** Writes each record to a Kafka topic, inside the task's transaction; the stream goes on. */
  to(topic: string, produced: Produced<V> = {}): Stream<V> {
    const existing = this.builder.outputs.get(topic);
    this.builder.outputs.set(topic, { topic, compacted: produced.compacted ?? existing?.compacted });
    const key = produced.key ?? ((_: V, k: string | null) => k);
    const value = produced.value ?? ((v: V) => toJson(v));
    return this.then(() => recordStep<V, V>((r, emit) => {
      emit(output({ kind: 'emit', topic, key: key(r.value, r.key), value: value(r.value), headers: produced.headers?.(r.value), timestamp: r.timestamp }));
      emit(r);
    }));
  }

  /** Writes each record as a row to an external sink (idempotent), before the task's offsets commit; the stream goes on. */
  toSink<R>(sink: SinkSpec, toRow: (value: V, key: string | null) => R): Stream<V> {
    this.builder.sinks.set(sink.name, sink);
    return this.then(() => recordStep<V, V>((r, emit) => {
      emit(output({ kind: 'sink', sink: sink.name, row: toRow(r.value, r.key) }));
      emit(r);
    }));
  }

  /** The runnable topology. */
  build(): Topology {
    const { builder } = this;
    if (!builder.source) throw new Error(`topology ${builder.application}: no source`);
    const steps = [...builder.steps];
    return {
      application: builder.application,
      source: builder.source,
      stores: [...builder.stores],
      outputs: [...builder.outputs.values()],
      sinks: [...builder.sinks.values()],
      pipeline: (ctx) => (input) => steps.reduce((flow, step) => flow.pipe(step(ctx)), input),
    };
  }
}

/** A stream grouped into windows; `aggregate` turns it into window results. */
export class WindowedStream<V> {
  private readonly builder: Builder;
  private readonly windows: WindowSpec;
  private readonly options: WindowOptions;
  private readonly then: <W>(step: (ctx: TaskContext) => OperatorFunction<Flow<V>, Flow<W>>) => Stream<W>;

  constructor(builder: Builder, windows: WindowSpec, options: WindowOptions, then: <W>(step: (ctx: TaskContext) => OperatorFunction<Flow<V>, Flow<W>>) => Stream<W>) {
    this.builder = builder;
    this.windows = windows;
    this.options = options;
    this.then = then;
  }

  /** Folds each key's records per window; emits final results (or updates), late records to the late topic. */
  aggregate<A>(aggregator: Aggregator<V, A>, materialized: Materialized<A>): Stream<WindowResult<string, A>> {
    const { builder, windows, options } = this;
    const lateTopic = options.lateTopic ?? `${builder.application}.late`;
    builder.stores.push({ name: materialized.store, buckets: materialized.buckets, create: () => inMemoryWindowStore<string, A>({ name: materialized.store, aggregateSerde: materialized.serde }) });
    builder.outputs.set(lateTopic, { topic: lateTopic });
    return this.then<WindowResult<string, A>>((ctx) => (source) =>
      new Observable<Flow<WindowResult<string, A>>>((subscriber) => {
        const store = ctx.store<WindowStore<string, A>>(materialized.store);
        const counters = windowCounters();
        ctx.gauges.set(`window_state_size{store="${materialized.store}"}`, () => store.size);
        ctx.gauges.set(`late_records_total{store="${materialized.store}"}`, () => counters.lateRecords);
        const inner = new Subject<TaskRecord<V> | Exclude<Flow<V>, TaskRecord<V> | { kind: 'output' }>>();
        const aggregated = inner.pipe(
          windowedAggregate<V, A, string>({
            windows,
            aggregator,
            grace: options.grace,
            emit: options.emit,
            store,
            counters,
            initialStreamTime: ctx.initialStreamTime,
            idleFlush: ctx.idleFlushMs ? { after: ctx.idleFlushMs } : undefined,
            scheduler: ctx.scheduler,
          }),
        );
        const sub = aggregated.subscribe({
          next: (out) => {
            ctx.streamTime.current = counters.streamTime;
            switch (out.kind) {
              case 'window':
                subscriber.next({ kind: 'record', key: out.key, timestamp: out.window.start, value: out });
                break;
              case 'late': {
                const pos = out.record.position;
                subscriber.next(output({
                  kind: 'emit',
                  topic: lateTopic,
                  key: out.key,
                  value: toJson({ eventTime: out.eventTime, streamTime: out.streamTime, grace: out.grace, missed: out.missed, source: pos, value: out.record.value }),
                  headers: { 'late.reason': out.reason, ...(pos ? { 'late.source.topic': pos.topic, 'late.source.partition': String(pos.partition), 'late.source.offset': pos.offset } : {}) },
                }));
                break;
              }
              case 'invalid':
                subscriber.next(deadLetter(out.record, new Error(out.reason)));
                break;
              case 'retract':
                // Only session windows retract, and only in update emission, which windowedBy refuses.
                break;
              case 'commit':
                subscriber.next(out);
                break;
            }
          },
          error: (err) => subscriber.error(err),
          complete: () => subscriber.complete(),
        });
        const upstream = source.subscribe({
          next: (event) => (event.kind === 'output' ? subscriber.next(event) : inner.next(event)),
          error: (err) => inner.error(err),
          complete: () => inner.complete(),
        });
        return () => {
          upstream.unsubscribe();
          sub.unsubscribe();
        };
      }),
    );
  }
}

/** A topology under construction; `stream(source)` starts its pipeline. */
export class TopologyBuilder {
  private readonly builder: Builder;
  constructor(application: string) {
    if (!/^[a-zA-Z0-9._-]+$/.test(application)) throw new Error(`application id "${application}" may only use letters, digits, '.', '_' and '-' (it names topics)`);
    this.builder = new Builder(application);
  }

  /** The topology's source: its records, decoded into items. */
  stream<V>(source: SourceSpec<V>): Stream<V> {
    if (this.builder.source) throw new Error(`topology ${this.builder.application}: one source per topology`);
    this.builder.source = source as SourceSpec<unknown>;
    return new Stream<V>(this.builder);
  }
}

/** Starts a topology; the application id names its consumer group, transactional ids and changelog topics. */
export function topology(application: string): TopologyBuilder {
  return new TopologyBuilder(application);
}
