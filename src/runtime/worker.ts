// A worker: one consumer-group member running a topology. Each assigned partition is a task with its own
// stores, restored from their changelogs before the task sees a record. Per commit interval, a task's output
// records, changelog writes and input offset commit in one Kafka transaction, after the task's sink writes.
// The worker wires the consumer to its parts, each owning its own state: the task manager (tasks and their
// restore), the committer (when and how tasks commit), the sink runner (sink writes, retries, pausing) and the
// backfill bounds (end offsets); it keeps batch placement and failure handling.
//
// kafkajs marks a batch consumed as soon as eachBatch returns, so it fetches past the committed offset while a
// task holds uncommitted work. Whenever a task is discarded (a failed commit, a pipeline error) the next one is
// restored from the committed offset, and the worker seeks the consumer back there so the records in between
// are fetched again; each task keeps its own position and skips records it has already processed.
import type { Server } from 'node:http';
import type { Admin, Consumer, Kafka, EachBatchPayload } from 'kafkajs';
import { Counter } from 'prom-client';
import { RUNTIME_DEFAULTS, type Config } from '../config/index.ts';
import { DLQ_TOPIC } from '../dlq/index.ts';
import { createKafka, ensureTopics, partitionCount, type TopicSpec } from '../kafka/index.ts';
import { componentLogger, type Logger } from '../log.ts';
import { flushWindows } from '../operators/index.ts';
import { SinkRunner, type SinkRunnerOptions } from '../sinks/util/index.ts';
import { BackfillBounds } from './backfillBounds.ts';
import { changelogTopic } from './changelog.ts';
import { systemClock, type WorkerClock } from './clock.ts';
import { Committer } from './committer.ts';
import { runtimeMetrics, serveMetrics, type RuntimeMetrics } from './metrics.ts';
import { PoisonRecords, RecordError } from './poison.ts';
import { maxMessageBytes, recordLimits, type RecordLimits } from './recordLimits.ts';
import { afterLogStart, placeBatch, positionAfterFiltered, type CommitPolicy, type Task } from './task.ts';
import { TaskManager } from './taskManager.ts';
import type { OutputTopicSpec, Topology } from './topology.ts';

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
  /** The wall clock of commit timers (default: the system's). */
  clock?: WorkerClock;
  logger?: Logger;
}

export const DEFAULT_COMMIT_INTERVAL_MS = RUNTIME_DEFAULTS.commitIntervalMs;

/** Runs a topology as a member of its consumer group until `stop()`. */
export class Worker {
  readonly options: WorkerOptions;
  readonly topology: Topology;
  readonly groupId: string;
  readonly metrics: RuntimeMetrics;
  readonly log: Logger;
  /** The worker's tasks, by partition. */
  readonly tasks: TaskManager;
  private readonly sinks: SinkRunner;
  private readonly committer: Committer;
  private readonly bounds: BackfillBounds;
  private readonly clock: WorkerClock;
  private readonly inFlight = new Set<Promise<void>>();
  /** Records that made the pipeline throw, counted per partition; those given up are dead-lettered. */
  private readonly poison: PoisonRecords;
  private readonly poisonCounter: Counter;
  private readonly deadLetterTopic: string;
  private limits?: RecordLimits;
  private kafka!: Kafka;
  private consumer?: Consumer;
  /** Asks where a partition's log starts, when a gap in it persists (connected on first use). */
  private admin?: Promise<Admin>;
  private server?: Server;
  private partitions = 0;
  private running = false;
  private stopping = false;
  private crashed?: Error;

