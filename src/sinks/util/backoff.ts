// Exponential backoff with full jitter: spreads the retries of many tasks over the whole window instead of letting
// them hit a recovering server in waves.

export interface RetryPolicy {
  /** Ceiling of the first wait, ms; doubles per attempt. */
  baseMs: number;
  /** The ceiling never grows past this, ms. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 100, maxMs: 5_000 };

/** The wait before retry number `attempt` (1 = after the first failure): uniform in [0, min(maxMs, baseMs·2^(attempt−1))). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 52));
  return Math.floor(random() * ceiling);
}
