// The TypeScript DSL. Each step narrows the type, Kafka Streams style:
//   topology('app').stream(source) → Stream<V> → .windowedBy(spec) → WindowedStream<V> → .aggregate(…) → Stream<WindowResult>
//   → .to(topic) / .toSink(sink).
// Every step is an RxJS operator over Flow events; control events and outputs pass through untouched.
import type { Config } from '../config/index.ts';
import { asyncScheduler, Observable, type OperatorFunction } from 'rxjs';
import { windowedAggregateProcessor, type Aggregator, type TaskRecord, type WindowResult, type WindowSpec } from '../operators/index.ts';
import type { Serde } from '../state/index.ts';
import { deadLetter, output, toJson } from './outputs.ts';
import type { ProcessorDefinition, StoreDefinition } from './processor.ts';
import { processorStep } from './processorStep.ts';
import { windowStore } from './stores.ts';
import { lateTopicOf } from './task.ts';
import type { Flow, OutputTopicSpec, SinkSpec, SourceSpec, StoreSpec, TaskContext, Topology } from './topology.ts';

type Step = (ctx: TaskContext) => OperatorFunction<Flow<unknown>, Flow<unknown>>;

export { toJson };

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
  /** Record headers (default: the input record's headers, e.g. `tenant`). */
  headers?: (value: V, headers: Readonly<Record<string, string>> | undefined) => Record<string, string> | undefined;
  /** Create the topic compacted (tables keyed by an id). */
  compacted?: boolean;
  /** Async set-up before the first record is written (e.g. registering the value schema). */
  prepare?: (config: Config) => Promise<void>;
  /**
   * `key` (default): the key's hash picks the partition. `input`: the task's own input partition, so each output
   * partition has one writer and its records keep that task's order — what a next stage whose windows close on stream
   * time needs (a rollup level reading the level below). Keys must then be partition-local, as series ids are.
   */
  partition?: 'key' | 'input';
  /**
   * The Kafka timestamp: `event` (default), the record's event time; `written`, the task's wall clock when written —
   * for records whose value carries its own times (a rollup window), so that the topic's time retention counts from
   * when they were written and a replay of old data is not deleted at once.
   */
  dated?: 'event' | 'written';
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
  /** Async set-ups of the source and outputs, run before the first task starts. */
  readonly prepares: ((config: Config) => Promise<void>)[] = [];
  source?: SourceSpec<unknown>;
  readonly application: string;
  /** Items outside the event-time bounds and records later than a window's grace go here. */
  readonly lateTopic: string;
  constructor(application: string) {
    this.application = application;
    this.lateTopic = lateTopicOf(application);
  }

  /** Declares a store; a name may be used once per topology (it names the changelog topic). */
  addStore(store: StoreDefinition<unknown> | StoreSpec, owner: string): void {
    if (this.stores.some((s) => s.name === store.name)) throw new Error(`topology ${this.application}: store "${store.name}" of ${owner} is already declared by another step`);
    this.stores.push(store);
  }

  /** Declares an output topic; a later declaration may make it compacted. */
  addOutput(spec: OutputTopicSpec): void {
    const existing = this.outputs.get(spec.topic);
    this.outputs.set(spec.topic, { ...existing, ...spec, compacted: spec.compacted ?? existing?.compacted, coPartitioned: spec.coPartitioned ?? existing?.coPartitioned, retentionMs: spec.retentionMs ?? existing?.retentionMs });
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
    return new WindowedStream<V>(this, windows, options, this.builder.lateTopic);
  }

  /**
   * Runs a processor over each record (the Processor API): its stores are the task's, changelogged and restored;
   * it forwards records to the next step, writes to its named outputs and punctuates on stream time.
   */
  process<W>(definition: ProcessorDefinition<V, W>): Stream<W> {
    const { builder } = this;
    for (const store of definition.stores ?? []) builder.addStore(store, definition.name);
    if (definition.prepare) builder.prepares.push((config) => definition.prepare!(config));
    for (const target of Object.values(definition.outputs ?? {})) {
      if ('sink' in target) builder.sinks.set(target.sink.name, target.sink);
      else builder.addOutput({ topic: target.topic, compacted: target.compacted, ...(target.coPartitioned ? { coPartitioned: true } : {}), ...(target.retentionMs !== undefined ? { retentionMs: target.retentionMs } : {}) });
    }
    return this.then(processorStep(definition));
  }

  /** Writes each record to a Kafka topic, inside the task's transaction; the stream goes on. */
  to(topic: string, produced: Produced<V> = {}): Stream<V> {
    const coPartitioned = produced.partition === 'input';
    this.builder.addOutput({ topic, compacted: produced.compacted, ...(coPartitioned ? { coPartitioned } : {}) });
    if (produced.prepare) this.builder.prepares.push(produced.prepare);
    const key = produced.key ?? ((_: V, k: string | null) => k);
    const value = produced.value ?? ((v: V) => toJson(v));
    // Input headers travel with the record (the tenant among them) unless `headers` says otherwise.
    const headers = produced.headers ?? ((_: V, h: Readonly<Record<string, string>> | undefined) => (h && Object.keys(h).length > 0 ? (h as Record<string, string>) : undefined));
    return this.then((ctx) => recordStep<V, V>((r, emit) => {
      const partition = coPartitioned ? { partition: ctx.partition } : {};
      const timestamp = produced.dated === 'written' ? (ctx.scheduler ?? asyncScheduler).now() : r.timestamp;
      emit(output({ kind: 'emit', topic, key: key(r.value, r.key), value: value(r.value), headers: headers(r.value, r.headers), timestamp, ...partition }));
      emit(r);
    }));
  }

  /** Writes each record as a row to an external sink (idempotent), before the task's offsets commit; the stream goes on. */
  toSink<R>(sink: SinkSpec, toRow: (value: V, key: string | null, timestamp: number) => R): Stream<V> {
    this.builder.sinks.set(sink.name, sink);
    return this.then(() => recordStep<V, V>((r, emit) => {
      emit(output({ kind: 'sink', sink: sink.name, row: toRow(r.value, r.key, r.timestamp) }));
      emit(r);
    }));
  }

  /** The runnable topology. */
  build(): Topology {
    const { builder } = this;
    if (!builder.source) throw new Error(`topology ${builder.application}: no source`);
    const steps = [...builder.steps];
    const source = builder.source;
    const prepares = [...(source.prepare ? [(config: Config) => source.prepare!(config)] : []), ...builder.prepares];
    return {
      application: builder.application,
      source: builder.source,
      stores: [...builder.stores],
      outputs: [...builder.outputs.values(), ...(builder.outputs.has(builder.lateTopic) ? [] : [{ topic: builder.lateTopic }])],
      lateTopic: builder.lateTopic,
      sinks: [...builder.sinks.values()],
      ...(prepares.length > 0 ? { prepare: async (config: Config) => void (await Promise.all(prepares.map((p) => p(config)))) } : {}),
      pipeline: (ctx) => (input) => steps.reduce((flow, step) => flow.pipe(step(ctx)), input),
    };
  }
}

/** A stream grouped into windows; `aggregate` turns it into window results. */
export class WindowedStream<V> {
  private readonly stream: Stream<V>;
  private readonly windows: WindowSpec;
  private readonly options: WindowOptions;
  private readonly lateTopic: string;

  constructor(stream: Stream<V>, windows: WindowSpec, options: WindowOptions, lateTopic: string) {
    this.stream = stream;
    this.windows = windows;
    this.options = options;
    this.lateTopic = lateTopic;
  }

  /** Folds each key's records per window; emits final results (or updates), late records to the late topic. */
  aggregate<A>(aggregator: Aggregator<V, A>, materialized: Materialized<A>): Stream<WindowResult<string, A>> {
    const { windows, options } = this;
    const processor = windowedAggregateProcessor<V, A>({
      windows,
      aggregator,
      grace: options.grace,
      emit: options.emit,
      store: windowStore<string, A>({ name: materialized.store, serde: materialized.serde, buckets: materialized.buckets }),
      lateTopic: options.lateTopic ?? this.lateTopic,
    });
    return this.stream.process(processor);
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
