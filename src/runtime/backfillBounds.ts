// A backfill's end offsets: each partition stops before its end offset, flushes its windows and commits; the
// backfill is done once every partition has. A live worker has no bounds (every method is a no-op).
import type { KafkaMessage } from 'kafkajs';

/** Where a batch stands against its partition's end offset. */
export interface ClippedBatch {
  messages: KafkaMessage[];
  /** The offset after the batch, capped at the end offset. */
  next: bigint;
  /** The batch reached the end offset: flush, commit and finish the partition. */
  reachedEnd: boolean;
}

/** The end offsets of a backfill and which partitions reached them. */
export class BackfillBounds {
  private readonly ends?: ReadonlyMap<number, bigint>;
  private readonly finished = new Set<number>();
  private resolveDone?: () => void;
  /** Resolves when every partition has reached its end offset (never for a live worker). */
  readonly done: Promise<void>;

  constructor(ends: ReadonlyMap<number, bigint> | undefined) {
    this.ends = ends;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** True for a backfill. */
  get bounded(): boolean {
    return this.ends !== undefined;
  }

  /** The end offset of a partition, if bounded. */
  end(partition: number): bigint | undefined {
    return this.ends?.get(partition);
  }

  /** The batch's records before the end offset, and where the batch leaves the partition. */
  clip(partition: number, messages: KafkaMessage[], lastOffset: string): ClippedBatch {
    const end = this.end(partition);
    const next = BigInt(lastOffset) + 1n;
    if (end === undefined) return { messages, next, reachedEnd: false };
    const reachedEnd = next >= end;
    return { messages: messages.filter((m) => BigInt(m.offset) < end), next: reachedEnd ? end : next, reachedEnd };
  }

  /** True once a partition reached its end and committed. */
  isFinished(partition: number): boolean {
    return this.finished.has(partition);
  }

  /** A position at or past the end of a bounded partition that has not finished yet. */
  due(partition: number, position: bigint): boolean {
    const end = this.end(partition);
    return end !== undefined && position >= end && !this.finished.has(partition);
  }

  markFinished(partition: number): void {
    this.finished.add(partition);
    if (this.ends && [...this.ends.keys()].every((p) => this.finished.has(p))) this.resolveDone?.();
  }
}
