// The Processor API: a step that runs your code over each record of a task, with named state stores it declares
// (changelogged, restored before the task processes anything, committed in the task's transaction), named outputs
// (topics or sinks) and punctuations on stream time — Kafka Streams' Processor API in our DSL and YAML.
// `Stream.process(definition)` in dsl.ts adds one; processorStep.ts hosts it inside the task's pipeline.
import type { Config } from '../config/index.ts';
import type { RecordPosition } from '../operators/index.ts';
import type { ChangeCapture } from '../state/index.ts';
import type { SinkSpec, StoreSpec } from './topology.ts';

/** A record as a processor sees it and forwards it. */
export interface ProcessorRecord<V> {
  readonly key: string | null;
  /** Event time, ms. */
  readonly timestamp: number;
  readonly value: V;
  /** Kafka headers of the input record (e.g. `tenant`); forwarded records keep what they are given. */
  readonly headers: Readonly<Record<string, string>>;
  /** Topic, partition and offset of the input record this one came from (absent for punctuation outputs). */
  readonly position?: RecordPosition;
}

/** `stream-time` punctuations fire as records move stream time; `wall-clock` ones on a timer (opt-in, never in a backfill). */
export type PunctuationType = 'stream-time' | 'wall-clock';

/** A scheduled punctuation; `cancel` stops it. */
export interface Cancellable {
  cancel(): void;
}

/** What a running processor can reach. One context per task. */
export interface ProcessorContext<Out> {
  readonly application: string;
  /** The task's input partition. */
  readonly partition: number;
  /** The task's stream time: the largest event time it has seen (restored with its stores); -Infinity before any. */
  streamTime(): number;
  /**
   * Moves the task's stream time forward (never back). For operators whose stream time follows the wall clock when
   * a partition is idle; ordinary processors leave stream time to the records.
   */
  advanceStreamTime(time: number): void;
  /** The worker's idle flush (`--idle-flush`), ms of wall-clock time without records; undefined when off (always in a backfill). */
  readonly idleFlushMs?: number;
  /** Wall-clock ms of the task's clock (the injected scheduler's `now()`). */
  wallClockTime(): number;
  /** Passes a record to the next step. */
  forward(record: ProcessorRecord<Out>): void;
  /** Writes a record to one of the definition's named outputs (a topic, or a sink whose row is the value). */
  emit(output: string, record: ProcessorRecord<unknown>): void;
  /** Sends a record this processor cannot handle to the dead-letter topic with the reason; processing goes on. */
  deadLetter(record: ProcessorRecord<unknown>, reason: unknown): void;
  /** The task's instance of a store the definition declared. */
  store<S>(store: StoreDefinition<S>): S;
  /**
   * Calls `punctuate(time)` every `intervalMs`: of stream time (at multiples of the interval, once per advance past
   * one, after the record that moved stream time), or of wall-clock time when the worker enables wall-clock
   * punctuations (`--idle-flush`; never in a backfill — there `schedule` returns a no-op and the callback never runs).
   */
  schedule(intervalMs: number, type: PunctuationType, punctuate: (time: number) => void): Cancellable;
  /** Exposes a number as the task gauge `name` on /metrics (e.g. store sizes). */
  gauge(name: string, read: () => number): void;
}

/** User code run by a process step, one instance per task. */
export interface Processor<In, Out> {
  /** Called once the task's stores are restored, before the first record. */
  init?(context: ProcessorContext<Out>): void;
  process(record: ProcessorRecord<In>): void;
  /** Stream time moved without a record reaching this step (records filtered or consumed before it). */
  advance?(streamTime: number): void;
  /** End of a finite input (a backfill's end offset): emit what would otherwise wait for more input. */
  flush?(): void;
  /**
   * The task is about to commit: what `emit` writes and what stores take now is part of this commit, with the offsets
   * of every record processed so far. For processors that hold records in memory between commits (and put in a store
   * only what must outlive the commit), instead of a store write per record.
   */
  commit?(): void;
  /** The task is closing (revoked, stopped); stores stay as committed. */
  close?(): void;
}

/** A named output of a processor: a Kafka topic (written in the task's transaction) or an external sink. */
export type ProcessorOutput =
  | {
      topic: string;
      compacted?: boolean;
      /** Records go to the task's own partition (as the input's), so a trace's outputs live where its spans do. */
      coPartitioned?: boolean;
      /** Time retention of the topic, ms (`compact,delete` when compacted). */
      retentionMs?: number;
      /** Record value to bytes (default: Buffer or string as is, null as a tombstone, anything else as JSON). */
      value?: (value: unknown) => Buffer | string | null;
    }
  | { sink: SinkSpec };

/** A process step: the processor's factory, its stores and its named outputs. */
export interface ProcessorDefinition<In, Out> {
  /** Names the step in logs and errors. */
  name: string;
  create(): Processor<In, Out>;
  stores?: readonly StoreDefinition<unknown>[];
  outputs?: Readonly<Record<string, ProcessorOutput>>;
  /** Async set-up before the first task starts (e.g. registering an output's schema). */
  prepare?(config: Config): Promise<void>;
}

/** A declared store: its spec for the runtime, and what to do as stream time moves (expiry). */
export interface StoreDefinition<S> extends StoreSpec {
  create(): S & ChangeCapture<unknown>;
  /** Called with the task's stream time before each record a step processes (e.g. TTL expiry). */
  advance?(store: S, streamTime: number): void;
}
