// The SinkRunner writes a checkpoint's rows to every sink the same way, so a sink only encodes, sends and classifies:
// rows deduplicated by key and split into bounded requests, sent with bounded concurrency and a timeout each; a
// retryable failure is retried with backoff and full jitter for as long as it stays retryable (the caller's partition
// paused meanwhile, so memory stays bounded while a sink is down); a permanent rejection is narrowed down by halving
// the batch, and the rows the server refuses on their own come back as dead letters with the server's answer.
import { componentLogger, type Logger } from '../../log.ts';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './backoff.ts';
import { DEFAULT_LIMITS, lastPerKey, splitBatches } from './batch.ts';
import { DEFAULT_BREAKER, type BreakerOptions } from './breaker.ts';
import { realClock, type SinkClock } from './clock.ts';
import type { BatchLimits, ExternalSink, SinkBatch } from './contract.ts';
import { ManagedSink, type ManagedSinkSettings, type SinkObserver, type SinkStatus } from './managedSink.ts';

export interface SinkRunnerOptions {
  /** Bounds of one request (default 1,000 rows, 1 MiB); a sink's own `limits` can lower them. */
  limits?: Partial<BatchLimits>;
  /** Requests in flight per sink, over all tasks (default 4). */
  concurrency?: number;
  /** Every call to a sink (write, health, close) fails as retryable after this long (default 30 s). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  breaker?: Partial<BreakerOptions>;
  /** Halve a permanently rejected batch until the rejected rows are found (default true); else the whole batch is dead. */
  isolate?: boolean;
  clock?: SinkClock;
  random?: () => number;
  observer?: SinkObserver;
  log?: Logger;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_TIMEOUT_MS = 30_000;

/** What the caller does while a write cannot get through (the worker: its partition in the kafkajs consumer). */
export interface WriteHooks {
  /** Called once, at the first retryable failure or breaker wait of this write: fetch no more input. */
  pause(): void;
  /** Called once at the end (success, failure or cancel) if `pause` was called. */
  resume(): void;
  /** Called before each wait, to keep a consumer-group membership alive. */
  heartbeat?(): Promise<void>;
  /** Retrying stops, and the write throws SinkWriteCancelled, once this is true (e.g. the task was revoked). */
  cancelled?(): boolean;
  /** Added to every log line of this write (e.g. the partition). */
  context?: Record<string, unknown>;
}

/** The checkpoint a write's rows come from; each request tells its sink this plus the index of its first row. */
export type SinkSource = Omit<SinkBatch, 'firstRow'>;

/** A row a sink rejected for good, with the server's answer. */
export interface SinkDeadLetter {
  sink: string;
  row: unknown;
  answer: string;
}

/** The write stopped retrying because its caller gave up on it (task revoked, worker stopping); nothing was lost. */
export class SinkWriteCancelled extends Error {
  constructor(sink: string) {
    super(`sink ${sink}: write cancelled while retrying`);
    this.name = 'SinkWriteCancelled';
  }
}

const noObserver: SinkObserver = { request: () => {}, deadLetters: () => {} };

/** A failure is logged at these attempts only, so a long outage does not flood the log. */
const logged = (attempt: number) => (attempt & (attempt - 1)) === 0 || attempt % 20 === 0;

/** Per-write state: whether this write has paused its caller. */
interface WriteRun {
  hooks: WriteHooks;
  paused: boolean;
  source?: SinkSource;
}

/** Runs writes to a worker's sinks. */
export class SinkRunner {
  private readonly sinks = new Map<string, ManagedSink>();
  private readonly clock: SinkClock;
  private readonly random: () => number;
  private readonly retry: RetryPolicy;
  private readonly isolate: boolean;
  private readonly concurrency: number;
  private readonly log: Logger;
  private readonly observer: SinkObserver;
  private readonly settings: ManagedSinkSettings;
  private readonly stop = new AbortController();

  constructor(options: SinkRunnerOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.isolate = options.isolate ?? true;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.log = options.log ?? componentLogger('sinks');
    this.observer = options.observer ?? noObserver;
    this.settings = {
      limits: { ...DEFAULT_LIMITS, ...options.limits },
      concurrency: this.concurrency,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      breaker: { ...DEFAULT_BREAKER, ...options.breaker },
      clock: this.clock,
      observer: this.observer,
      log: this.log,
    };
  }

  /** Adds a sink under its name. */
  add(sink: ExternalSink): void {
    if (this.sinks.has(sink.name)) throw new Error(`two sinks named ${sink.name}`);
    this.sinks.set(sink.name, new ManagedSink(sink, this.settings));
  }

  /** Each sink's breaker state and last error. */
  status(): SinkStatus[] {
    return [...this.sinks.values()].map((s) => s.status());
  }

