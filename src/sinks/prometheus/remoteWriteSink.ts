// Prometheus remote write as an ExternalSink: each batch of series is one WriteRequest. 5xx and 429 mean "later";
// any other 4xx means the server will never take these samples (out of order, too old, malformed labels).
import type { SinkSpec } from '../../runtime/topology.ts';
import type { ExternalSink, SinkFailure } from '../util/index.ts';
import { RemoteWriteError, sendWriteRequest, type TimeSeries } from './remoteWrite.ts';

export interface RemoteWriteSinkOptions {
  name: string;
  /** Default: the config's prometheus.remoteWriteUrl, else prometheus.url + /api/v1/write. */
  url?: string;
  /** Probed while the circuit breaker is open. Default: prometheus.url + /-/ready, when the config has one. */
  readyUrl?: string;
}

/** Retryable for 5xx, 429 and failures without an answer (network, timeouts); permanent for other 4xx, with the body. */
export function classifyRemoteWriteError(err: unknown): SinkFailure {
  if (err instanceof RemoteWriteError) {
    const answer = `${err.status} ${err.answer}`;
    return err.status === 429 || err.status >= 500 || err.status < 400 ? { kind: 'retryable', answer } : { kind: 'permanent', answer };
  }
  return { kind: 'retryable', answer: err instanceof Error ? err.message : String(err) };
}

/** A health probe: GET `readyUrl` must answer 2xx. */
export function readyProbe(readyUrl: string): (signal?: AbortSignal) => Promise<void> {
  return async (signal) => {
    const res = await fetch(readyUrl, { signal });
    if (!res.ok) throw new RemoteWriteError(readyUrl, res.status, (await res.text()).trim());
  };
}

/** Size of a series on the wire, roughly: label bytes and 16 bytes per sample. */
export function seriesBytes(ts: TimeSeries): number {
  return ts.labels.reduce((n, l) => n + l.name.length + l.value.length + 4, 0) + ts.samples.length * 16;
}

/** A sink sending rows (TimeSeries) with remote write 1.0. */
export function remoteWriteSink(options: RemoteWriteSinkOptions): SinkSpec {
  return {
    name: options.name,
    async create(ctx) {
      const base = ctx.config.prometheus?.url;
      const url = ctx.targets[options.name] ?? options.url ?? ctx.config.prometheus?.remoteWriteUrl ?? (base ? `${base}/api/v1/write` : undefined);
      if (!url) throw new Error(`remote write sink ${options.name}: no URL (set url, PROM_REMOTE_WRITE_URL or PROM_URL)`);
      const readyUrl = options.readyUrl ?? (base ? `${base}/-/ready` : undefined);
      const sink: ExternalSink<TimeSeries> = {
        name: options.name,
        write: (series, signal) => sendWriteRequest(url, series, signal),
        classify: classifyRemoteWriteError,
        health: readyUrl === undefined ? undefined : readyProbe(readyUrl),
        rowBytes: seriesBytes,
        close: async () => {},
      };
      return sink;
    },
  };
}
