// The shape of a topology: one source topic, named state stores, an RxJS pipeline per task, outputs and sinks.
// The DSL (dsl.ts) and the YAML format (yaml.ts) both produce this; the worker runs it.
import type { Config } from '../config/index.ts';
import type { OperatorFunction, SchedulerLike } from 'rxjs';
import type { CommitMarker, TaskEvent } from '../operators/index.ts';
import type { ChangeCapture } from '../state/index.ts';
import type { ExternalSink } from './sinks.ts';

/** A consumed Kafka record as a source sees it. */
export interface SourceMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Kafka record timestamp, ms. */
  timestamp: number;
  headers: Record<string, string>;
}

/** One item a source makes of a record (an OTLP record holds many points). */
export interface SourceItem<V> {
  key: string | null;
  /** Event time, ms. */
  timestamp: number;
  value: V;
}

/** Where a topology reads from and how it turns records into items. */
export interface SourceSpec<V> {
  topic: string;
  /** Async set-up before any record is decoded (e.g. loading the schemas of an Avro topic); decode stays synchronous. */
  prepare?(config: Config): Promise<void>;
  /** Throws for a record that cannot be decoded or validated: it goes to the dead-letter topic. */
  decode(message: SourceMessage): Iterable<SourceItem<V>>;
}

/** A record for a Kafka topic, produced inside the task's transaction. */
export interface EmitOutput {
  kind: 'emit';
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string>;
  timestamp?: number;
  /** The partition to write to; by default the key's hash picks it. */
  partition?: number;
}

/** A row for an external sink, written (idempotently) before the task's offsets commit. */
export interface SinkOutput {
  kind: 'sink';
  sink: string;
  row: unknown;
}

export type TaskOutput = EmitOutput | SinkOutput;

/** Outputs travel down the rest of the pipeline untouched, beside the records. */
export interface OutputEvent {
  kind: 'output';
  output: TaskOutput;
}

/** What flows between the steps of a pipeline. */
export type Flow<V> = TaskEvent<V> | OutputEvent;

/** A store a topology declares; each task gets its own instance. */
export interface StoreSpec {
  name: string;
  create(): ChangeCapture<unknown>;
  /** `buckets` (default): changes written per bucket of keys (changelog.ts); `keys`: one record per changed key (keyChangelog.ts). */
  changelog?: 'buckets' | 'keys';
  /** Number of changelog buckets (see changelog.ts). */
  buckets?: number;
}

/** A Kafka topic a topology writes to, created with the input's partition count unless given. */
export interface OutputTopicSpec {
  topic: string;
  compacted?: boolean;
  numPartitions?: number;
  /** Records go to the task's own partition number, so the topic needs at least as many partitions as the input. */
  coPartitioned?: boolean;
  /** Time retention, ms: a compacted topic becomes `compact,delete` (old keys go even without a tombstone). */
  retentionMs?: number;
}

/** An external sink a topology writes to; created once per worker. */
export interface SinkSpec {
  name: string;
  create(ctx: SinkContext): Promise<ExternalSink>;
}

export interface SinkContext {
  application: string;
  /** Overrides from the command line, e.g. a different table for a backfill. */
  targets: Record<string, string>;
  config: import('../config/index.ts').Config;
}

/** What the pipeline of one task can reach. */
export interface TaskContext {
  application: string;
  topic: string;
  partition: number;
  /** The task's own instance of a declared store. */
  store<S extends ChangeCapture<unknown>>(name: string): S;
  /** Stream time restored from the changelog, if the task had state before. */
  initialStreamTime?: number;
  /** Reports the current stream time (for metrics and the changelog). Set by the step that tracks it. */
  streamTime: { current: number };
  /** Wall-clock idle flush, when the run enabled it; off in backfills. */
  idleFlushMs?: number;
  /** Whether wall-clock punctuations run (opt-in; never in a backfill). */
  wallClockPunctuations?: boolean;
  /** The task's clock for wall-clock punctuations (default: RxJS' asyncScheduler); tests pass a TestScheduler. */
  scheduler?: SchedulerLike;
  /** Counters a step exposes as metrics (window state size, late records). */
  gauges: Map<string, () => number>;
}

/** A runnable topology. */
export interface Topology {
  application: string;
  source: SourceSpec<unknown>;
  stores: StoreSpec[];
  outputs: OutputTopicSpec[];
  /** Where items beyond the event-time bounds go (one of `outputs`; `<application>.late` from the DSL). */
  lateTopic: string;
  sinks: SinkSpec[];
  /** Async set-up of the source and outputs (schema registration), run once before the first task starts. */
  prepare?(config: Config): Promise<void>;
  pipeline(ctx: TaskContext): OperatorFunction<Flow<unknown>, Flow<unknown>>;
}

export type { CommitMarker };
