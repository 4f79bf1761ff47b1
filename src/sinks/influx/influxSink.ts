// Rollup partials written with the InfluxDB v2 write API (/api/v2/write, line protocol, ms precision): to InfluxDB
// 2.x, or to VictoriaMetrics, which speaks the same API. The lines come from the client library's Point; the request
// is ours, not the library's WriteApi, which batches and retries on its own and would fight the SinkRunner's.
import type { SinkSpec } from '../../runtime/topology.ts';
import type { ExternalSink, SinkFailure } from '../util/index.ts';

export interface InfluxSinkOptions {
  name: string;
  /** Default: the config's influx.url (server influxdb) or victoriaMetrics.url (server victoriametrics). */
  url?: string;
  /** Which configured server the default URL names; VictoriaMetrics speaks the InfluxDB write API too. */
  server: 'influxdb' | 'victoriametrics';
  /** Default: the config's influx.org / influx.bucket / influx.token. */
  org?: string;
  bucket?: string;
  token?: string;
}

/** A write the server answered with a non-2xx status; `answer` is the response body. */
export class InfluxWriteError extends Error {
  readonly status: number;
  readonly answer: string;

  constructor(url: string, status: number, answer: string) {
    super(`influx write to ${url}: ${status} ${answer}`);
    this.name = 'InfluxWriteError';
    this.status = status;
    this.answer = answer;
  }
}

/** Retryable for 5xx, 429 and failures without an answer; permanent for other 4xx (400 bad lines, 413, 422), with the body. */
export function classifyInfluxError(err: unknown): SinkFailure {
  if (err instanceof InfluxWriteError) {
    const answer = `${err.status} ${err.answer}`;
    return err.status === 429 || err.status >= 500 || err.status < 400 ? { kind: 'retryable', answer } : { kind: 'permanent', answer };
  }
  return { kind: 'retryable', answer: err instanceof Error ? err.message : String(err) };
}

/** Sends lines (one per row) in one write request. */
export async function writeLines(url: string, query: { org: string; bucket: string }, token: string, lines: readonly string[], signal?: AbortSignal): Promise<void> {
  const target = `${url.replace(/\/$/, '')}/api/v2/write?${new URLSearchParams({ ...query, precision: 'ms' })}`;
  const res = await fetch(target, {
    method: 'POST',
    body: lines.join('\n'),
    signal,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'User-Agent': 'otlp-streams', ...(token ? { Authorization: `Token ${token}` } : {}) },
  });
  if (!res.ok) throw new InfluxWriteError(target, res.status, (await res.text()).trim());
}

/** A sink of line-protocol rows; health is GET /health (InfluxDB 2.x and VictoriaMetrics both answer it). */
export function influxSink(options: InfluxSinkOptions): SinkSpec {
  return {
    name: options.name,
    async create(ctx) {
      const config = ctx.config.influx;
      const url = ctx.targets[options.name] ?? options.url ?? (options.server === 'victoriametrics' ? ctx.config.victoriaMetrics?.url : config?.url);
      if (!url) throw new Error(`influx sink ${options.name}: no URL (set url, or ${options.server === 'victoriametrics' ? 'VM_URL' : 'INFLUX_URL'})`);
      const query = { org: options.org ?? config?.org ?? 'otlp', bucket: options.bucket ?? config?.bucket ?? 'otlp' };
      const token = options.token ?? config?.token ?? '';
      const healthUrl = `${new URL(url).origin}/health`;
      const sink: ExternalSink<string> = {
        name: options.name,
        async write(rows, signal) {
          const lines = rows.filter((l) => l !== '');
          if (lines.length > 0) await writeLines(url, query, token, lines, signal);
        },
        classify: classifyInfluxError,
        async health(signal) {
          const res = await fetch(healthUrl, { signal });
          if (!res.ok) throw new InfluxWriteError(healthUrl, res.status, (await res.text()).trim());
        },
        rowBytes: (line) => line.length + 1,
        close: async () => {},
      };
      return sink;
    },
  };
}
