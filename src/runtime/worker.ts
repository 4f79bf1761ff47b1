// A worker: one consumer-group member running a topology. Each assigned partition is a task with its own
// stores, restored from their changelogs before the task sees a record. Per commit interval, a task's output
// records, changelog writes and input offset commit in one Kafka transaction, after the task's sink writes.
//
// kafkajs marks a batch consumed as soon as eachBatch returns, so it fetches past the committed offset while a
// task holds uncommitted work. Whenever a task is discarded (a failed commit, a pipeline error) the next one is
// restored from the committed offset, and the worker seeks the consumer back there so the records in between
// are fetched again; each task keeps its own position and skips records it has already processed.
import type { Server } from 'node:http';
import type { Consumer, Kafka, EachBatchPayload } from 'kafkajs';
import { Counter } from 'prom-client';
import type { Config } from '../config/index.ts';
import { DLQ_TOPIC } from '../dlq/index.ts';
import { createKafka, ensureTopics, partitionCount, type TopicSpec } from '../kafka/index.ts';
import { componentLogger, type Logger } from '../log.ts';
import { flushWindows } from '../operators/index.ts';
import { SinkRunner, sinkDeadLetterRecord, type SinkRunnerOptions } from '../sinks/util/index.ts';
import { changelogTopic } from './changelog.ts';
import { runtimeMetrics, serveMetrics, type RuntimeMetrics } from './metrics.ts';
import { PoisonRecords, RecordError } from './poison.ts';
import { maxMessageBytes, recordLimits, type RecordLimits } from './recordLimits.ts';
import { readPartitions } from './restore.ts';
import { commitDue, placeBatch, positionAfterFiltered, streamTimeOf, Task, type CommitPolicy, type OutgoingRecord, type TaskCheckpoint } from './task.ts';
import type { Topology } from './topology.ts';

export interface WorkerOptions {
  topology: Topology;
  config: Config;
  /** Consumer group (default: the application id). */
  groupId?: string;
  /** Prefix of the per-task transactional ids (default: the group id). */
  transactionalIdPrefix?: string;
  /** Wall-clock idle flush after this many ms without records, and wall-clock punctuations (off by default; never in backfills). */
  idleFlushMs?: number;
  /** Serve /metrics, /healthz and /readyz on this port (0: any free port). */
  httpPort?: number;
  /** Sink target overrides, e.g. a table for a backfill. */
  sinkTargets?: Record<string, string>;
  /** Backfill: stop each partition before this offset, then flush its windows and commit. */
  endOffsets?: Map<number, bigint>;
  /** Largest fetch per partition; bounds the work in flight per task. */
  maxBytesPerPartition?: number;
  /** Group session timeout: how long a dead member keeps its partitions (default 30 s). */
  sessionTimeout?: number;
  /**
   * Commit interval, ms (default 100): a task commits its outputs, changelog writes and input offset in one
   * transaction once its oldest uncommitted work is this old; 0 commits after every batch.
   */
  commitIntervalMs?: number;
  /** A task also commits once it holds this many uncommitted output records and sink rows (default 20,000). */
  maxUncommittedRecords?: number;
  /** ... or this many bytes of uncommitted output records (default 8 MiB). */
  maxUncommittedBytes?: number;
  /** Batching, concurrency, timeouts, retry and breaker settings of the sinks (defaults: docs/sinks.md). */
  sinks?: SinkRunnerOptions;
  /** A record that makes the pipeline throw this many times in a row goes to the dead-letter topic (default 3). */
  maxRecordAttempts?: number;
  /** Where dead letters go (default `otlp.dlq`; a backfill's own topic). */
  deadLetterTopic?: string;
  logger?: Logger;
}

export const DEFAULT_COMMIT_INTERVAL_MS = 100;

