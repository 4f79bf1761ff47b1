// Commits of a worker's tasks: when (the commit policy, after a batch and on an interval timer for tasks without
// batches) and how (sink rows through the SinkRunner, then one Kafka transaction with outputs, changelog records,
// the offset and its stream time). A task's processing and its commits never interleave: both hold its lock.
import type { Logger } from '../log.ts';
import { sinkDeadLetterRecord, type SinkRunner } from '../sinks/util/index.ts';
import type { BackfillBounds } from './backfillBounds.ts';
import type { WorkerClock } from './clock.ts';
import type { RuntimeMetrics } from './metrics.ts';
import { commitDue, type CommitPolicy, type OutgoingRecord, type Task, type TaskCheckpoint } from './task.ts';
import type { TaskManager } from './taskManager.ts';

/** What the committer needs from the worker around it. */
export interface CommitterOptions {
  policy: CommitPolicy;
  groupId: string;
  tasks: TaskManager;
  sinks: SinkRunner;
  bounds: BackfillBounds;
  deadLetterTopic: string;
  clock: WorkerClock;
  metrics: RuntimeMetrics;
  log: Logger;
  /** Stops and restarts fetching a partition while its sinks fail. */
  pause(partition: number): void;
  resume(partition: number): void;
  /** The worker is stopping: a retrying sink write gives up. */
  stopping(): boolean;
  /** A commit failed: the worker discards the task and seeks back. */
  failed(task: Task, err: Error, what: string): void;
}

/** Commits tasks' pending work. */
export class Committer {
  readonly policy: CommitPolicy;
  private readonly options: CommitterOptions;
  private stopTimer?: () => void;

  constructor(options: CommitterOptions) {
    this.options = options;
    this.policy = options.policy;
  }

  /** Starts the interval timer: tasks that receive no new batches still commit (idle partitions, idle-flush outputs). */
  start(): void {
    if (this.policy.intervalMs > 0) this.stopTimer = this.options.clock.every(Math.max(10, Math.floor(this.policy.intervalMs / 2)), () => this.commitDueTasks());
  }

  stop(): void {
    this.stopTimer?.();
  }

  /** After a batch (under the task's lock): notes pending work, and commits if the policy says so or `force`. */
  async afterBatch(task: Task, force: boolean, heartbeat: () => Promise<void>): Promise<void> {
    const now = this.options.clock.now();
    task.lastBatchAt = now;
    if (task.pendingSince === undefined && task.hasPendingWork()) task.pendingSince = now;
    if (force || commitDue(this.policy, task.pendingSince, task.pending(), now)) await this.commit(task, heartbeat);
  }

  /** Commits a task's pending work: sink rows, then one transaction with outputs, changelog records and the offset. Call under the task's lock. */
  async commit(task: Task, heartbeat?: () => Promise<void>): Promise<void> {
    const started = performance.now();
    const checkpoint = task.takeCheckpoint();
    // Sink writes are retried in place (the partition paused) for as long as they fail retryably; a failed
    // transaction is not: the task is discarded and restored from the committed offset (a fenced producer, a broker error).
    if (checkpoint.rows.size > 0) await this.writeSinks(task, checkpoint, heartbeat);
    await task.commitTransaction(checkpoint, this.options.groupId);
    // Idle-flush timers may have added work while the commit was under way.
    task.pendingSince = task.hasPendingWork() ? this.options.clock.now() : undefined;
    this.options.metrics.commitSeconds.observe((performance.now() - started) / 1000);
  }

  /** Commits a task's pending work under its lock; a failure discards the task (and seeks back). */
  commitIfPending(task: Task, reason: string, onlyIfDue = false): Promise<void> {
    const { tasks, bounds, clock } = this.options;
    return task
      .exclusive(async () => {
        task.commitQueued = false;
        if (!task.active || !tasks.isCurrent(task) || bounds.isFinished(task.partition) || !task.hasPendingWork()) return;
        if (onlyIfDue && !commitDue(this.policy, task.pendingSince, task.pending(), clock.now())) return; // a batch committed meanwhile
        await this.commit(task);
      })
      .catch((err: Error) => this.options.failed(task, err, `${reason} commit failed`));
  }

  /** Commits every task's pending work (rebalance starting, stop). */
  async commitAll(reason: string): Promise<void> {
    await Promise.all([...this.options.tasks.values()].map((task) => this.commitIfPending(task, reason)));
  }

  /**
   * Interval timer: commits tasks whose pending work is due and that get no batches. A task that had a batch within
   * the interval commits from its next batch instead: a commit started here would run between other tasks' batches,
   * whose processing holds the event loop, so each of its round trips waits, and the task's next batch (and with it
   * kafkajs' next fetch) waits for the commit.
   */
  private commitDueTasks(): void {
    const now = this.options.clock.now();
    for (const task of this.options.tasks.values()) {
      if (!task.active || task.commitQueued || this.options.bounds.isFinished(task.partition)) continue;
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

  /**
   * Writes a checkpoint's sink rows through the SinkRunner. While a sink fails, the partition is paused, so work does
   * not pile up in memory. Rows a sink rejects for good join the checkpoint as dead letters: they commit with the offset.
   */
  private async writeSinks(task: Task, checkpoint: TaskCheckpoint, heartbeat?: () => Promise<void>): Promise<void> {
    const { topic, partition } = task;
    const { metrics, log } = this.options;
    const dead = await this.options.sinks.write(checkpoint.rows, {
      context: { partition },
      pause: () => {
        this.options.pause(partition);
        metrics.pausedPartitions.inc();
        log.warn({ partition }, 'sink failing; partition paused until it answers');
      },
      resume: () => {
        // While stopping, every partition stays paused (stop() paused them all).
        if (!this.options.stopping()) this.options.resume(partition);
        metrics.pausedPartitions.dec();
        log.info({ partition }, 'sink writes done; partition resumed');
      },
      heartbeat,
      cancelled: () => task.closed || this.options.stopping(),
    }, { topic, partition, fromOffset: checkpoint.fromOffset, toOffset: checkpoint.nextOffset });
    if (dead.length === 0) return;
    const source = { topic, partition, offset: checkpoint.nextOffset.toString() };
    const records = dead.map((d) => sinkDeadLetterRecord(d, source) as OutgoingRecord);
    const queued = checkpoint.messages.get(this.options.deadLetterTopic);
    if (queued) queued.push(...records);
    else checkpoint.messages.set(this.options.deadLetterTopic, records);
    task.stats.deadLetters += records.length;
    task.stats.recordsOut += records.length;
  }
}