  /** False while a sink's circuit breaker is open (for /readyz). */
  healthy(): boolean {
    return [...this.sinks.values()].every((s) => s.breaker.state !== 'open');
  }

  /**
   * Writes rows per sink name; resolves once every sink acknowledged its rows, with the rows rejected for good.
   * Retries retryable failures without an attempt cap; throws SinkWriteCancelled if the hooks cancel it. `source`,
   * if given, is handed to each request with the index of its first row (see SinkBatch).
   */
  async write(rowsBySink: Map<string, unknown[]>, hooks: WriteHooks, source?: SinkSource): Promise<SinkDeadLetter[]> {
    const run: WriteRun = { hooks, paused: false, source };
    try {
      for (const name of rowsBySink.keys()) if (!this.sinks.has(name)) throw new Error(`no sink named ${name}`);
      return (await settleAll([...rowsBySink].map(([name, rows]) => this.writeSink(this.sinks.get(name)!, rows, run)))).flat();
    } finally {
      if (run.paused) hooks.resume();
    }
  }

  /** Ends every retry loop and wait now (they throw SinkWriteCancelled); first attempts still go through. */
  stopRetrying(): void {
    this.stop.abort();
  }

  /** Stops retrying and closes every sink (each within the call timeout). */
  async close(): Promise<void> {
    this.stopRetrying();
    await Promise.all([...this.sinks.values()].map((s) => s.close()));
  }

  private async writeSink(sink: ManagedSink, rows: unknown[], run: WriteRun): Promise<SinkDeadLetter[]> {
    const key = sink.sink.key;
    const batches = splitBatches(key ? lastPerKey(rows, (r) => key.call(sink.sink, r)) : rows, sink.limits, sink.sizeOf);
    const firstRows: number[] = [];
    for (let i = 0, at = 0; i < batches.length; at += batches[i++].length) firstRows.push(at);
    // Distinct keys make the batches independent; without keys, a later row may have to win: one after another.
    const lanes = key ? Math.min(this.concurrency, batches.length) : 1;
    let next = 0;
    let failed = false;
    const lane = async (): Promise<SinkDeadLetter[]> => {
      const dead: SinkDeadLetter[] = [];
      try {
        while (next < batches.length && !failed) {
          const i = next++;
          dead.push(...(await this.sendBatch(sink, batches[i], run, firstRows[i])));
        }
      } catch (err) {
        failed = true;
        throw err;
      }
      return dead;
    };
    return (await settleAll(Array.from({ length: lanes }, lane))).flat();
  }

  /** Sends one batch until it is acknowledged or rejected for good; returns the rows rejected for good. */
  private async sendBatch(sink: ManagedSink, rows: unknown[], run: WriteRun, firstRow: number): Promise<SinkDeadLetter[]> {
    const batch: SinkBatch | undefined = run.source && { ...run.source, firstRow };
    for (let attempt = 1; ; attempt++) {
      await sink.gate(() => this.waiting(sink, run), this.stop.signal);
      const failure = await sink.send(rows, batch);
      if (!failure) return [];
      if (failure.kind === 'permanent') {
        if (this.isolate && rows.length > 1) {
          const half = rows.length >>> 1;
          return [...(await this.sendBatch(sink, rows.slice(0, half), run, firstRow)), ...(await this.sendBatch(sink, rows.slice(half), run, firstRow + half))];
        }
        this.observer.deadLetters(sink.name, rows.length);
        this.log.warn({ ...run.hooks.context, sink: sink.name, rows: rows.length, answer: failure.answer }, 'sink rejected rows for good; they go to the dead-letter topic');
        return rows.map((row) => ({ sink: sink.name, row, answer: failure.answer }));
      }
      const delay = backoffDelay(attempt, this.retry, this.random);
      if (logged(attempt)) this.log.warn({ ...run.hooks.context, sink: sink.name, attempt, rows: rows.length, err: failure.answer, retryInMs: delay }, 'sink write failed; retrying');
      await this.waiting(sink, run);
      await this.clock.sleep(delay, this.stop.signal);
    }
  }

  /** Before any wait: give up if cancelled, pause the caller once, keep its membership alive. */
  private async waiting(sink: ManagedSink, run: WriteRun): Promise<void> {
    if (this.stop.signal.aborted || run.hooks.cancelled?.()) throw new SinkWriteCancelled(sink.name);
    if (!run.paused) {
      run.paused = true;
      run.hooks.pause();
    }
    await run.hooks.heartbeat?.().catch(() => {});
  }
}

/** Like Promise.all, but rejects only after every promise settled, so no write keeps running unobserved. */
async function settleAll<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
