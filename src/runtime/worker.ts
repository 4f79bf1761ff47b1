// A worker: one consumer-group member running a topology. Each assigned partition is a task with its own
// stores, restored from their changelogs before the task sees a record; each batch is processed and then
// committed in one Kafka transaction per task (outputs + changelog + offsets), after the task's sink writes.
import type { Server } from 'node:http';
import type { Consumer, Kafka, EachBatchPayload } from 'kafkajs';
import type { Config } from '../config/index.ts';
import { DLQ_TOPIC } from '../dlq/index.ts';
import { createKafka, ensureTopics, partitionCount, type TopicSpec } from '../kafka/index.ts';
import { componentLogger, type Logger } from '../log.ts';
import { flushWindows } from '../operators/index.ts';
import { changelogTopic } from './changelog.ts';
import { runtimeMetrics, serveMetrics, type RuntimeMetrics } from './metrics.ts';
import { readPartitions } from './restore.ts';
import { withRetry, type ExternalSink } from './sinks.ts';
import { Task } from './task.ts';
import type { Topology } from './topology.ts';

export interface WorkerOptions {
  topology: Topology;
  config: Config;
  /** Consumer group (default: the application id). */
  groupId?: string;
  /** Prefix of the per-task transactional ids (default: the group id). */
  transactionalIdPrefix?: string;
  /** Wall-clock idle flush after this many ms without records (off by default; never in backfills). */
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
  logger?: Logger;
}

/** Runs a topology as a member of its consumer group until `stop()`. */
export class Worker {
  readonly options: WorkerOptions;
  readonly topology: Topology;
  readonly groupId: string;
  readonly metrics: RuntimeMetrics;
  readonly log: Logger;
  readonly tasks = new Map<number, Task>();
  private readonly ready = new Map<number, Promise<void>>();
  private readonly sinks = new Map<string, ExternalSink>();
  private readonly finished = new Set<number>();
  private kafka!: Kafka;
  private consumer?: Consumer;
  private server?: Server;
  private partitions = 0;
  private running = false;
  private crashed?: Error;
  private resolveFinished?: () => void;
  /** Resolves when a backfill has reached its end offsets on every partition. */
  readonly done: Promise<void>;

  constructor(options: WorkerOptions) {
    this.options = options;
    this.topology = options.topology;
    this.groupId = options.groupId ?? options.topology.application;
    this.log = options.logger ?? componentLogger('worker', { application: this.topology.application, group: this.groupId });
    this.metrics = runtimeMetrics(this.topology.application, () => this.tasks.values());
    this.done = new Promise((resolve) => (this.resolveFinished = resolve));
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
    await ensureTopics(this.kafka, [{ topic: DLQ_TOPIC, numPartitions: 1 }], { allowMorePartitions: true });
    for (const spec of topology.sinks) {
      this.sinks.set(spec.name, await spec.create({ application: topology.application, targets: options.sinkTargets ?? {}, config: options.config }));
    }
    if (options.httpPort !== undefined) {
      this.server = await serveMetrics(this.metrics.registry, options.httpPort, {
        live: () => this.running && !this.crashed,
        ready: () => this.running && this.tasks.size > 0 && [...this.tasks.values()].every((t) => t.producer !== undefined),
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
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const task = this.tasks.get(payload.partition);
      if (task) task.stats.lag = Number(payload.offsetLag);
      // A backfill partition whose remaining records were only transaction markers ends here.
      const end = options.endOffsets?.get(payload.partition);
      if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end && !this.finished.has(payload.partition)) void this.finishPartition(payload.partition);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: topology.source.topic, fromBeginning: true });
    this.running = true;
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: Math.max(1, this.partitions),
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.log.info({ topic: topology.source.topic, partitions: this.partitions }, 'worker started');
  }

  /** Brings the task set in line with an assignment: revoked tasks close, new ones restore. */
  private async assign(partitions: number[]): Promise<void> {
    const wanted = new Set(partitions);
    for (const [p, task] of this.tasks) {
      if (!wanted.has(p)) {
        this.tasks.delete(p);
        this.ready.delete(p);
        await task.close();
        this.log.info({ partition: p }, 'task revoked');
      }
    }
    const fresh = partitions.filter((p) => !this.tasks.has(p));
    if (fresh.length > 0) this.initTasks(fresh);
  }

