// A task: one input partition with its own stores, pipeline, stream time and transactional producer.
import { RUNTIME_DEFAULTS } from '../config/index.ts';
import type { KafkaMessage, PartitionOffset, Producer, TopicMessages, Transaction } from 'kafkajs';
import { Subject, type SchedulerLike, type Subscription } from 'rxjs';
import { deadLetterRecord, DLQ_TOPIC, type DeadLetterSource } from '../dlq/index.ts';
import type { CommitMarker, TaskEvent } from '../operators/index.ts';
import type { ChangeCapture } from '../state/index.ts';
import { BucketedChangelog, changelogTopic, type ChangelogMessage } from './changelog.ts';
import { KeyChangelog } from './keyChangelog.ts';
import { toJson } from './outputs.ts';
import { RecordError, type PoisonedRecord } from './poison.ts';
import type { ExternalSink } from './sinks.ts';
import type { EmitOutput, Flow, SinkOutput, SourceItem, SourceMessage, TaskContext, Topology } from './topology.ts';

/**
 * A record to produce. The timestamp may be a number: the produce encoder (src/kafka/produceRequest.ts) takes either,
 * so outputs go out as the pipeline emitted them, without a copy per record.
 */
export interface OutgoingRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string>;
  timestamp?: number | string;
  partition?: number;
}

export interface TaskCheckpoint {
  /** Records per topic to produce in the transaction. */
  messages: Map<string, OutgoingRecord[]>;
  /** Rows per sink to write before the transaction commits. */
  rows: Map<string, unknown[]>;
  count: number;
  /** Input offset committed before this checkpoint: its records start here (a replay starts here again). */
  fromOffset: bigint;
  /** Input offset the transaction commits: the task's position when the checkpoint was taken. */
  nextOffset: bigint;
  /** Committed with the offset as its metadata: the task's stream time (see `offsetMetadata`). */
  metadata: string;
}

/**
 * The task's stream time as offset-commit metadata (as Kafka Streams keeps it): committed in the same transaction as
 * the offset, so a restored task resumes with exactly the stream time its input offset was committed with — even a
 * task whose stores did not change (or that has none) and whose punctuations depend on it.
 */
export function offsetMetadata(streamTime: number): string {
  return Number.isFinite(streamTime) ? `st=${streamTime}` : '';
}

