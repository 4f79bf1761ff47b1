// What every route shares: the request as handlers see it (transport-free), the reply, and bad parameters.
import type { Caller, FanOut, LocalReplica } from '../peers.ts';
import type { LogPeers } from '../logs/peers.ts';
import type { LogSearch } from '../logs/search.ts';
import type { PipelineHealth } from '../pipeline/health.ts';
import type { SeriesCatalog } from '../prometheus/index.ts';
import type { RollupReader } from '../rollups/reader.ts';

/** A request as a handler sees it. */
export interface RouteRequest {
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  caller: Caller;
  /** The request body (internal API and POST forms), at most the server's body limit. */
  body: Buffer;
}

/** What a handler answers. */
export interface Reply {
  status: number;
  type: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

/** What handlers answer from. */
export interface RouteContext {
  /** This replica and its peers. */
  fanOut: FanOut;
  /** This replica alone (for requests that came from a peer). */
  localOnly: FanOut;
  local: LocalReplica;
  catalog?: SeriesCatalog;
  /** Log search over this replica's store (absent when the service serves no logs). */
  logs?: LogSearch;
  /** The peers log routes ask too (absent for a request a peer forwarded: it is answered locally). */
  logPeers?: LogPeers;
  /** Rollups and the service graph from the PostgreSQL sinks' tables (absent without a PostgreSQL URL). */
  rollups?: RollupReader;
  /** The processes whose metrics the pipeline view shows (absent: none configured). */
  pipeline?: PipelineHealth;
  /** The service's version (build info). */
  version: string;
}

/** The answer shape of errors in a dialect. */
export type Dialect = 'tempo' | 'jaeger' | 'prometheus' | 'plain';

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  dialect: Dialect;
  /** Answered without a tenant (health, metrics, build info). */
  public?: boolean;
  handle(req: RouteRequest, ctx: RouteContext): Promise<Reply>;
}

/** A request parameter the service cannot use: 400 naming it. */
export class BadParameter extends Error {
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    super(`invalid parameter "${parameter}": ${message}`);
    this.parameter = parameter;
  }
}

export function json(value: unknown, status = 200, headers?: Record<string, string>): Reply {
  return { status, type: 'application/json', body: JSON.stringify(value), ...(headers ? { headers } : {}) };
}

export function text(body: string, status = 200): Reply {
  return { status, type: 'text/plain; charset=utf-8', body };
}

/** A dialect's error reply. */
export function errorReply(dialect: Dialect, status: number, message: string): Reply {
  switch (dialect) {
    case 'jaeger':
      return json({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: status, msg: message }] }, status);
    case 'prometheus':
      return json({ status: 'error', errorType: status === 400 ? 'bad_data' : status === 401 || status === 403 ? 'unauthorized' : 'internal', error: message }, status);
    default:
      return text(message, status);
  }
}

/** Peer failures as a response header (every dialect; bodies say it their own way too). */
export function partialHeaders(failures: string[]): Record<string, string> | undefined {
  return failures.length === 0 ? undefined : { 'x-otlp-streams-partial': failures.join('; ').replace(/[\r\n]/g, ' ').slice(0, 2000) };
}

/** A trace id parameter: 1–32 hex digits, left-padded to 32 lowercase. */
export function traceIdParameter(value: string | undefined, parameter = 'traceID'): string {
  if (value === undefined || !/^[0-9a-fA-F]{1,32}$/.test(value)) throw new BadParameter(parameter, 'expected a trace id of 1 to 32 hex digits');
  return value.toLowerCase().padStart(32, '0');
}

/** An optional positive integer parameter, at most `max`. */
export function intParameter(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) throw new BadParameter(name, `expected a positive integer, got ${JSON.stringify(raw.slice(0, 40))}`);
  return Math.min(n, max);
}

/** An optional non-negative integer parameter in `unit` (as a bigint of ns). */
export function timeParameter(query: URLSearchParams, name: string, nanosPerUnit: bigint): bigint | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d{1,19}$/.test(raw)) throw new BadParameter(name, `expected a non-negative integer timestamp, got ${JSON.stringify(raw.slice(0, 40))}`);
  return BigInt(raw) * nanosPerUnit;
}
