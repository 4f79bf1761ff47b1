// A topology test driver (as Kafka Streams has one): runs a topology's task in memory, with commits that keep
// what a Kafka transaction would keep, and crashes that restore a fresh task from the changelog records committed
// so far and replay the input from the committed offset. Oracle tests of processors use it; no broker needed.
import type { KafkaMessage } from 'kafkajs';
import { changelogTopic } from './changelog.ts';
import { streamTimeOf, Task, type OutgoingRecord, type TaskOptions } from './task.ts';
import type { Topology } from './topology.ts';

/** An input record for the driver. */
export interface DriverRecord {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  /** Kafka record timestamp, ms (default 0). */
  timestamp?: number;
  headers?: Record<string, string>;
}

/** Runs one task of a topology over an in-memory input partition. */
export class TopologyTestDriver {
  readonly topology: Topology;
  private readonly partition: number;
  private readonly options: TaskOptions;
  private readonly input: KafkaMessage[] = [];
  /** Committed records per topic (outputs, dead letters, late records and changelogs), in commit order. */
  private readonly committed = new Map<string, OutgoingRecord[]>();
  private readonly committedRows = new Map<string, unknown[]>();
  private committedOffset = 0n;
  private committedMetadata = '';
  private current: Task;
  /** Tasks created so far (1 + crashes). */
  generations = 1;

  constructor(topology: Topology, options: TaskOptions & { partition?: number } = {}) {
    this.topology = topology;
    this.partition = options.partition ?? 0;
    this.options = options;
    this.current = this.freshTask();
  }

  /** The running task. */
  get task(): Task {
    return this.current;
  }

  /** Appends records to the input partition and processes them. */
  pipe(records: DriverRecord[]): void {
    const from = this.input.length;
    for (const r of records) {
      const key = r.key == null ? null : Buffer.isBuffer(r.key) ? r.key : Buffer.from(r.key);
      const value = r.value == null ? null : Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      this.input.push({ key, value, offset: String(this.input.length), timestamp: String(r.timestamp ?? 0), attributes: 0, headers: r.headers ?? {} } as KafkaMessage);
    }
    this.current.process(this.input.slice(from), BigInt(this.input.length));
  }

  /** Commits the task's checkpoint: outputs, sink rows and changelog records are kept, the input offset moves. */
  commit(): void {
    const checkpoint = this.current.takeCheckpoint();
    for (const [topic, records] of checkpoint.messages) {
      const list = this.committed.get(topic) ?? [];
      list.push(...records);
      this.committed.set(topic, list);
    }
    for (const [sink, rows] of checkpoint.rows) {
      const list = this.committedRows.get(sink) ?? [];
      list.push(...rows);
      this.committedRows.set(sink, list);
    }
    this.committedOffset = checkpoint.nextOffset;
    this.committedMetadata = checkpoint.metadata;
    this.current.nextOffset = checkpoint.nextOffset;
  }

  /** Drops the task with its uncommitted work, restores a new one from the committed changelogs, replays the rest. */
  crash(): void {
    void this.current.close();
    this.current = this.freshTask();
    this.generations++;
    const rest = this.input.slice(Number(this.committedOffset));
    if (rest.length > 0) this.current.process(rest, BigInt(this.input.length));
  }

  /** Committed records of a topic. */
  records(topic: string): OutgoingRecord[] {
    return this.committed.get(topic) ?? [];
  }

  /** Committed rows of a sink. */
  rows(sink: string): unknown[] {
    return this.committedRows.get(sink) ?? [];
  }

  private freshTask(): Task {
    const task = new Task(this.topology, this.partition, this.options);
    for (const store of this.topology.stores) {
      const records = (this.committed.get(changelogTopic(this.topology.application, store.name)) ?? []).map((r) => ({ key: toBuffer(r.key), value: toBuffer(r.value) }));
      task.restore(store.name, records);
    }
    task.restoreStreamTime(streamTimeOf(this.committedMetadata));
    task.nextOffset = this.committedOffset;
    task.start();
    return task;
  }
}

function toBuffer(v: Buffer | string | null): Buffer | null {
  return v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);
}