/** The stream time in offset-commit metadata, if any. */
export function streamTimeOf(metadata: string | null | undefined): number | undefined {
  const match = metadata ? /^st=(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/.exec(metadata) : null;
  return match ? Number(match[1]) : undefined;
}

/** How a store's changes reach its changelog topic, and come back on restore. */
interface StoreChangelog {
  checkpoint(streamTime: number | undefined): ChangelogMessage[];
  restore(records: Iterable<{ key: Buffer | null; value: Buffer | null }>): { entries: number; streamTime?: number };
}

/** How a worker sets up a task. */
export interface TaskOptions {
  /** Wall-clock idle flush of window steps, ms (off by default; never in backfills). */
  idleFlushMs?: number;
  /** Whether wall-clock punctuations run (opt-in; never in backfills). */
  wallClockPunctuations?: boolean;
  /** How far an item's event time may lead the task's wall clock before it goes to the late topic (default 1 h). */
  maxEventTimeLeadMs?: number;
  /** How far an item's event time may lag stream time before it goes to the late topic (default: no bound). */
  maxEventTimeLagMs?: number;
  /** The task's wall clock (default Date.now). */
  now?: () => number;
  /** The clock of wall-clock punctuations and idle flush (default RxJS' asyncScheduler); tests pass virtual time. */
  scheduler?: SchedulerLike;
  /** Where the task's dead letters go (default `otlp.dlq`). */
  deadLetterTopic?: string;
  /** That topic's max.message.bytes: larger dead letters are cut to fit. */
  deadLetterMaxBytes?: number;
  /** Largest changelog record (keep it under the changelog topics' max.message.bytes). */
  changelogRecordBytes?: number;
  /** Input records given up after failing, by offset: dead-lettered instead of processed. */
  poisoned?: ReadonlyMap<string, PoisonedRecord>;
}

export const DEFAULT_MAX_EVENT_TIME_LEAD_MS = RUNTIME_DEFAULTS.maxEventTimeLeadMs;

/** Topic of a topology's late records: items beyond the event-time bounds, and records later than a window's grace. */
export function lateTopicOf(application: string): string {
  return `${application}.late`;
}

/** Counts a task reports as metrics. */
export interface TaskStats {
  recordsIn: number;
  itemsIn: number;
  recordsOut: number;
  deadLetters: number;
  /** Items outside the event-time bounds, sent to the late topic. */
  outOfBounds: number;
  lag: number;
  commits: number;
}


export class Task {
  readonly topology: Topology;
  readonly topic: string;
  readonly partition: number;
  readonly stores = new Map<string, ChangeCapture<unknown>>();
  readonly changelogs = new Map<string, StoreChangelog>();
  readonly ctx: TaskContext;
  readonly stats: TaskStats = { recordsIn: 0, itemsIn: 0, recordsOut: 0, deadLetters: 0, outOfBounds: 0, lag: 0, commits: 0 };
  /** Committed input offset: where a restored task starts; records below it were processed by an earlier owner. */
  nextOffset = 0n;
  /**
   * Next input offset to process: records below it are in this task's memory, committed or not. At least
   * `nextOffset`; records below it are skipped if kafkajs delivers them again (after a rebalance, or a seek).
   */
  position = 0n;
  /** Wall-clock ms when uncommitted work first appeared since the last commit (undefined: none seen yet). */
  pendingSince?: number;
  /** A commit by the interval timer is queued on this task. */
  commitQueued = false;
  /** Wall-clock ms when the task last processed a batch. */
  lastBatchAt = 0;
  /** Consecutive batches that started past `position` at the same position (see `placeBatch`). */
  gap = { at: -1n, count: 0 };
  closed = false;
  producer?: Producer;
  private readonly input = new Subject<TaskEvent<unknown>>();
  private subscription?: Subscription;
  private emits: EmitOutput[] = [];
  private rows: SinkOutput[] = [];
  private emitBytes = 0;
  private pipelineError?: unknown;
  private started = false;
  private disposed = false;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly maxLead: number;
  private readonly maxLag: number;
  private readonly now: () => number;
  private readonly lateTopic: string;

  private readonly deadLetters: { topic: string; maxBytes?: number; poisoned?: ReadonlyMap<string, PoisonedRecord> };

  constructor(topology: Topology, partition: number, options: TaskOptions = {}) {
    this.topology = topology;
    this.topic = topology.source.topic;
    this.partition = partition;
    this.maxLead = options.maxEventTimeLeadMs ?? DEFAULT_MAX_EVENT_TIME_LEAD_MS;
    this.maxLag = options.maxEventTimeLagMs ?? Infinity;
    this.now = options.now ?? Date.now;
    this.lateTopic = topology.lateTopic;
    this.deadLetters = { topic: options.deadLetterTopic ?? DLQ_TOPIC, maxBytes: options.deadLetterMaxBytes, poisoned: options.poisoned };
    for (const spec of topology.stores) {
      const store = spec.create();
      this.stores.set(spec.name, store);
      this.changelogs.set(spec.name, spec.changelog === 'keys' ? new KeyChangelog(store) : new BucketedChangelog(store, spec.buckets, options.changelogRecordBytes));
    }
    this.ctx = {
      application: topology.application,
      topic: this.topic,
      partition,
      store: <S extends ChangeCapture<unknown>>(name: string) => {
        const store = this.stores.get(name);
        if (!store) throw new Error(`topology ${topology.application}: no store named ${name}`);
        return store as S;
      },
      streamTime: { current: -Infinity },
      idleFlushMs: options.idleFlushMs,
      wallClockPunctuations: options.wallClockPunctuations ?? options.idleFlushMs !== undefined,
      scheduler: options.scheduler,
      gauges: new Map(),
    };
  }

  /** Changelog topic names of this task's stores. */
  changelogTopics(): string[] {
    return this.topology.stores.map((s) => changelogTopic(this.topology.application, s.name));
  }

  /** Applies restored changelog records; call before `start`. */
  restore(store: string, records: Array<{ key: Buffer | null; value: Buffer | null }>): { entries: number; streamTime?: number } {
    const changelog = this.changelogs.get(store);
    if (!changelog) throw new Error(`no store ${store}`);
    const result = changelog.restore(records);
    if (result.streamTime !== undefined) this.restoreStreamTime(result.streamTime);
    return result;
  }

  /** Resumes stream time from the committed offset's metadata or a changelog (the later wins); call before `start`. */
  restoreStreamTime(streamTime: number | undefined): void {
    if (streamTime === undefined || !(streamTime > this.ctx.streamTime.current)) return;
    this.ctx.initialStreamTime = streamTime;
    this.ctx.streamTime.current = streamTime;
  }

  /** Builds the pipeline; from now on records can be processed. */
  start(): void {
    this.position = this.nextOffset;
    this.started = true;
    this.subscription = this.input.pipe(this.topology.pipeline(this.ctx)).subscribe({
      next: (flow: Flow<unknown>) => {
        if (flow.kind !== 'output') return;
        if (flow.output.kind === 'emit') {
          this.emits.push(flow.output);
          this.emitBytes += sizeOf(flow.output.key) + sizeOf(flow.output.value) + 64;
        } else this.rows.push(flow.output);
      },
      error: (err) => (this.pipelineError = err),
    });
  }

  /** True once `start` ran and until `close`: the task can process records and commit. */
  get active(): boolean {
    return this.started && !this.closed;
  }

  /**
   * Runs `fn` after every earlier call has settled: processing a batch and committing (from a batch, the interval
   * timer, a rebalance or `stop`) never interleave on one task.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * Decodes and processes records in offset order (undecodable ones, and those given up after failing, become dead
   * letters), skipping those below `position`; then moves `position` to `next` (the offset after the batch, which may
   * end in records kafkajs filtered out: transaction markers, aborted records). A pipeline error throws a RecordError
   * naming the record being processed.
   */
  process(messages: KafkaMessage[], next?: bigint): void {
    if (this.pipelineError) throw this.pipelineError;
    const poisoned = this.deadLetters.poisoned;
    const batchStartTime = this.ctx.streamTime.current;
    // Offsets ascend within a batch: compare them with the position only until one reaches it.
    let below = messages.length > 0 && BigInt(messages[0].offset) < this.position;
    for (const message of messages) {
      if (below) {
        if (BigInt(message.offset) < this.position) continue;
        below = false;
      }
      this.stats.recordsIn++;
      const source: SourceMessage = {
        topic: this.topic,
        partition: this.partition,
        offset: message.offset,
        key: message.key,
        value: message.value,
        timestamp: Number(message.timestamp),
        headers: headersOf(message),
      };
      const given = poisoned?.get(message.offset);
      if (given !== undefined) {
        this.deadLetter({ ...source, headers: message.headers, timestamp: message.timestamp }, given.error, given.attempts);
        continue;
      }
      let items: SourceItem<unknown>[];
      try {
        // Every item first, so a record that fails halfway feeds nothing into the pipeline.
        const decoded = this.topology.source.decode(source);
        items = Array.isArray(decoded) ? (decoded as SourceItem<unknown>[]) : [...decoded];
      } catch (err) {
        this.deadLetter({ ...source, headers: message.headers, timestamp: message.timestamp }, err);
        continue;
      }
      const position = { topic: this.topic, partition: this.partition, offset: message.offset };
      const input = this.input;
      const streamTime = this.ctx.streamTime;
      const newest = this.now() + this.maxLead;
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        const time = item.timestamp;
        // Stream time is the task's: the largest event time within bounds. An item dated far ahead of the wall clock
        // (or far behind stream time) would close every open window, so it goes to the late topic instead.
        if (time > streamTime.current) {
          if (time > newest) {
            this.outOfBounds(item, position, source.headers, `event time ${time} leads the wall clock by more than ${this.maxLead} ms`);
            continue;
          }
          streamTime.current = time;
        } else if (time < streamTime.current - this.maxLag) {
          this.outOfBounds(item, position, source.headers, `event time ${time} lags stream time ${streamTime.current} by more than ${this.maxLag} ms`);
          continue;
        }
        input.next({ kind: 'record', key: item.key, timestamp: time, value: item.value, position, headers: source.headers });
      }
      this.stats.itemsIn += items.length;
      if (this.pipelineError) throw (this.pipelineError = new RecordError(this.topic, this.partition, message.offset, this.pipelineError));
    }
    if (next !== undefined && next > this.position) this.position = next;
    // Steps that no record of the batch reached (filtered, or consumed by a processor that forwarded nothing) still
    // see stream time move: their windows close, their punctuations fire.
    if (this.ctx.streamTime.current > batchStartTime) {
      this.input.next({ kind: 'tick', streamTime: this.ctx.streamTime.current });
      if (this.pipelineError) throw this.pipelineError;
    }
  }

  /** Queues the dead letter of an input record for the next checkpoint. */
  private deadLetter(source: DeadLetterSource, error: unknown, attempts?: number): void {
    const dead = deadLetterRecord(source, error, Date.now(), { maxBytes: this.deadLetters.maxBytes, attempts });
    this.emits.push({ kind: 'emit', topic: this.deadLetters.topic, key: dead.key ?? null, value: dead.value ?? null, headers: dead.headers as Record<string, string> });
    this.emitBytes += sizeOf(dead.key as Buffer | string | null) + sizeOf(dead.value as Buffer | string | null) + 64;
    this.stats.deadLetters++;
  }

  /** Feeds a control event (flush, tick) into the pipeline; a tick moves stream time (never back). */
  control(event: TaskEvent<unknown>): void {
    if (event.kind === 'tick' && event.streamTime > this.ctx.streamTime.current) this.ctx.streamTime.current = event.streamTime;
    this.input.next(event);
    if (this.pipelineError) throw this.pipelineError;
  }

  /** An item outside the event-time bounds: to the late topic with the reason, without moving stream time. */
  private outOfBounds(item: SourceItem<unknown>, position: { topic: string; partition: number; offset: string }, headers: Record<string, string>, reason: string): void {
    const value = toJson({ eventTime: item.timestamp, streamTime: this.ctx.streamTime.current, source: position, value: item.value });
    this.emits.push({
      kind: 'emit',
      topic: this.lateTopic,
      key: item.key,
      value,
      headers: { ...headers, 'late.reason': reason, 'late.source.topic': position.topic, 'late.source.partition': String(position.partition), 'late.source.offset': position.offset },
    });
    this.emitBytes += sizeOf(item.key) + value.length + 128;
    this.stats.outOfBounds++;
  }

  /** True if outputs, state changes or consumed input offsets wait for a commit. */
  hasPendingWork(): boolean {
    if (this.position > this.nextOffset || this.emits.length > 0 || this.rows.length > 0) return true;
    for (const s of this.stores.values()) if (s.pendingChanges > 0) return true;
    return false;
  }

  /** Uncommitted output records and sink rows, and the output records' approximate bytes. */
  pending(): { records: number; bytes: number } {
    return { records: this.emits.length + this.rows.length, bytes: this.emitBytes };
  }

  /** Takes everything produced since the last checkpoint: outputs, sink rows and changelog records. */
  takeCheckpoint(): TaskCheckpoint {
    // The commit marker first: steps that hold records in memory between commits (Processor.commit) write them
    // now, so they are in this checkpoint with the offsets that consumed them.
    if (this.started && !this.closed) {
      this.input.next(COMMIT_MARKER);
      if (this.pipelineError) throw this.pipelineError;
    }
    const messages: TaskCheckpoint['messages'] = new Map();
    const add = (topic: string, m: OutgoingRecord) => {
      const list = messages.get(topic);
      if (list) list.push(m);
      else messages.set(topic, [m]);
    };
    for (const e of this.emits) add(e.topic, e);
    let count = this.emits.length;
    this.stats.recordsOut += this.emits.length;
    this.emits = [];
    this.emitBytes = 0;
    for (const [name, changelog] of this.changelogs) {
      const records: ChangelogMessage[] = changelog.checkpoint(this.ctx.streamTime.current);
      // Changelogs are co-partitioned with the input: the task's partition, never the key's hash.
      for (const r of records) add(changelogTopic(this.topology.application, name), { key: r.key, value: r.value, partition: this.partition });
      count += records.length;
    }
    const rows = new Map<string, unknown[]>();
    for (const r of this.rows) {
      const list = rows.get(r.sink);
      if (list) list.push(r.row);
      else rows.set(r.sink, [r.row]);
    }
    this.rows = [];
    return { messages, rows, count, fromOffset: this.nextOffset, nextOffset: this.position, metadata: offsetMetadata(this.ctx.streamTime.current) };
  }

  /**
   * Commits a checkpoint: sink rows first (they must be acknowledged before offsets move), then outputs,
   * changelog records and the consumer offset in one Kafka transaction.
   */
  async commit(checkpoint: TaskCheckpoint, groupId: string, sinks: Map<string, ExternalSink>): Promise<void> {
    await this.writeSinks(checkpoint, sinks);
    await this.commitTransaction(checkpoint, groupId);
  }

  /** Writes a checkpoint's sink rows (idempotent upserts; safe to repeat). */
  async writeSinks(checkpoint: TaskCheckpoint, sinks: Map<string, ExternalSink>): Promise<void> {
    for (const [name, rows] of checkpoint.rows) {
      const sink = sinks.get(name);
      if (!sink) throw new Error(`no sink named ${name}`);
      await sink.write(rows, undefined, { topic: this.topic, partition: this.partition, fromOffset: checkpoint.fromOffset, toOffset: checkpoint.nextOffset, firstRow: 0 });
    }
  }

  /** One Kafka transaction: the checkpoint's outputs and changelog records, and the input offset. Call after `writeSinks`. */
  async commitTransaction(checkpoint: TaskCheckpoint, groupId: string): Promise<void> {
    if (!this.producer) throw new Error(`task ${this.topic}-${this.partition}: no producer`);
    if (this.closed) throw new Error(`task ${this.topic}-${this.partition} was revoked; not committing`);
    const { nextOffset } = checkpoint;
    const tx: Transaction = await this.producer.transaction();
    try {
      // kafkajs declares string timestamps; its produce encoder here is ours, which takes numbers too.
      for (const chunk of chunks(checkpoint.messages)) await tx.sendBatch({ acks: -1, topicMessages: chunk as TopicMessages[] });
      // kafkajs passes `metadata` through to TxnOffsetCommit; its type declarations leave it out.
      const partition: PartitionOffset & { metadata: string } = { partition: this.partition, offset: nextOffset.toString(), metadata: checkpoint.metadata };
      const partitions: PartitionOffset[] = [partition];
      await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: this.topic, partitions }] });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => {});
      throw err;
    }
    this.nextOffset = nextOffset;
    this.stats.commits++;
  }

  /** Completes the pipeline (open windows stay in the discarded stores) and disconnects the producer. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.disposed) return;
    this.disposed = true;
    this.input.complete();
    this.subscription?.unsubscribe();
    await this.producer?.disconnect().catch(() => {});
  }
}

/** When a task commits: the commit interval, and bounds on uncommitted work that commit earlier. */
export interface CommitPolicy {
  /** A task commits once its oldest uncommitted work is this old (0: after every batch). */
  intervalMs: number;
  /** ... or once it holds this many uncommitted output records and sink rows, */
  maxRecords: number;
  /** ... or this many bytes of uncommitted output records. */
  maxBytes: number;
}

