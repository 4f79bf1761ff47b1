// A circuit breaker per sink, without I/O: the runner asks it before each request and tells it how requests and
// probes ended. Open after `failureThreshold` consecutive retryable failures; after `openMs` it lets one health probe
// through (half-open), or, for a sink without a probe, the next requests, of which one failure opens it again.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold: number;
  /** How long the breaker stays open before it tries again, ms. */
  openMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 5, openMs: 2_000 };

/** What a caller may do now: send its request, run the health probe, or wait `ms` and ask again. */
export type BreakerDecision = { action: 'send' } | { action: 'probe' } | { action: 'wait'; ms: number };

export class CircuitBreaker {
  readonly options: BreakerOptions;
  /** The sink has a health probe: half-open waits for it instead of letting requests through. */
  readonly probes: boolean;
  state: BreakerState = 'closed';
  /** Consecutive retryable failures (requests and probes). */
  failures = 0;
  openedAt = 0;

  constructor(options: BreakerOptions, probes: boolean) {
    this.options = options;
    this.probes = probes;
  }

  /** Asked before each request; moves an open breaker whose time is up to half-open. */
  decide(now: number): BreakerDecision {
    if (this.state === 'open') {
      const left = this.openedAt + this.options.openMs - now;
      if (left > 0) return { action: 'wait', ms: left };
      this.state = 'half-open';
      return this.probes ? { action: 'probe' } : { action: 'send' };
    }
    if (this.state === 'half-open' && this.probes) return { action: 'wait', ms: this.options.openMs };
    return { action: 'send' };
  }

  /** A request or probe got an answer from the server (a permanent rejection counts: the server is up). */
  success(): void {
    this.state = 'closed';
    this.failures = 0;
  }

  /** A request or probe failed retryably. */
  failure(now: number): void {
    this.failures++;
    if (this.state === 'half-open' || (this.state === 'closed' && this.failures >= this.options.failureThreshold)) {
      this.state = 'open';
      this.openedAt = now;
    }
  }
}