/** Runs a topology as a member of its consumer group until `stop()`. */
export class Worker {
  readonly options: WorkerOptions;
  readonly topology: Topology;
  readonly groupId: string;
  readonly metrics: RuntimeMetrics;
  readonly log: Logger;
  readonly tasks = new Map<number, Task>();
  private readonly ready = new Map<number, Promise<void>>();
  private readonly sinks: SinkRunner;
  private readonly finished = new Set<number>();
  private readonly inFlight = new Set<Promise<void>>();
  /** When tasks commit: from the options, else the config's `runtime` section, else the defaults. */
  readonly policy: CommitPolicy;
  /** Records that made the pipeline throw, counted per partition; those given up are dead-lettered. */
  private readonly poison: PoisonRecords;
  private readonly poisonCounter: Counter;
  private readonly deadLetterTopic: string;
  private limits?: RecordLimits;
  private kafka!: Kafka;
  private consumer?: Consumer;
  private server?: Server;
  private timer?: NodeJS.Timeout;
  private partitions = 0;
  private running = false;
  private stopping = false;
  private crashed?: Error;
  private resolveFinished?: () => void;
  /** Resolves when a backfill has reached its end offsets on every partition. */
  readonly done: Promise<void>;

  constructor(options: WorkerOptions) {
    this.options = options;
    this.topology = options.topology;
    this.groupId = options.groupId ?? options.topology.application;
    this.log = options.logger ?? componentLogger('worker', { application: this.topology.application, group: this.groupId });
    this.metrics = runtimeMetrics(this.topology.application, () => this.tasks.values(), () => this.sinks.status());
    this.sinks = new SinkRunner({ log: this.log, observer: this.metrics.sinks, ...options.sinks });
    this.done = new Promise((resolve) => (this.resolveFinished = resolve));
    // Options first, then the config's runtime section, then the defaults.
    const settings = options.config.runtime ?? {};
    const intervalMs = options.commitIntervalMs ?? settings.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) throw new Error(`commitIntervalMs: expected a number of ms ≥ 0, got ${intervalMs}`);
    this.policy = {
      intervalMs,
      maxRecords: options.maxUncommittedRecords ?? settings.maxUncommittedRecords ?? 20_000,
      maxBytes: options.maxUncommittedBytes ?? settings.maxUncommittedBytes ?? 8 << 20,
    };
    this.poison = new PoisonRecords(options.maxRecordAttempts ?? settings.maxRecordAttempts);
    this.poisonCounter = new Counter({ name: 'otlp_streams_poison_records_total', help: 'Input records given up after making the pipeline throw maxRecordAttempts times, sent to the dead-letter topic', registers: [this.metrics.registry] });
    this.deadLetterTopic = options.deadLetterTopic ?? DLQ_TOPIC;
  }

  /** The port /metrics listens on, once started. */
  get httpPort(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** Creates missing topics, opens sinks, joins the group and starts consuming. */
  async start(): Promise<void> {
    const { topology, options } = this;
    this.kafka = createKafka(options.config);
    this.partitions = await partitionCount(this.kafka, topology.source.topic).catch((err: Error) => {
      throw new Error(`input topic ${topology.source.topic}: ${err.message}`);
    });
    const topics: TopicSpec[] = [
      ...topology.stores.map((s) => ({ topic: changelogTopic(topology.application, s.name), numPartitions: this.partitions, config: { 'cleanup.policy': 'compact' } })),
      ...topology.outputs.map((o) => ({ topic: o.topic, numPartitions: o.numPartitions ?? this.partitions, config: o.compacted ? { 'cleanup.policy': 'compact' } : undefined })),
    ];
    await ensureTopics(this.kafka, topics, { allowMorePartitions: true });
    await ensureTopics(this.kafka, [{ topic: this.deadLetterTopic, numPartitions: 1 }], { allowMorePartitions: true });
    const changelogs = topology.stores.map((s) => changelogTopic(topology.application, s.name));
    const maxBytes = await maxMessageBytes(this.kafka, [this.deadLetterTopic, ...changelogs]).catch((err: Error) => {
      this.log.warn({ err: err.message }, "could not read the topics' max.message.bytes; assuming the broker's defaults");
      return new Map<string, number>();
    });
    this.limits = recordLimits(maxBytes, this.deadLetterTopic, changelogs);
    for (const spec of topology.sinks) {
      this.sinks.add(await spec.create({ application: topology.application, targets: options.sinkTargets ?? {}, config: options.config }));
    }
    if (options.httpPort !== undefined) {
      this.server = await serveMetrics(this.metrics.registry, options.httpPort, {
        live: () => this.running && !this.crashed,
        ready: () => this.running && this.tasks.size > 0 && [...this.tasks.values()].every((t) => t.producer !== undefined) && this.sinks.healthy(),
        notReadyReason: () => (this.sinks.healthy() ? 'restoring or not assigned yet' : `sink failing: ${this.sinks.status().filter((s) => s.state === 'open').map((s) => `${s.sink} (${s.lastError})`).join(', ')}`),
      });
    }

    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      readUncommitted: false,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 4 << 20,
      maxBytes: 32 << 20,
      sessionTimeout: options.sessionTimeout ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((options.sessionTimeout ?? 30_000) / 6)),
      rebalanceTimeout: 60_000,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.metrics.rebalances.inc();
      const assigned = payload.memberAssignment[topology.source.topic] ?? [];
      this.log.info({ partitions: assigned, generation: payload.groupId }, 'partitions assigned');
      void this.assign(assigned);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.crashed = payload.error;
      this.log.error({ err: payload.error.message, restart: payload.restart }, 'consumer crashed');
    });
    // A rebalance is starting: commit pending work while the partitions are still ours (best effort; a task whose
    // partition moves anyway is fenced by its new owner, which starts from the committed offset).
    consumer.on(consumer.events.REBALANCING, () => void this.commitAll('rebalance'));
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const task = this.tasks.get(payload.partition);
      if (!task) return;
      task.stats.lag = Number(payload.offsetLag);
      // kafkajs does not call eachBatch for a batch whose records were all filtered out (transaction markers,
      // aborted records), but moves past it: so does the task, if the batch starts at or before its position.
      if (payload.batchSize === 0 && task.active) task.position = positionAfterFiltered(task.position, payload.firstOffset, payload.lastOffset);
      // A backfill partition whose remaining records were only transaction markers ends here.
      const end = options.endOffsets?.get(payload.partition);
      if (end !== undefined && task.active && task.position >= end && !this.finished.has(payload.partition)) void this.finishPartition(payload.partition);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: topology.source.topic, fromBeginning: true });
    this.running = true;
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: Math.max(1, this.partitions),
      eachBatch: (payload) => this.track(this.onBatch(payload)),
    });
    // Tasks that receive no new batches still commit their pending work (idle partitions, idle-flush outputs).
    if (this.policy.intervalMs > 0) this.timer = setInterval(() => this.commitDueTasks(), Math.max(10, Math.floor(this.policy.intervalMs / 2)));
    this.log.info({ topic: topology.source.topic, partitions: this.partitions, commitIntervalMs: this.policy.intervalMs }, 'worker started');
  }

  /**
   * Brings the task set in line with an assignment: revoked tasks close, new ones restore. A revoked task's
   * uncommitted work is dropped, not committed: by now the partition may be restoring at its new owner, whose
   * producer fences this one; the new owner starts from the committed offset and redoes that work.
   */
  private async assign(partitions: number[]): Promise<void> {
    const wanted = new Set(partitions);
    for (const [p, task] of this.tasks) {
      if (!wanted.has(p)) {
        this.tasks.delete(p);
        this.ready.delete(p);
        task.closed = true;
        void task.exclusive(() => task.close());
        this.log.info({ partition: p, uncommitted: task.hasPendingWork() }, 'task revoked');
      }
    }
    const fresh = partitions.filter((p) => !this.tasks.has(p));
    if (fresh.length > 0) this.initTasks(fresh);
  }

  /** Creates tasks and starts their initialisation (fence, offsets, restore) as one promise per task. */
  private initTasks(partitions: number[]): void {
    const settings = this.options.config.runtime ?? {};
    const backfill = this.options.endOffsets !== undefined;
    const tasks = partitions.map(
      (p) =>
        new Task(this.topology, p, {
          // Wall-clock behaviour is opt-in and never part of a backfill, whose results must equal a replay's.
          idleFlushMs: backfill ? undefined : this.options.idleFlushMs,
          wallClockPunctuations: !backfill && this.options.idleFlushMs !== undefined,
          maxEventTimeLeadMs: settings.maxEventTimeLeadMs,
          maxEventTimeLagMs: settings.maxEventTimeLagMs,
          deadLetterTopic: this.deadLetterTopic,
          deadLetterMaxBytes: this.limits?.deadLetterMaxBytes,
          changelogRecordBytes: this.limits?.changelogRecordBytes,
          poisoned: this.poison.of(p),
        }),
    );
    for (const t of tasks) this.tasks.set(t.partition, t);
    const init = this.initialise(tasks);
    for (const t of tasks) this.ready.set(t.partition, init);
    init.catch((err: Error) => {
      this.log.error({ err: err.message, partitions }, 'task initialisation failed');
      for (const t of tasks) this.discard(t);
    });
  }

  private async initialise(tasks: Task[]): Promise<void> {
    const started = performance.now();
    const prefix = this.options.transactionalIdPrefix ?? this.groupId;
    // A new producer with the task's transactional id fences the previous owner and settles its open transaction,
    // so the committed offsets and changelogs read next are final. kafkajs 2.2.4's connect() does not do that: it
    // takes a plain idempotent producer id, and only the first transaction() sends InitProducerId with the
    // transactional id. So begin (and end, sending nothing) one transaction now.
    await Promise.all(
      tasks.map(async (task) => {
        const producer = this.kafka.producer({ transactionalId: `${prefix}-${task.topic}-${task.partition}`, idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
        const fence = await producer.transaction();
        await fence.abort();
        task.producer = producer;
      }),
    );
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: this.groupId, topics: [this.topology.source.topic] });
      for (const task of tasks) {
        const found = committed.partitions.find((p) => p.partition === task.partition);
        const offset = found?.offset ?? '-1';
        task.nextOffset = BigInt(offset) >= 0n ? BigInt(offset) : 0n;
        // The stream time committed with the offset (kafkajs' type declarations leave `metadata` out).
        task.restoreStreamTime(streamTimeOf((found as { metadata?: string | null } | undefined)?.metadata));
      }
    } finally {
      await admin.disconnect();
    }
    const topics = this.topology.stores.map((s) => changelogTopic(this.topology.application, s.name));
    let entries = 0;
    if (topics.length > 0) {
      const records = await readPartitions(this.kafka, topics, tasks.map((t) => t.partition), (read, total) =>
        this.log.info({ partitions: tasks.map((t) => t.partition), read, total }, 'restoring state from changelog'),
      );
      for (const task of tasks) {
        for (const store of this.topology.stores) {
          const result = task.restore(store.name, records.get(`${changelogTopic(this.topology.application, store.name)}:${task.partition}`) ?? []);
          entries += result.entries;
        }
      }
    }
    for (const task of tasks) task.start();
    // A backfill partition with nothing in its range is done as soon as its start is known.
    for (const task of tasks) {
      const end = this.options.endOffsets?.get(task.partition);
      if (end !== undefined && task.nextOffset >= end) this.markFinished(task.partition);
    }
    const seconds = (performance.now() - started) / 1000;
    this.metrics.restoreSeconds.observe(seconds);
    this.metrics.restoredEntries.inc(entries);
    this.log.info(
      { partitions: tasks.map((t) => t.partition), restoredEntries: entries, seconds: Math.round(seconds * 1000) / 1000, from: topics, nextOffsets: tasks.map((t) => t.nextOffset.toString()) },
      entries > 0 ? 'state restored from changelog' : 'tasks initialised (no state to restore)',
    );
  }

  private discard(task: Task): void {
    if (this.tasks.get(task.partition) === task) {
      this.tasks.delete(task.partition);
      this.ready.delete(task.partition);
    }
    void task.close();
  }

  private taskFor(partition: number): { task: Task; ready: Promise<void> } {
    if (!this.tasks.has(partition)) this.initTasks([partition]);
    return { task: this.tasks.get(partition)!, ready: this.ready.get(partition)! };
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    const untrack = () => this.inFlight.delete(work);
    work.then(untrack, untrack);
    return work;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat } = payload;
    if (this.stopping) return;
    const { task, ready } = this.taskFor(batch.partition);
    // kafkajs heartbeats only between batches: keep the membership alive while a long restore runs, or while
    // this batch waits for a commit of the same task (from the interval timer) that retries a failing sink.
    const beat = setInterval(() => void heartbeat().catch(() => {}), 2_000);
    try {
      await ready;
      await task.exclusive(() => this.processBatch(task, payload));
    } catch (err) {
      // kafkajs gives up on the consumer for good (no restart) on an error marked not retriable — a fenced producer's
      // error is one. The task is already discarded and the partition sought back: let kafkajs back off and fetch again.
      throw new Error(`${batch.topic}-${batch.partition}: ${(err as Error).message}`, { cause: err });
    } finally {
      clearInterval(beat);
    }
  }

  /** Processes one batch on its task (holding the task's lock) and commits if the commit policy says so. */
  private async processBatch(task: Task, { batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    if (!isRunning() || isStale() || this.stopping || task.closed || this.tasks.get(partition) !== task || this.finished.has(partition)) return;
    // kafkajs' Batch carries the offset it fetched from; the type declarations leave it out.
    const fetched = BigInt((batch as unknown as { fetchedOffset: string }).fetchedOffset);
    const placement = placeBatch(task.position, fetched, task.gap);
    if (placement === 'seek') {
      task.gap = { at: task.position, count: task.gap.at === task.position ? task.gap.count + 1 : 1 };
      this.log.info({ partition, position: task.position.toString(), fetched: fetched.toString() }, 'batch starts past the task position; seeking back');
      this.seek(partition, task.position);
      return;
    }
    if (placement === 'accept') {
      this.log.warn({ partition, position: task.position.toString(), fetched: fetched.toString() }, 'records between the task position and the fetch offset are no longer in the log; skipping them');
      task.position = fetched;
    }
    task.gap = { at: -1n, count: 0 };
    const end = this.options.endOffsets?.get(partition);
    const messages = end === undefined ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) < end);
    let next = BigInt(batch.lastOffset()) + 1n;
    const reachedEnd = end !== undefined && next >= end;
    if (reachedEnd) next = end;
    if (next <= task.position && !reachedEnd) return; // delivered again (after a rebalance or a seek): already processed
    try {
      task.process(messages, next);
      if (reachedEnd) task.control(flushWindows);
      const now = Date.now();
      task.lastBatchAt = now;
      if (task.pendingSince === undefined && task.hasPendingWork()) task.pendingSince = now;
      if (reachedEnd || commitDue(this.policy, task.pendingSince, task.pending(), now)) await this.commit(task, heartbeat);
      if (reachedEnd) this.markFinished(partition);
    } catch (err) {
      // The task's memory may hold uncommitted changes: drop it, and fetch again from the committed offset, where
      // the next task for this partition is restored. Throwing makes kafkajs back off before fetching again.
      this.fail(task, err as Error, 'batch failed');
      throw err;
    }
  }

  /** Commits a task's pending work: sink rows, then one transaction with outputs, changelog records and the offset. */
  private async commit(task: Task, heartbeat?: () => Promise<void>): Promise<void> {
    const started = performance.now();
    const checkpoint = task.takeCheckpoint();
    // Sink writes are retried in place (the partition paused) for as long as they fail retryably; a failed
    // transaction is not: the task is discarded and restored from the committed offset (a fenced producer, a broker error).
    if (checkpoint.rows.size > 0) await this.writeSinks(task, checkpoint, heartbeat);
    await task.commitTransaction(checkpoint, this.groupId);
    // Idle-flush timers may have added work while the commit was under way.
    task.pendingSince = task.hasPendingWork() ? Date.now() : undefined;
    this.metrics.commitSeconds.observe((performance.now() - started) / 1000);
  }

  /**
   * Writes a checkpoint's sink rows through the SinkRunner. While a sink fails, the partition is paused, so work does
   * not pile up in memory. Rows a sink rejects for good join the checkpoint as dead letters: they commit with the offset.
   */
  private async writeSinks(task: Task, checkpoint: TaskCheckpoint, heartbeat?: () => Promise<void>): Promise<void> {
    const { topic, partition } = task;
    const dead = await this.sinks.write(checkpoint.rows, {
      context: { partition },
      pause: () => {
        this.consumer?.pause([{ topic, partitions: [partition] }]);
        this.metrics.pausedPartitions.inc();
        this.log.warn({ partition }, 'sink failing; partition paused until it answers');
      },
      resume: () => {
        // While stopping, every partition stays paused (stop() paused them all).
        if (!this.stopping) this.consumer?.resume([{ topic, partitions: [partition] }]);
        this.metrics.pausedPartitions.dec();
        this.log.info({ partition }, 'sink writes done; partition resumed');
      },
      heartbeat,
      cancelled: () => task.closed || this.stopping,
    });
    if (dead.length === 0) return;
    const source = { topic, partition, offset: checkpoint.nextOffset.toString() };
    const records = dead.map((d) => sinkDeadLetterRecord(d, source) as OutgoingRecord);
    const queued = checkpoint.messages.get(this.deadLetterTopic);
    if (queued) queued.push(...records);
    else checkpoint.messages.set(this.deadLetterTopic, records);
    task.stats.deadLetters += records.length;
    task.stats.recordsOut += records.length;
  }

  /**
   * Interval timer: commits tasks whose pending work is due and that get no batches. A task that had a batch within
   * the interval commits from its next batch instead: a commit started here would run between other tasks' batches,
   * whose processing holds the event loop, so each of its round trips waits, and the task's next batch (and with it
   * kafkajs' next fetch) waits for the commit.
   */
  private commitDueTasks(): void {
    const now = Date.now();
    for (const task of this.tasks.values()) {
      if (!task.active || task.commitQueued || this.finished.has(task.partition)) continue;
      if (now - task.lastBatchAt < this.policy.intervalMs) continue;
      if (task.pendingSince === undefined) {
        if (task.hasPendingWork()) task.pendingSince = now;
        continue;
      }
      if (!commitDue(this.policy, task.pendingSince, task.pending(), now)) continue;
      task.commitQueued = true;
      void this.commitIfPending(task, 'interval', true);
    }
  }

  /** Commits a task's pending work under its lock; a failure discards the task (and seeks back). */
  private commitIfPending(task: Task, reason: string, onlyIfDue = false): Promise<void> {
    return task
      .exclusive(async () => {
        task.commitQueued = false;
        if (!task.active || this.tasks.get(task.partition) !== task || this.finished.has(task.partition) || !task.hasPendingWork()) return;
        if (onlyIfDue && !commitDue(this.policy, task.pendingSince, task.pending(), Date.now())) return; // a batch committed meanwhile
        await this.commit(task);
      })
      .catch((err: Error) => this.fail(task, err, `${reason} commit failed`));
  }

  /** Commits every task's pending work (rebalance starting, stop). */
  private async commitAll(reason: string): Promise<void> {
    await Promise.all([...this.tasks.values()].map((task) => this.commitIfPending(task, reason)));
  }

  /**
   * Drops a task whose memory can no longer be trusted, and seeks its partition back to the committed offset: the
   * next task is restored there, and kafkajs' own position is already past it.
   */
  private fail(task: Task, err: Error, what: string): void {
    const current = this.tasks.get(task.partition) === task;
    this.log.warn({ partition: task.partition, err: err.message, committed: task.nextOffset.toString(), position: task.position.toString() }, `${what}; task discarded, will be restored`);
    this.discard(task);
    // A record that keeps making the pipeline throw is given up: the next task dead-letters it instead.
    if (current && err instanceof RecordError) {
      const given = this.poison.failed(task.partition, err.offset, err.cause, task.nextOffset);
      if (given) {
        this.poisonCounter.inc();
        this.log.error({ partition: task.partition, offset: err.offset, attempts: given.attempts, err: (err.cause as Error)?.message ?? String(err.cause), deadLetterTopic: this.deadLetterTopic }, 'record failed every attempt; it goes to the dead-letter topic and the partition moves on');
      }
    }
    if (current && this.running && !this.stopping) this.seek(task.partition, task.nextOffset);
  }

  private seek(partition: number, offset: bigint): void {
    try {
      this.consumer?.seek({ topic: this.topology.source.topic, partition, offset: offset.toString() });
    } catch (err) {
      this.log.warn({ partition, offset: offset.toString(), err: (err as Error).message }, 'seek failed');
    }
  }

  /** Backfill end reached through a batch of transaction markers only: flush and commit from outside eachBatch. */
  private async finishPartition(partition: number): Promise<void> {
    const task = this.tasks.get(partition);
    const end = this.options.endOffsets?.get(partition);
    if (!task || end === undefined || this.finished.has(partition)) return;
    await this.ready.get(partition);
    await task
      .exclusive(async () => {
        if (this.finished.has(partition) || !task.active || this.tasks.get(partition) !== task || task.position < end) return;
        task.control(flushWindows);
        task.pendingSince ??= Date.now();
        await this.commit(task);
        this.markFinished(partition);
      })
      .catch((err: Error) => this.fail(task, err, 'backfill end commit failed'));
  }

  /** Progress of a backfill: records committed so far, per partition, as offsets. */
  committedOffsets(): Map<number, bigint> {
    return new Map([...this.tasks].map(([p, t]) => [p, t.nextOffset]));
  }

  private markFinished(partition: number): void {
    this.finished.add(partition);
    this.checkFinished();
  }

  private checkFinished(): void {
    const ends = this.options.endOffsets;
    if (ends && [...ends.keys()].every((p) => this.finished.has(p))) this.resolveFinished?.();
  }

  /** Finishes in-flight batches, commits pending work, leaves the group, closes tasks, producers, sinks and the HTTP server. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping = true;
    this.log.info('stopping: finishing in-flight work, committing and leaving the group');
    if (this.timer) clearInterval(this.timer);
    // Fetch nothing more, let the batches in flight finish, commit while the partitions are still ours, then leave.
    try {
      this.consumer?.pause([{ topic: this.topology.source.topic }]);
    } catch {
      // not running yet
    }
    // A commit retrying a failing sink gives up (its work is redone by the next owner); healthy sinks still commit.
    this.sinks.stopRetrying();
    await Promise.allSettled([...this.inFlight]);
    await this.commitAll('stop');
    await this.consumer?.disconnect();
    await Promise.all([...this.tasks.values()].map((t) => t.close()));
    this.tasks.clear();
    await this.sinks.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.log.info('stopped');
  }
}
