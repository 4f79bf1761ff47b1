// Time for the sink machinery, injectable so that tests run retries, timeouts and the breaker in virtual time.

export interface SinkClock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: SinkClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** A call that got no answer within its time; retryable. */
export class SinkTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'SinkTimeoutError';
  }
}

/** Runs `call`, rejecting with SinkTimeoutError (and aborting the signal it got) if it takes longer than `ms`. */
export async function withTimeout<T>(what: string, ms: number, clock: SinkClock, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const request = new AbortController();
  const timer = new AbortController();
  const expired = clock.sleep(ms, timer.signal).then(() => {
    if (timer.signal.aborted) return undefined as never;
    request.abort();
    throw new SinkTimeoutError(what, ms);
  });
  try {
    return await Promise.race([call(request.signal), expired]);
  } finally {
    timer.abort();
  }
}
