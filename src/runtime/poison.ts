// Records that make a task's pipeline throw. An RxJS chain that errored is closed, so the worker discards the task
// and a new one, restored from the committed offset, processes the records again: a record that always throws (an
// aggregator that cannot handle its value) would replay forever and stop its partition. So the worker counts the
// failures of each partition at the record they happened on; once one record has failed `maxAttempts` times in a
// row, the next task for its partition sends it to the dead-letter topic, with the error, instead of processing it.
import { RUNTIME_DEFAULTS } from '../config/index.ts';

/** A pipeline error raised while a task processed the input record at `offset` of `partition`. */
export class RecordError extends Error {
  override name = 'RecordError';
  readonly partition: number;
  readonly offset: string;

  constructor(topic: string, partition: number, offset: string, cause: unknown) {
    super(`processing ${topic}-${partition} offset ${offset} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.partition = partition;
    this.offset = offset;
  }
}

/** A record given up: the error of its last attempt and how many attempts failed. */
export interface PoisonedRecord {
  error: unknown;
  attempts: number;
}

export const DEFAULT_MAX_RECORD_ATTEMPTS = RUNTIME_DEFAULTS.maxRecordAttempts;

/** Failures per partition and the records given up, by partition and offset. */
export class PoisonRecords {
  readonly maxAttempts: number;
  private readonly failures = new Map<number, { offset: string; count: number }>();
  private readonly poisoned = new Map<number, Map<string, PoisonedRecord>>();

  constructor(maxAttempts = DEFAULT_MAX_RECORD_ATTEMPTS) {
    if (!(Number.isSafeInteger(maxAttempts) && maxAttempts >= 1)) throw new RangeError(`maxRecordAttempts: expected a whole number ≥ 1, got ${maxAttempts}`);
    this.maxAttempts = maxAttempts;
  }

  /**
   * Notes a failure of the record at `offset` of `partition`, whose committed offset is `committed`. Returns the
   * record once it has failed `maxAttempts` times in a row (it is given up from now on), else undefined.
   */
  failed(partition: number, offset: string, error: unknown, committed: bigint): PoisonedRecord | undefined {
    const given = this.poisoned.get(partition);
    // Records below the committed offset are never processed again.
    if (given) for (const o of given.keys()) if (BigInt(o) < committed) given.delete(o);
    const last = this.failures.get(partition);
    const attempts = last?.offset === offset ? last.count + 1 : 1;
    if (attempts < this.maxAttempts) {
      this.failures.set(partition, { offset, count: attempts });
      return undefined;
    }
    this.failures.delete(partition);
    const record = { error, attempts };
    if (given) given.set(offset, record);
    else this.poisoned.set(partition, new Map([[offset, record]]));
    return record;
  }

  /** The records of `partition` a new task dead-letters instead of processing, by offset (undefined: none). */
  of(partition: number): ReadonlyMap<string, PoisonedRecord> | undefined {
    const given = this.poisoned.get(partition);
    return given && given.size > 0 ? new Map(given) : undefined;
  }
}
