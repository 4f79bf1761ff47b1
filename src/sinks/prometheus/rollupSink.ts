// Rollup partials sent with Prometheus remote write: each row is one partial's series (fromRollup.ts); a batch is one
// WriteRequest with one entry per label set and its samples in time order. No natural key on purpose: batches go one
// after another, so a series' windows reach the server in order (Prometheus refuses out-of-order samples).
import type { SinkSpec } from '../../runtime/topology.ts';
import type { ExternalSink } from '../util/index.ts';
import { mergeTimeSeries } from './fromRollup.ts';
import { sendWriteRequest, type TimeSeries } from './remoteWrite.ts';
import { classifyRemoteWriteError, readyProbe, seriesBytes } from './remoteWriteSink.ts';

export interface RollupRemoteWriteOptions {
  name: string;
  /** Default: the config's prometheus.remoteWriteUrl, else prometheus.url + /api/v1/write. */
  url?: string;
  /**
   * Probed while the circuit breaker is open. Default: /-/ready on the same server when the write path is
   * /api/v1/write (Prometheus, VictoriaMetrics); else none (the breaker lets the next writes through instead).
   */
  readyUrl?: string;
}

/** The remote-write URL a sink uses: a `--sink-target` override, its option, else the config's Prometheus. */
export function remoteWriteUrl(name: string, url: string | undefined, ctx: Parameters<SinkSpec['create']>[0]): string {
  const base = ctx.config.prometheus?.url;
  const resolved = ctx.targets[name] ?? url ?? ctx.config.prometheus?.remoteWriteUrl ?? (base ? `${base}/api/v1/write` : undefined);
  if (!resolved) throw new Error(`remote write sink ${name}: no URL (set url, PROM_REMOTE_WRITE_URL or PROM_URL)`);
  return resolved;
}

/** A sink of rollup partials as remote-write series. */
export function rollupRemoteWriteSink(options: RollupRemoteWriteOptions): SinkSpec {
  return {
    name: options.name,
    async create(ctx) {
      const url = remoteWriteUrl(options.name, options.url, ctx);
      const target = new URL(url);
      const readyUrl = options.readyUrl ?? (target.pathname === '/api/v1/write' ? `${target.origin}/-/ready` : undefined);
      const sink: ExternalSink<TimeSeries[]> = {
        name: options.name,
        async write(rows, signal) {
          const series = mergeTimeSeries(rows);
          if (series.length > 0) await sendWriteRequest(url, series, signal);
        },
        classify: classifyRemoteWriteError,
        health: readyUrl === undefined ? undefined : readyProbe(readyUrl),
        rowBytes: (row) => row.reduce((n, ts) => n + seriesBytes(ts), 0),
        close: async () => {},
      };
      return sink;
    },
  };
}
