// The tasks of a worker: one per assigned partition. Owns the task set and each task's initialisation — fencing
// the previous owner, reading the committed offset and stream time, restoring the stores — and nothing else.
import type { Kafka } from 'kafkajs';
import type { Logger } from '../log.ts';
import type { BackfillBounds } from './backfillBounds.ts';
import { changelogTopic } from './changelog.ts';
import type { RuntimeMetrics } from './metrics.ts';
import { readPartitions } from './restore.ts';
import { streamTimeOf, Task, type TaskOptions } from './task.ts';
import type { Topology } from './topology.ts';

export interface TaskManagerOptions {
  topology: Topology;
  groupId: string;
  /** Prefix of the per-task transactional ids. */
  transactionalIdPrefix: string;
  /** The options of a new task of a partition (read when the task is created). */
  taskOptions(partition: number): TaskOptions;
  bounds: BackfillBounds;
  metrics: RuntimeMetrics;
  log: Logger;
}

/** The worker's tasks, by partition, and the promise of each one's initialisation. */
export class TaskManager {
  private readonly options: TaskManagerOptions;
  private readonly tasks = new Map<number, Task>();
  private readonly ready = new Map<number, Promise<void>>();
  private kafka?: Kafka;

  constructor(options: TaskManagerOptions) {
    this.options = options;
  }

  /** The client tasks connect with; set once the worker starts. */
  connect(kafka: Kafka): void {
    this.kafka = kafka;
  }

  get size(): number {
    return this.tasks.size;
  }

  values(): IterableIterator<Task> {
    return this.tasks.values();
  }

  entries(): IterableIterator<[number, Task]> {
    return this.tasks.entries();
  }

  get(partition: number): Task | undefined {
    return this.tasks.get(partition);
  }

  /** Whether `task` is still the partition's task (not revoked, discarded or replaced). */
  isCurrent(task: Task): boolean {
    return this.tasks.get(task.partition) === task;
  }

  /** Resolves once the partition's task is initialised. */
  readyOf(partition: number): Promise<void> | undefined {
    return this.ready.get(partition);
  }

  /**
   * Brings the task set in line with an assignment: revoked tasks close, new ones restore. A revoked task's
   * uncommitted work is dropped, not committed: by now the partition may be restoring at its new owner, whose
   * producer fences this one; the new owner starts from the committed offset and redoes that work.
   */
  assign(partitions: number[]): void {
    const wanted = new Set(partitions);
    for (const [p, task] of this.tasks) {
      if (!wanted.has(p)) {
        this.tasks.delete(p);
        this.ready.delete(p);
        task.closed = true;
        void task.exclusive(() => task.close());
        this.options.log.info({ partition: p, uncommitted: task.hasPendingWork() }, 'task revoked');
      }
    }
    const fresh = partitions.filter((p) => !this.tasks.has(p));
    if (fresh.length > 0) this.create(fresh);
  }

  /** The partition's task, created (and initialising) if it has none. */
  taskFor(partition: number): { task: Task; ready: Promise<void> } {
    if (!this.tasks.has(partition)) this.create([partition]);
    return { task: this.tasks.get(partition)!, ready: this.ready.get(partition)! };
  }

  /** Drops a task (its memory is not to be trusted, or it is done) and closes it. */
  discard(task: Task): void {
    if (this.tasks.get(task.partition) === task) {
      this.tasks.delete(task.partition);
      this.ready.delete(task.partition);
    }
    void task.close();
  }

  /** Closes every task (the worker stops). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.tasks.values()].map((t) => t.close()));
    this.tasks.clear();
    this.ready.clear();
  }

  /** Creates tasks and starts their initialisation (fence, offsets, restore) as one promise per task. */
  private create(partitions: number[]): void {
    const tasks = partitions.map((p) => new Task(this.options.topology, p, this.options.taskOptions(p)));
    for (const t of tasks) this.tasks.set(t.partition, t);
    const init = this.initialise(tasks);
    for (const t of tasks) this.ready.set(t.partition, init);
    init.catch((err: Error) => {
      this.options.log.error({ err: err.message, partitions }, 'task initialisation failed');
      for (const t of tasks) this.discard(t);
    });
  }

  private async initialise(tasks: Task[]): Promise<void> {
    const { topology, groupId, log, metrics, bounds } = this.options;
    const kafka = this.kafka;
    if (!kafka) throw new Error('task manager: not connected');
    const started = performance.now();
    // A new producer with the task's transactional id fences the previous owner and settles its open transaction,
    // so the committed offsets and changelogs read next are final. kafkajs 2.2.4's connect() does not do that: it
    // takes a plain idempotent producer id, and only the first transaction() sends InitProducerId with the
    // transactional id. So begin (and end, sending nothing) one transaction now.
    await Promise.all(
      tasks.map(async (task) => {
        const producer = kafka.producer({ transactionalId: `${this.options.transactionalIdPrefix}-${task.topic}-${task.partition}`, idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
        const fence = await producer.transaction();
        await fence.abort();
        task.producer = producer;
      }),
    );
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topology.source.topic] });
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
    const topics = topology.stores.map((s) => changelogTopic(topology.application, s.name));
    let entries = 0;
    if (topics.length > 0) {
      const records = await readPartitions(kafka, topics, tasks.map((t) => t.partition), (read, total) => {
        metrics.restoreRead.set(read);
        metrics.restoreTotal.set(total);
        log.info({ partitions: tasks.map((t) => t.partition), read, total }, 'restoring state from changelog');
      }).finally(() => {
        metrics.restoreRead.set(0);
        metrics.restoreTotal.set(0);
      });
      for (const task of tasks) {
        for (const store of topology.stores) {
          const result = task.restore(store.name, records.get(`${changelogTopic(topology.application, store.name)}:${task.partition}`) ?? []);
          entries += result.entries;
        }
      }
    }
    for (const task of tasks) task.start();
    // A backfill partition with nothing in its range is done as soon as its start is known.
    for (const task of tasks) {
      const end = bounds.end(task.partition);
      if (end !== undefined && task.nextOffset >= end) bounds.markFinished(task.partition);
    }
    const seconds = (performance.now() - started) / 1000;
    metrics.restoreSeconds.observe(seconds);
    metrics.restoredEntries.inc(entries);
    log.info(
      { partitions: tasks.map((t) => t.partition), restoredEntries: entries, seconds: Math.round(seconds * 1000) / 1000, from: topics, nextOffsets: tasks.map((t) => t.nextOffset.toString()) },
      entries > 0 ? 'state restored from changelog' : 'tasks initialised (no state to restore)',
    );
  }
}