  constructor(options: WorkerOptions) {
    this.options = options;
    this.topology = options.topology;
    this.groupId = options.groupId ?? options.topology.application;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? componentLogger('worker', { application: this.topology.application, group: this.groupId });
    this.metrics = runtimeMetrics(this.topology.application, () => this.tasks.values(), () => this.sinks.status());
    this.sinks = new SinkRunner({ log: this.log, observer: this.metrics.sinks, ...options.sinks });
    this.bounds = new BackfillBounds(options.endOffsets);
    // Options first, then the config's runtime section, then the defaults.
    const settings = options.config.runtime ?? {};
    const intervalMs = options.commitIntervalMs ?? settings.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) throw new Error(`commitIntervalMs: expected a number of ms ≥ 0, got ${intervalMs}`);
    const policy: CommitPolicy = {
      intervalMs,
      maxRecords: options.maxUncommittedRecords ?? settings.maxUncommittedRecords ?? RUNTIME_DEFAULTS.maxUncommittedRecords,
      maxBytes: options.maxUncommittedBytes ?? settings.maxUncommittedBytes ?? RUNTIME_DEFAULTS.maxUncommittedBytes,
    };
    this.poison = new PoisonRecords(options.maxRecordAttempts ?? settings.maxRecordAttempts);
    this.poisonCounter = new Counter({ name: 'otlp_streams_poison_records_total', help: 'Input records given up after making the pipeline throw maxRecordAttempts times, sent to the dead-letter topic', registers: [this.metrics.registry] });
    this.deadLetterTopic = options.deadLetterTopic ?? DLQ_TOPIC;
    this.tasks = new TaskManager({
      topology: this.topology,
      groupId: this.groupId,
      transactionalIdPrefix: options.transactionalIdPrefix ?? this.groupId,
      taskOptions: (p) => ({
        // Wall-clock behaviour is opt-in and never part of a backfill, whose results must equal a replay's.
        idleFlushMs: this.bounds.bounded ? undefined : options.idleFlushMs,
        wallClockPunctuations: !this.bounds.bounded && options.idleFlushMs !== undefined,
        maxEventTimeLeadMs: settings.maxEventTimeLeadMs,
        maxEventTimeLagMs: settings.maxEventTimeLagMs,
        deadLetterTopic: this.deadLetterTopic,
        deadLetterMaxBytes: this.limits?.deadLetterMaxBytes,
        changelogRecordBytes: this.limits?.changelogRecordBytes,
        poisoned: this.poison.of(p),
      }),
      bounds: this.bounds,
      metrics: this.metrics,
      log: this.log,
    });
    this.committer = new Committer({
      policy,
      groupId: this.groupId,
      tasks: this.tasks,
      sinks: this.sinks,
      bounds: this.bounds,
      deadLetterTopic: this.deadLetterTopic,
      clock: this.clock,
      metrics: this.metrics,
      log: this.log,
      pause: (partition) => this.consumer?.pause([{ topic: this.topology.source.topic, partitions: [partition] }]),
      resume: (partition) => this.consumer?.resume([{ topic: this.topology.source.topic, partitions: [partition] }]),
      stopping: () => this.stopping,
      failed: (task, err, what) => this.fail(task, err, what),
    });
  }

  /** When tasks commit: from the options, else the config's `runtime` section, else the defaults. */
  get policy(): CommitPolicy {
    return this.committer.policy;
  }

  /** Resolves when a backfill has reached its end offsets on every partition. */
  get done(): Promise<void> {
    return this.bounds.done;
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
    this.tasks.connect(this.kafka);
    this.partitions = await partitionCount(this.kafka, topology.source.topic).catch((err: Error) => {
      throw new Error(`input topic ${topology.source.topic}: ${err.message}`);
    });
    const topics: TopicSpec[] = [
      ...topology.stores.map((s) => ({ topic: changelogTopic(topology.application, s.name), numPartitions: this.partitions, config: { 'cleanup.policy': 'compact' } })),
      ...topology.outputs.map((o) => ({ topic: o.topic, numPartitions: o.numPartitions ?? this.partitions, config: outputTopicConfig(o) })),
    ];
    await ensureTopics(this.kafka, topics, { allowMorePartitions: true });
    await ensureTopics(this.kafka, [{ topic: this.deadLetterTopic, numPartitions: 1 }], { allowMorePartitions: true });
    for (const o of topology.outputs.filter((out) => out.coPartitioned)) {
      const count = await partitionCount(this.kafka, o.topic);
      if (count < this.partitions) throw new Error(`output topic ${o.topic} has ${count} partitions; it is written co-partitioned with ${topology.source.topic}, which has ${this.partitions}`);
    }
    await topology.prepare?.(options.config);
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
      this.tasks.assign(assigned);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.crashed = payload.error;
      this.log.error({ err: payload.error.message, restart: payload.restart }, 'consumer crashed');
    });
    // A rebalance is starting: commit pending work while the partitions are still ours (best effort; a task whose
    // partition moves anyway is fenced by its new owner, which starts from the committed offset).
    consumer.on(consumer.events.REBALANCING, () => void this.committer.commitAll('rebalance'));
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const task = this.tasks.get(payload.partition);
      if (!task) return;
      task.stats.lag = Number(payload.offsetLag);
      // kafkajs does not call eachBatch for a batch whose records were all filtered out (transaction markers,
      // aborted records), but moves past it: so does the task, if the batch starts at or before its position.
      if (payload.batchSize === 0 && task.active) task.position = positionAfterFiltered(task.position, payload.firstOffset, payload.lastOffset);
      // A backfill partition whose remaining records were only transaction markers ends here.
      if (task.active && this.bounds.due(payload.partition, task.position)) void this.finishPartition(payload.partition);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: topology.source.topic, fromBeginning: true });
    this.running = true;
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: Math.max(1, this.partitions),
      eachBatch: (payload) => this.track(this.onBatch(payload)),
    });
    this.committer.start();
    this.log.info({ topic: topology.source.topic, partitions: this.partitions, commitIntervalMs: this.policy.intervalMs }, 'worker started');
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
    const { task, ready } = this.tasks.taskFor(batch.partition);
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
    if (!isRunning() || isStale() || this.stopping || task.closed || !this.tasks.isCurrent(task) || this.bounds.isFinished(partition)) return;
    // kafkajs' Batch carries the offset it fetched from; the type declarations leave it out.
    const fetched = BigInt((batch as unknown as { fetchedOffset: string }).fetchedOffset);
    let placement = placeBatch(task.position, fetched, task.gap);
    if (placement === 'check-log') {
      // Skipping records that still exist would lose them for good: only retention or a records deletion may move a task on.
      const logStart = await this.logStartOffset(partition);
      const position = afterLogStart(task.position, logStart);
      if (position > task.position) {
        this.log.warn({ partition, position: task.position.toString(), logStart: logStart.toString(), fetched: fetched.toString() }, 'records between the task position and the log start are gone (retention or a records deletion); skipping them');
        task.position = position;
      }
      placement = fetched <= task.position ? 'process' : 'seek';
    }
    if (placement === 'seek') {
      task.gap = { at: task.position, count: task.gap.at === task.position ? task.gap.count + 1 : 1 };
      this.log.info({ partition, position: task.position.toString(), fetched: fetched.toString(), seeks: task.gap.count }, 'batch starts past the task position; seeking back');
      this.seek(partition, task.position);
      return;
    }
    task.gap = { at: -1n, count: 0 };
    const { messages, next, reachedEnd } = this.bounds.clip(partition, batch.messages, batch.lastOffset());
    if (next <= task.position && !reachedEnd) return; // delivered again (after a rebalance or a seek): already processed
    try {
      task.process(messages, next);
      if (reachedEnd) task.control(flushWindows);
      await this.committer.afterBatch(task, reachedEnd, heartbeat);
      if (reachedEnd) this.bounds.markFinished(partition);
    } catch (err) {
      // The task's memory may hold uncommitted changes: drop it, and fetch again from the committed offset, where
      // the next task for this partition is restored. Throwing makes kafkajs back off before fetching again.
      this.fail(task, err as Error, 'batch failed');
      throw err;
    }
  }

  /**
   * Drops a task whose memory can no longer be trusted, and seeks its partition back to the committed offset: the
   * next task is restored there, and kafkajs' own position is already past it.
   */
  private fail(task: Task, err: Error, what: string): void {
    const current = this.tasks.isCurrent(task);
    this.log.warn({ partition: task.partition, err: err.message, committed: task.nextOffset.toString(), position: task.position.toString() }, `${what}; task discarded, will be restored`);
    this.tasks.discard(task);
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

  private async logStartOffset(partition: number): Promise<bigint> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    const offsets = await (await this.admin).fetchTopicOffsets(this.topology.source.topic);
    const low = offsets.find((o) => o.partition === partition)?.low;
    if (low === undefined) throw new Error(`${this.topology.source.topic}-${partition}: the broker gave no log start offset`);
    return BigInt(low);
  }

  /** Backfill end reached through a batch of transaction markers only: flush and commit from outside eachBatch. */
  private async finishPartition(partition: number): Promise<void> {
    const task = this.tasks.get(partition);
    if (!task || !this.bounds.due(partition, task.position)) return;
    await this.tasks.readyOf(partition);
    await task
      .exclusive(async () => {
        if (!task.active || !this.tasks.isCurrent(task) || !this.bounds.due(partition, task.position)) return;
        task.control(flushWindows);
        task.pendingSince ??= this.clock.now();
        await this.committer.commit(task);
        this.bounds.markFinished(partition);
      })
      .catch((err: Error) => this.fail(task, err, 'backfill end commit failed'));
  }

  /** Progress of a backfill: records committed so far, per partition, as offsets. */
  committedOffsets(): Map<number, bigint> {
    return new Map([...this.tasks.entries()].map(([p, t]) => [p, t.nextOffset]));
  }

  /** Finishes in-flight batches, commits pending work, leaves the group, closes tasks, producers, sinks and the HTTP server. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopping = true;
    this.log.info('stopping: finishing in-flight work, committing and leaving the group');
    this.committer.stop();
    // Fetch nothing more, let the batches in flight finish, commit while the partitions are still ours, then leave.
    try {
      this.consumer?.pause([{ topic: this.topology.source.topic }]);
    } catch {
      // not running yet
    }
    // A commit retrying a failing sink gives up (its work is redone by the next owner); healthy sinks still commit.
    this.sinks.stopRetrying();
    await Promise.allSettled([...this.inFlight]);
    await this.committer.commitAll('stop');
    await this.consumer?.disconnect();
    await this.admin?.then((admin) => admin.disconnect()).catch(() => {});
    await this.tasks.closeAll();
    await this.sinks.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.log.info('stopped');
  }
}

/** Topic configs of an output: compaction, and time retention beside it. */
function outputTopicConfig(o: OutputTopicSpec): Record<string, string> | undefined {
  const retention: Record<string, string> = o.retentionMs !== undefined ? { 'retention.ms': String(o.retentionMs) } : {};
  if (o.compacted) return { 'cleanup.policy': o.retentionMs !== undefined ? 'compact,delete' : 'compact', ...retention };
  return o.retentionMs !== undefined ? retention : undefined;
}
