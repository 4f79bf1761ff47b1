// Pipeline health for the web UI: the topology processes' own /metrics and /readyz, scraped every few seconds,
// turned into one row per process — consumer lag, throughput (from the counters' change between scrapes), late and
// dead-lettered records, each sink's state, restore progress — with a short history for the throughput chart.
import type { PipelineSnapshot, ProcessHealth, SinkHealth, SinkState } from '../answers.ts';
import { parseExposition, sumOf, type Sample } from './exposition.ts';

export type { PipelineSnapshot, ProcessHealth, SinkHealth, SinkState };

/** A process to watch: its name and the base URL of its metrics server (…/metrics, …/readyz). */
export interface PipelineTarget {
  name: string;
  url: string;
}

const BREAKER: Record<number, SinkState> = { 0: 'healthy', 1: 'half-open', 2: 'circuit open' };
const HISTORY = 120;

interface Previous {
  atMs: number;
  recordsIn: number;
  recordsOut: number;
}

/** Reads one process' samples into its health row (rates and history added by the caller). */
export function processHealth(target: PipelineTarget, samples: readonly Sample[], readyz: { ok: boolean; text: string }): ProcessHealth {
  const application = samples.find((s) => s.labels.application !== undefined)?.labels.application;
  const partitions = samples.filter((s) => s.name === 'otlp_streams_consumer_lag').length;
  const paused = sumOf(samples, 'otlp_streams_paused_partitions');
  const sinkNames = new Set(samples.filter((s) => s.name.startsWith('otlp_streams_sink_') && s.labels.sink !== undefined).map((s) => s.labels.sink));
  const sinks: SinkHealth[] = [...sinkNames].sort().map((sink) => {
    const breaker = sumOf(samples, 'otlp_streams_sink_breaker_state', { sink });
    const state: SinkState = breaker === 0 && paused > 0 ? 'paused' : (BREAKER[breaker] ?? 'healthy');
    return {
      sink,
      state,
      consecutiveFailures: sumOf(samples, 'otlp_streams_sink_consecutive_failures', { sink }),
      rowsTotal: sumOf(samples, 'otlp_streams_sink_rows_total', { sink }),
      deadLetters: sumOf(samples, 'otlp_streams_sink_dead_letters_total', { sink }),
    };
  });
  const lateGauges = samples.filter((s) => s.name === 'otlp_streams_task_gauge' && /late/.test(s.labels.name ?? '')).reduce((sum, s) => sum + s.value, 0);
  const streamTimes = samples.filter((s) => s.name === 'otlp_streams_stream_time_seconds' && s.value > 0).map((s) => s.value);
  return {
    name: target.name,
    url: target.url,
    up: true,
    ready: readyz.ok,
    ...(readyz.ok ? {} : { readyReason: readyz.text.trim() }),
    ...(application !== undefined ? { application } : {}),
    partitions,
    lag: sumOf(samples, 'otlp_streams_consumer_lag'),
    recordsIn: sumOf(samples, 'otlp_streams_records_in_total'),
    recordsOut: sumOf(samples, 'otlp_streams_records_out_total'),
    late: sumOf(samples, 'otlp_streams_out_of_bounds_total') + lateGauges,
    deadLetters: sumOf(samples, 'otlp_streams_dead_letters_total') + sumOf(samples, 'otlp_streams_sink_dead_letters_total'),
    pausedPartitions: paused,
    restore: {
      read: sumOf(samples, 'otlp_streams_restore_read_offsets'),
      total: sumOf(samples, 'otlp_streams_restore_total_offsets'),
      restoredEntries: sumOf(samples, 'otlp_streams_restored_entries_total'),
    },
    sinks,
    ...(streamTimes.length > 0 ? { streamTimeSeconds: Math.max(...streamTimes) } : {}),
    history: [],
  };
}

/** Scrapes the targets every `intervalMs` while someone asks (stops after a minute without a request). */
export class PipelineHealth {
  readonly targets: readonly PipelineTarget[];
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private latest: PipelineSnapshot | undefined;
  private readonly previous = new Map<string, Previous>();
  private readonly history = new Map<string, Array<[number, number]>>();
  private timer: NodeJS.Timeout | undefined;
  private lastAskedMs = 0;
  private scraping: Promise<PipelineSnapshot> | undefined;

  constructor(targets: readonly PipelineTarget[], options: { intervalMs?: number; timeoutMs?: number } = {}) {
    this.targets = targets;
    this.intervalMs = options.intervalMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 2_000;
  }

  /** The latest snapshot; the first request scrapes at once and starts the background scrapes. */
  async snapshot(): Promise<PipelineSnapshot> {
    this.lastAskedMs = Date.now();
    if (this.timer === undefined) {
      this.timer = setInterval(() => {
        if (Date.now() - this.lastAskedMs > 60_000) this.stop();
        else void this.refresh();
      }, this.intervalMs);
      this.timer.unref();
    }
    return this.latest ?? this.refresh();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Scrapes every target now (one scrape at a time; a caller during one gets its result). */
  refresh(): Promise<PipelineSnapshot> {
    this.scraping ??= this.scrapeAll().finally(() => {
      this.scraping = undefined;
    });
    return this.scraping;
  }

  private async scrapeAll(): Promise<PipelineSnapshot> {
    const processes = await Promise.all(this.targets.map((t) => this.scrapeOne(t)));
    this.latest = { scrapedAtMs: Date.now(), intervalMs: this.intervalMs, processes };
    return this.latest;
  }

  private async scrapeOne(target: PipelineTarget): Promise<ProcessHealth> {
    const now = Date.now();
    let health: ProcessHealth;
    try {
      const [metrics, readyz] = await Promise.all([this.get(`${target.url}/metrics`), this.get(`${target.url}/readyz`)]);
      if (!metrics.ok) throw new Error(`/metrics answered ${metrics.status}`);
      health = processHealth(target, parseExposition(metrics.text), readyz);
    } catch (err) {
      const down = processHealth(target, [], { ok: false, text: '' });
      return { ...down, up: false, error: (err as Error).message, history: this.history.get(target.name) ?? [] };
    }
    const before = this.previous.get(target.name);
    this.previous.set(target.name, { atMs: now, recordsIn: health.recordsIn, recordsOut: health.recordsOut });
    // A counter that went down is a restarted process: no rate for that interval.
    if (before !== undefined && now > before.atMs && health.recordsIn >= before.recordsIn && health.recordsOut >= before.recordsOut) {
      const seconds = (now - before.atMs) / 1000;
      health.inPerSecond = (health.recordsIn - before.recordsIn) / seconds;
      health.outPerSecond = (health.recordsOut - before.recordsOut) / seconds;
      const history = this.history.get(target.name) ?? [];
      history.push([Math.round(now / 1000), health.inPerSecond]);
      if (history.length > HISTORY) history.shift();
      this.history.set(target.name, history);
    }
    health.history = this.history.get(target.name) ?? [];
    return health;
  }

  private async get(url: string): Promise<{ ok: boolean; status: number; text: string }> {
    const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    return { ok: res.ok, status: res.status, text: await res.text() };
  }
}

/** `name=url` pairs, comma-separated (a bare URL is named by its port). */
export function parsePipelineTargets(text: string): PipelineTarget[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    const eq = item.indexOf('=');
    const name = eq > 0 && !item.slice(0, eq).includes('/') ? item.slice(0, eq) : '';
    const raw = name ? item.slice(eq + 1) : item;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error(`--pipeline: "${raw}" is not a URL (expected name=http://host:port)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--pipeline: "${raw}" must be http:// or https://`);
    return { name: name || url.host, url: url.origin };
  });
}
