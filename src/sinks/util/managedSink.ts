// One sink as the runner drives it: a bounded number of requests in flight, a timeout on every call, failures
// classified, and a circuit breaker (probing with the sink's health check) shared by every task writing to it.
import type { Logger } from '../../log.ts';
import { DEFAULT_LIMITS, estimateRowBytes } from './batch.ts';
import { CircuitBreaker, type BreakerOptions, type BreakerState } from './breaker.ts';
import { SinkTimeoutError, withTimeout, type SinkClock } from './clock.ts';
import type { BatchLimits, ExternalSink, SinkBatch, SinkFailure } from './contract.ts';

/** How one request ended, for metrics. */
export type RequestOutcome = 'ok' | 'retryable' | 'timeout' | 'permanent';

/** Where the runner reports requests and dead letters (the worker's Prometheus metrics; a no-op by default). */
export interface SinkObserver {
  request(sink: string, outcome: RequestOutcome, seconds: number, rows: number): void;
  deadLetters(sink: string, rows: number): void;
}

/** A sink's health as /readyz and the metrics show it. */
export interface SinkStatus {
  sink: string;
  state: BreakerState;
  /** Consecutive retryable failures. */
  failures: number;
  /** The last retryable failure's answer, while the sink is failing. */
  lastError?: string;
}

export interface ManagedSinkSettings {
  limits: BatchLimits;
  concurrency: number;
  timeoutMs: number;
  breaker: BreakerOptions;
  clock: SinkClock;
  observer: SinkObserver;
  log: Logger;
}

/** Waits while `free` is 0; `release` hands the slot to the next waiter. */
class Semaphore {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class ManagedSink {
  readonly sink: ExternalSink;
  readonly breaker: CircuitBreaker;
  readonly limits: BatchLimits;
  readonly sizeOf: (row: unknown) => number;
  private readonly settings: ManagedSinkSettings;
  private readonly slots: Semaphore;
  private probing?: Promise<void>;
  private lastError?: string;

  constructor(sink: ExternalSink, settings: ManagedSinkSettings) {
    this.sink = sink;
    this.settings = settings;
    this.breaker = new CircuitBreaker(settings.breaker, sink.health !== undefined);
    this.slots = new Semaphore(Math.max(1, settings.concurrency));
    const own = sink.limits ?? {};
    this.limits = {
      maxRows: Math.max(1, Math.min(own.maxRows ?? DEFAULT_LIMITS.maxRows, settings.limits.maxRows)),
      maxBytes: Math.max(1, Math.min(own.maxBytes ?? DEFAULT_LIMITS.maxBytes, settings.limits.maxBytes)),
    };
    this.sizeOf = sink.rowBytes ? (row) => sink.rowBytes!(row) : estimateRowBytes;
  }

  get name(): string {
    return this.sink.name;
  }

  status(): SinkStatus {
    return { sink: this.name, state: this.breaker.state, failures: this.breaker.failures, lastError: this.lastError };
  }

  /** Sorts a failure: a timeout is retryable; otherwise the sink decides (and a classifier that throws means retryable). */
  classify(err: unknown): SinkFailure {
    if (err instanceof SinkTimeoutError) return { kind: 'retryable', answer: err.message };
    try {
      return this.sink.classify(err);
    } catch {
      return { kind: 'retryable', answer: message(err) };
    }
  }

  /** One request in a free slot, with a timeout; undefined if the server acknowledged it. */
  async send(rows: unknown[], batch?: SinkBatch): Promise<SinkFailure | undefined> {
    await this.slots.acquire();
    const { clock, timeoutMs, observer } = this.settings;
    const started = clock.now();
    const seconds = () => (clock.now() - started) / 1000;
    try {
      await withTimeout(`${this.name}: write of ${rows.length} rows`, timeoutMs, clock, (signal) => this.sink.write(rows, signal, batch));
      this.succeeded();
      observer.request(this.name, 'ok', seconds(), rows.length);
      return undefined;
    } catch (err) {
      const failure = this.classify(err);
      observer.request(this.name, err instanceof SinkTimeoutError ? 'timeout' : failure.kind, seconds(), rows.length);
      if (failure.kind === 'retryable') this.failed(failure.answer);
      else this.succeeded();
      return failure;
    } finally {
      this.slots.release();
    }
  }

  /**
   * Resolves when the breaker lets a request through. While it is open, `waiting` runs before each wait (the
   * runner pauses the partition, heartbeats, and throws if the write was cancelled); half-open runs the health probe.
   */
  async gate(waiting: () => Promise<void>, stop: AbortSignal): Promise<void> {
    for (;;) {
      const decision = this.breaker.decide(this.settings.clock.now());
      if (decision.action === 'send') return;
      if (decision.action === 'probe') this.probing ??= this.probe().finally(() => (this.probing = undefined));
      await waiting();
      if (this.probing) await this.probing;
      else if (decision.action === 'wait') await this.settings.clock.sleep(decision.ms, stop);
    }
  }

  /** Closes the sink, within the call timeout. */
  async close(): Promise<void> {
    await withTimeout(`${this.name}: close`, this.settings.timeoutMs, this.settings.clock, () => this.sink.close()).catch((err: unknown) =>
      this.settings.log.warn({ sink: this.name, err: message(err) }, 'sink close failed'),
    );
  }

  private async probe(): Promise<void> {
    const { clock, timeoutMs } = this.settings;
    try {
      await withTimeout(`${this.name}: health check`, timeoutMs, clock, (signal) => this.sink.health!(signal));
      this.succeeded();
    } catch (err) {
      this.failed(this.classify(err).answer);
    }
  }

  private succeeded(): void {
    const before = this.breaker.state;
    this.breaker.success();
    this.lastError = undefined;
    if (before !== 'closed') this.settings.log.info({ sink: this.name }, 'sink answers again; circuit breaker closed');
  }

  private failed(answer: string): void {
    const before = this.breaker.state;
    this.breaker.failure(this.settings.clock.now());
    this.lastError = answer;
    // Logged when a closed breaker opens; a failed probe (half-open → open) is not news.
    if (before === 'closed' && this.breaker.state === 'open') {
      this.settings.log.warn({ sink: this.name, failures: this.breaker.failures, err: answer, openMs: this.settings.breaker.openMs }, 'sink keeps failing; circuit breaker open');
    }
  }
}
