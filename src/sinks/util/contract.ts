// The contract every external sink implements: encode and send a batch, say whether a failure is worth retrying,
// optionally answer a health probe. Batching, timeouts, retries, the circuit breaker, pausing and dead letters are
// the SinkRunner's job (sinkRunner.ts), the same for every sink.

/** How a failed write ends: retried until it succeeds, or given up on (the rows become dead letters). */
export type SinkFailure =
  | { kind: 'retryable'; answer: string }
  /** The server refused these rows and would refuse them again; `answer` is what it said. */
  | { kind: 'permanent'; answer: string };

/** Upper bounds of one request; the runner splits a checkpoint's rows to fit. */
export interface BatchLimits {
  maxRows: number;
  /** Estimated by `rowBytes`; a single larger row still goes alone. */
  maxBytes: number;
}

/**
 * Which input records a write's rows come from: one request of a task's checkpoint. An upserting sink can ignore it;
 * a sink that cannot upsert (files) names its output after it, so a replay of the same records rewrites the same files.
 */
export interface SinkBatch {
  topic: string;
  partition: number;
  /** The offset committed before the checkpoint: a replay after a failed commit starts here again. */
  fromOffset: bigint;
  /** The offset the checkpoint commits (its records end before it). */
  toOffset: bigint;
  /** Index of the request's first row among the checkpoint's rows for this sink (after the `key` dedup). */
  firstRow: number;
}

/**
 * A destination outside Kafka. `write` must be idempotent: writing the same rows again leaves the same result, so
 * a retried or replayed batch does no harm (at-least-once toward sinks, exactly-once inside Kafka).
 */
export interface ExternalSink<Row = unknown> {
  readonly name: string;
  /**
   * Encodes and sends one batch; resolves once the server has acknowledged it. `signal` aborts on timeout; `batch`
   * says where the rows come from, when the caller knows (the worker always does).
   */
  write(rows: Row[], signal?: AbortSignal, batch?: SinkBatch): Promise<void>;
  /** Sorts a failure of `write` or `health`; an error it does not know is retryable (nothing is lost). */
  classify(err: unknown): SinkFailure;
  /** A cheap probe (`SELECT 1`, GET /-/ready) the circuit breaker sends before letting writes through again. */
  health?(signal?: AbortSignal): Promise<void>;
  /**
   * The natural key of a row, if rows with the same key replace each other (upserts): the runner keeps the last row
   * per key, so the batches of one checkpoint can be sent concurrently. Without it, batches go one after another.
   */
  key?(row: Row): string;
  /** Request bounds this sink needs (e.g. PostgreSQL's 65,535 bind parameters), on top of the runner's. */
  readonly limits?: Partial<BatchLimits>;
  /** Approximate encoded size of a row (default: a shallow estimate, see `estimateRowBytes`). */
  rowBytes?(row: Row): number;
  close(): Promise<void>;
}
