// Runs the load generator: seeded traffic to the gateway (OTLP/HTTP protobuf) or straight to Kafka (producer
// library), at a span rate or as fast as possible, for a duration; metrics every interval of wall-clock time.
import type { Signal } from '../otlp/index.ts';
import type { OtlpProducer } from '../producer/index.ts';
import { Traffic } from './traffic.ts';

/** Where requests go: the gateway's base URL, or a connected producer. */
export type GenTarget = { kind: 'http'; url: string; headers?: Record<string, string> } | { kind: 'kafka'; producer: OtlpProducer };

export interface GenOptions {
  target: GenTarget;
  signals: Signal[];
  seed: number;
  /** Spans per second across all workers; 0 = as fast as possible. */
  rate: number;
  durationSeconds: number;
  spansPerRequest: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Seconds between two metric collections of every instance. */
  metricsIntervalSeconds: number;
  /** Called about once a second. */
  onProgress?: (stats: GenStats, elapsedSeconds: number) => void;
}

export interface GenStats {
  requests: number;
  failed: number;
  spans: number;
  logRecords: number;
  points: number;
  bytes: number;
  /** Non-success answers by status (HTTP code or error name). */
  errors: Record<string, number>;
}

const PATHS: Record<Signal, string> = { traces: '/v1/traces', metrics: '/v1/metrics', logs: '/v1/logs' };

/** Runs until the duration is over; resolves with what was sent. */
export async function runGen(options: GenOptions): Promise<GenStats> {
  const traffic = new Traffic({ seed: options.seed });
  const stats: GenStats = { requests: 0, failed: 0, spans: 0, logRecords: 0, points: 0, bytes: 0, errors: {} };
  const started = performance.now();
  const endAt = started + options.durationSeconds * 1000;
  const elapsed = () => (performance.now() - started) / 1000;
  const wants = (s: Signal) => options.signals.includes(s);

  const send = async (signal: Signal, body: Buffer): Promise<boolean> => {
    stats.requests++;
    stats.bytes += body.length;
    try {
      if (options.target.kind === 'kafka') {
        await options.target.producer.export(signal, body);
        return true;
      }
      const res = await fetch(options.target.url + PATHS[signal], {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'application/x-protobuf', ...options.target.headers },
      });
      await res.arrayBuffer();
      if (res.ok) return true;
      stats.errors[res.status] = (stats.errors[res.status] ?? 0) + 1;
    } catch (err) {
      const name = (err as Error).name;
      stats.errors[name] = (stats.errors[name] ?? 0) + 1;
    }
    stats.failed++;
    return false;
  };

  let plannedSpans = 0;
  const traceWorker = async (): Promise<void> => {
    while (performance.now() < endAt) {
      if (options.rate > 0) {
        // Pace by spans: this batch may start once the spans before it fit the rate.
        const due = started + (plannedSpans / options.rate) * 1000;
        plannedSpans += options.spansPerRequest;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (performance.now() >= endAt) break;
      }
      traffic.advanceTo(Date.now());
      const batch = traffic.encodedTraces(options.spansPerRequest);
      const sends: Array<Promise<void>> = [];
      if (wants('traces')) {
        sends.push(send('traces', batch.traces).then((ok) => {
          if (ok) stats.spans += batch.spans;
        }));
      }
      if (wants('logs') && batch.logRecords > 0) {
        sends.push(send('logs', batch.logs).then((ok) => {
          if (ok) stats.logRecords += batch.logRecords;
        }));
      }
      await Promise.all(sends);
    }
  };
  const metricsWorker = async (): Promise<void> => {
    while (performance.now() < endAt) {
      const { metrics, points } = traffic.encodedMetrics(Date.now());
      if (await send('metrics', metrics)) stats.points += points;
      const next = Math.min(endAt - performance.now(), options.metricsIntervalSeconds * 1000);
      if (next > 0) await new Promise((r) => setTimeout(r, next));
    }
  };

  const progress = options.onProgress ? setInterval(() => options.onProgress!(stats, elapsed()), 1000) : undefined;
  try {
    const workers: Array<Promise<void>> = [];
    if (wants('traces') || wants('logs')) for (let i = 0; i < options.concurrency; i++) workers.push(traceWorker());
    if (wants('metrics')) workers.push(metricsWorker());
    await Promise.all(workers);
  } finally {
    clearInterval(progress);
  }
  options.onProgress?.(stats, elapsed());
  return stats;
}