/** Whether a task with uncommitted work since `pendingSince` (undefined: none) should commit at `now`. */
export function commitDue(policy: CommitPolicy, pendingSince: number | undefined, pending: { records: number; bytes: number }, now: number): boolean {
  if (pendingSince === undefined) return false;
  return policy.intervalMs <= 0 || now - pendingSince >= policy.intervalMs || pending.records >= policy.maxRecords || pending.bytes >= policy.maxBytes;
}

/**
 * Where a fetched batch stands against a task's position. kafkajs fetches from its own position, which runs ahead of
 * the committed offset while work is uncommitted; a task restored from the committed offset must see the records in
 * between again. `process`: the batch starts at or before the position (records below it are skipped). `seek`: it
 * starts past the position — records were never seen by this task; seek back and drop the batch. `check-log`: the
 * same gap came back `maxSeeks` times in a row after seeking: the caller asks the broker where the log starts now,
 * and skips records only if retention (or a records deletion) really removed them (`afterLogStart`).
 */
export function placeBatch(position: bigint, fetchedOffset: bigint, gap: { at: bigint; count: number }, maxSeeks = 3): 'process' | 'seek' | 'check-log' {
  if (fetchedOffset <= position) return 'process';
  return gap.at === position && gap.count >= maxSeeks ? 'check-log' : 'seek';
}

