// Hosts a processor inside a task's pipeline: records go to `process`, control events and outputs pass through,
// stream-time punctuations fire after the record that moved stream time, wall-clock ones on the task's scheduler.
import { asyncScheduler, interval, Observable, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs';
import type { TaskRecord } from '../operators/index.ts';
import { deadLetter, output, toJson } from './outputs.ts';
import type { Cancellable, Processor, ProcessorContext, ProcessorDefinition, ProcessorRecord, PunctuationType, StoreDefinition } from './processor.ts';
import type { Flow, TaskContext } from './topology.ts';

/** A stream-time punctuation: fires at multiples of its interval. */
interface StreamPunctuation {
  interval: number;
  /** Stream time of the next firing; undefined until stream time is known. */
  next?: number;
  punctuate: (time: number) => void;
  cancelled: boolean;
}

/** The next multiple of `interval` after `time`. */
export function nextPunctuation(time: number, interval: number): number {
  return Math.floor(time / interval) * interval + interval;
}

/** The pipeline step of a processor definition. */
export function processorStep<In, Out>(definition: ProcessorDefinition<In, Out>): (ctx: TaskContext) => OperatorFunction<Flow<In>, Flow<Out>> {
  return (ctx) => (source) =>
    new Observable<Flow<Out>>((subscriber) => {
      const host = new ProcessorHost<In, Out>(definition, ctx, subscriber);
      const upstream = source.subscribe({
        next: (event) => host.onEvent(event),
        error: (err) => subscriber.error(err),
        complete: () => {
          host.close();
          subscriber.complete();
        },
      });
      host.init();
      return () => {
        upstream.unsubscribe();
        host.close();
      };
    });
}

class ProcessorHost<In, Out> implements ProcessorContext<Out> {
  readonly application: string;
  readonly partition: number;
  readonly idleFlushMs?: number;
  private readonly definition: ProcessorDefinition<In, Out>;
  private readonly ctx: TaskContext;
  private readonly subscriber: Subscriber<Flow<Out>>;
  private readonly processor: Processor<In, Out>;
  private readonly stores: Array<{ definition: StoreDefinition<unknown>; store: unknown }> = [];
  private readonly punctuations: StreamPunctuation[] = [];
  private readonly timers = new Set<Subscription>();
  /** The record being processed, for dead letters that name their origin. */
  private current?: TaskRecord<In>;
  private closed = false;

  constructor(definition: ProcessorDefinition<In, Out>, ctx: TaskContext, subscriber: Subscriber<Flow<Out>>) {
    this.definition = definition;
    this.ctx = ctx;
    this.subscriber = subscriber;
    this.application = ctx.application;
    this.partition = ctx.partition;
    this.idleFlushMs = ctx.wallClockPunctuations ? ctx.idleFlushMs : undefined;
    for (const store of definition.stores ?? []) this.stores.push({ definition: store, store: ctx.store(store.name) });
    this.processor = definition.create();
  }

  init(): void {
    this.guard(() => this.processor.init?.(this));
  }

  onEvent(event: Flow<In>): void {
    if (this.closed) return;
    switch (event.kind) {
      case 'record':
        // No closure per record (guard's): this is every point's path.
        this.current = event;
        try {
          if (this.stores.length > 0) this.advanceStores();
          // The record event is a ProcessorRecord already (the task gives every record its headers): no copy per record.
          this.processor.process(event.headers ? (event as ProcessorRecord<In>) : { ...event, headers: {} });
          if (this.punctuations.length > 0) this.firePunctuations();
        } catch (err) {
          this.fail(err);
        }
        this.current = undefined;
        return;
      case 'tick':
        this.guard(() => {
          if (this.stores.length > 0) this.advanceStores();
          this.processor.advance?.(event.streamTime);
          this.firePunctuations();
        });
        this.subscriber.next(event);
        return;
      case 'flush':
        this.guard(() => this.processor.flush?.());
        this.subscriber.next(event);
        return;
      case 'commit':
        this.guard(() => this.processor.commit?.());
        this.subscriber.next(event);
        return;
      default:
        // commit markers and outputs of earlier steps pass through in order
        this.subscriber.next(event as Flow<Out>);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) timer.unsubscribe();
    this.timers.clear();
    this.processor.close?.();
  }

  // --- ProcessorContext ---

  streamTime(): number {
    return this.ctx.streamTime.current;
  }

  advanceStreamTime(time: number): void {
    if (time > this.ctx.streamTime.current) this.ctx.streamTime.current = time;
  }

  wallClockTime(): number {
    return (this.ctx.scheduler ?? asyncScheduler).now();
  }

  forward(record: ProcessorRecord<Out>): void {
    this.subscriber.next({ kind: 'record', key: record.key, timestamp: record.timestamp, value: record.value, headers: record.headers, position: record.position });
  }

  emit(name: string, record: ProcessorRecord<unknown>): void {
    const target = this.definition.outputs?.[name];
    if (!target) throw new Error(`processor ${this.definition.name}: no output named "${name}" (declared: ${Object.keys(this.definition.outputs ?? {}).join(', ') || 'none'})`);
    if ('sink' in target) {
      this.subscriber.next(output({ kind: 'sink', sink: target.sink.name, row: record.value }));
      return;
    }
    // null is a tombstone (compacted outputs delete keys with it), never the JSON text "null".
    const value = target.value ? target.value(record.value) : record.value === null || typeof record.value === 'string' || Buffer.isBuffer(record.value) ? record.value : toJson(record.value);
    const headers = Object.keys(record.headers).length > 0 ? { ...record.headers } : undefined;
    this.subscriber.next(output({ kind: 'emit', topic: target.topic, key: record.key, value, headers, timestamp: record.timestamp, ...(target.coPartitioned ? { partition: this.ctx.partition } : {}) }));
  }

  deadLetter(record: ProcessorRecord<unknown>, reason: unknown): void {
    this.subscriber.next(deadLetter({ kind: 'record', key: record.key, timestamp: record.timestamp, value: record.value, position: record.position ?? this.current?.position }, reason));
  }

  store<S>(store: StoreDefinition<S>): S {
    const found = this.stores.find((s) => s.definition.name === store.name);
    if (!found) throw new Error(`processor ${this.definition.name}: store "${store.name}" is not declared in its definition`);
    return found.store as S;
  }

  schedule(intervalMs: number, type: PunctuationType, punctuate: (time: number) => void): Cancellable {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`processor ${this.definition.name}: punctuation interval must be > 0 ms, got ${intervalMs}`);
    if (type === 'stream-time') {
      // Scheduled after a restore, the first firing is where the earlier owner's next one was: the first multiple
      // of the interval past the restored stream time.
      const now = this.ctx.streamTime.current;
      const p: StreamPunctuation = { interval: intervalMs, punctuate, cancelled: false, next: now === -Infinity ? undefined : nextPunctuation(now, intervalMs) };
      this.punctuations.push(p);
      return { cancel: () => (p.cancelled = true) };
    }
    if (!this.ctx.wallClockPunctuations) return { cancel: () => {} };
    const scheduler = this.ctx.scheduler ?? asyncScheduler;
    const timer = interval(intervalMs, scheduler).subscribe(() => {
      if (!this.closed) this.guard(() => punctuate(scheduler.now()));
    });
    this.timers.add(timer);
    return {
      cancel: () => {
        timer.unsubscribe();
        this.timers.delete(timer);
      },
    };
  }

  gauge(name: string, read: () => number): void {
    this.ctx.gauges.set(name, read);
  }

  // --- internals ---

  private advanceStores(): void {
    const time = this.ctx.streamTime.current;
    if (time === -Infinity) return;
    for (const { definition, store } of this.stores) definition.advance?.(store, time);
  }

  private firePunctuations(): void {
    const time = this.ctx.streamTime.current;
    if (time === -Infinity) return;
    for (const p of this.punctuations) {
      if (p.cancelled) continue;
      if (p.next === undefined) p.next = nextPunctuation(time, p.interval);
      else if (time >= p.next) {
        p.next = nextPunctuation(time, p.interval);
        p.punctuate(time);
      }
    }
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(err);
    }
  }

  /** A processor's exception fails the task's pipeline: the task is discarded and restored, never half-applied. */
  private fail(err: unknown): void {
    this.closed = true;
    const where = this.current?.position ? ` at ${this.current.position.topic}-${this.current.position.partition}@${this.current.position.offset}` : '';
    // The step and position join the message; the error keeps its type (dead letters report it).
    const wrapped = new Error(`processor ${this.definition.name}${where}: ${(err as Error).message ?? String(err)}`, { cause: err });
    if (err instanceof Error) wrapped.name = err.name;
    this.subscriber.error(wrapped);
  }
}
