// External sinks: at-least-once, idempotent by natural key. A task's offsets commit only after its sink writes resolved.

/** A destination outside Kafka. `write` must be idempotent: rewriting the same rows leaves the same result. */
export interface ExternalSink {
  readonly name: string;
  write(rows: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** Retries `fn` with exponential backoff and jitter; `onRetry` can keep a consumer group membership alive. */
export async function withRetry<T>(what: string, fn: () => Promise<T>, opts: { attempts?: number; baseMs?: number; maxMs?: number; onRetry?: (err: Error, attempt: number) => Promise<void> | void } = {}): Promise<T> {
  const attempts = opts.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts) throw new Error(`${what} failed after ${attempts} attempts: ${(err as Error).message}`, { cause: err });
      await opts.onRetry?.(err as Error, attempt);
      const ceiling = Math.min(opts.maxMs ?? 10_000, (opts.baseMs ?? 100) * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, ceiling / 2 + Math.random() * (ceiling / 2)));
    }
  }
}