  /** Creates tasks and starts their initialisation (fence, offsets, restore) as one promise per task. */
  private initTasks(partitions: number[]): void {
    const tasks = partitions.map((p) => new Task(this.topology, p, { idleFlushMs: this.options.endOffsets ? undefined : this.options.idleFlushMs }));
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
    // so the committed offsets and changelogs read next are final.
    await Promise.all(
      tasks.map(async (task) => {
        const producer = this.kafka.producer({ transactionalId: `${prefix}-${task.topic}-${task.partition}`, idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
        task.producer = producer;
      }),
    );
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: this.groupId, topics: [this.topology.source.topic] });
      for (const task of tasks) {
        const offset = committed.partitions.find((p) => p.partition === task.partition)?.offset ?? '-1';
        task.nextOffset = BigInt(offset) >= 0n ? BigInt(offset) : 0n;
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

  private async onBatch({ batch, heartbeat, pause, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { task, ready } = this.taskFor(batch.partition);
    // kafkajs heartbeats only between batches: keep the membership alive while a long restore runs.
    const beat = setInterval(() => void heartbeat().catch(() => {}), 2_000);
    try {
      await ready;
    } finally {
      clearInterval(beat);
    }
    if (!isRunning() || isStale() || task.closed || this.finished.has(batch.partition)) return;
    const end = this.options.endOffsets?.get(batch.partition);
    const messages = end === undefined ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) < end);
    if (messages.length === 0 && end === undefined) return;
    try {
      task.process(messages);
      let next = BigInt(batch.lastOffset()) + 1n;
      const reachedEnd = end !== undefined && next >= end;
      if (reachedEnd) {
        next = end;
        task.control(flushWindows);
      }
      await this.commit(task, next, heartbeat, pause);
      if (reachedEnd) this.markFinished(batch.partition);
      await heartbeat();
    } catch (err) {
      // The task's memory may hold uncommitted changes: drop it; the retried batch restores a fresh one.
      this.log.warn({ partition: batch.partition, err: (err as Error).message }, 'batch failed; task discarded and will be restored');
      this.discard(task);
      throw err;
    }
  }

  private async commit(task: Task, nextOffset: bigint, heartbeat: () => Promise<void>, pause?: () => () => void): Promise<void> {
    const started = performance.now();
    const checkpoint = task.takeCheckpoint();
    let resume: (() => void) | undefined;
    try {
      await withRetry(`commit of ${task.topic}-${task.partition}`, () => task.commit(checkpoint, this.groupId, nextOffset, this.sinks), {
        attempts: checkpoint.rows.size > 0 ? 20 : 1,
        onRetry: async (err, attempt) => {
          // A sink that falls behind pauses the partition instead of letting work pile up.
          if (!resume && pause) {
            resume = pause();
            this.metrics.pausedPartitions.inc();
          }
          this.log.warn({ partition: task.partition, attempt, err: err.message }, 'sink write failed; partition paused, retrying');
          await heartbeat().catch(() => {});
        },
      });
    } finally {
      if (resume) {
        resume();
        this.metrics.pausedPartitions.dec();
      }
    }
    this.metrics.commitSeconds.observe((performance.now() - started) / 1000);
  }

  /** Backfill end reached through a batch of transaction markers only: flush and commit from outside eachBatch. */
  private async finishPartition(partition: number): Promise<void> {
    const task = this.tasks.get(partition);
    const end = this.options.endOffsets?.get(partition);
    if (!task || end === undefined || this.finished.has(partition)) return;
    await this.ready.get(partition);
    if (this.finished.has(partition)) return;
    task.control(flushWindows);
    await this.commit(task, end, async () => {});
    this.markFinished(partition);
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

  /** Finishes in-flight batches, leaves the group, closes tasks, producers, sinks and the HTTP server. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.log.info('stopping: finishing in-flight work and leaving the group');
    await this.consumer?.disconnect();
    await Promise.all([...this.tasks.values()].map((t) => t.close()));
    this.tasks.clear();
    for (const sink of this.sinks.values()) await sink.close().catch(() => {});
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.log.info('stopped');
  }
}