/**
 * A task's position once the log is known to start at `logStart`: records below it are gone for good, so the task
 * moves up to it; records at or after it exist and are never skipped, however often a fetch comes back past them.
 */
export function afterLogStart(position: bigint, logStart: bigint): bigint {
  return logStart > position ? logStart : position;
}

/**
 * The position after a batch kafkajs did not hand to eachBatch because every record in it was filtered out
 * (transaction markers, aborted records): it moves past the batch only if the batch starts at or before it.
 */
export function positionAfterFiltered(position: bigint, firstOffset: string | null, lastOffset: string): bigint {
  if (firstOffset === null || BigInt(firstOffset) > position) return position;
  const next = BigInt(lastOffset) + 1n;
  return next > position ? next : position;
}

// Brokers refuse a record batch over max.message.bytes (1 MiB by default), and kafkajs groups a request's messages per
// partition in time quadratic in their number: send a checkpoint as requests of bounded size and count.
const CHUNK_BYTES = 512 * 1024;
const CHUNK_MESSAGES = 2000;

function sizeOf(value: Buffer | string | null | undefined): number {
  if (value == null) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** Splits a checkpoint's messages into sendBatch payloads of at most CHUNK_BYTES and CHUNK_MESSAGES. */
export function* chunks(messages: Map<string, OutgoingRecord[]>): Generator<Array<{ topic: string; messages: OutgoingRecord[] }>> {
  let chunk: Array<{ topic: string; messages: OutgoingRecord[] }> = [];
  let bytes = 0;
  let count = 0;
  for (const [topic, list] of messages) {
    let current: OutgoingRecord[] = [];
    chunk.push({ topic, messages: current });
    for (const m of list) {
      const size = sizeOf(m.key) + sizeOf(m.value) + 64;
      if (count > 0 && (bytes + size > CHUNK_BYTES || count >= CHUNK_MESSAGES)) {
        yield chunk.filter((c) => c.messages.length > 0);
        current = [];
        chunk = [{ topic, messages: current }];
        bytes = 0;
        count = 0;
      }
      current.push(m);
      bytes += size;
      count++;
    }
  }
  const rest = chunk.filter((c) => c.messages.length > 0);
  if (rest.length > 0) yield rest;
}

const COMMIT_MARKER: CommitMarker = Object.freeze({ kind: 'commit' });

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function headersOf(message: KafkaMessage): Record<string, string> {
  const headers = message.headers;
  if (!headers) return NO_HEADERS;
  let out: Record<string, string> | undefined;
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined) continue;
    out ??= {};
    out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  }
  return out ?? NO_HEADERS;
}
