// Replicas and fan-out. A replica answers from the partitions it materialized; with --peers, a query is answered
// by this replica and by each peer (over the peers' internal API, which never fans out again), and the answers are
// merged: a trace's spans joined (deduplicated by span id), searches merged newest first and cut to the limit, tag
// names / values / services / operations unioned, dependencies summed. A peer that fails does not fail the query:
// the answer carries the failure (`failures`), which each dialect reports in its own way (docs/query.md).
//
// The internal API: POST /internal/v1/<operation> with a JSON body, the client's Authorization and X-Scope-OrgID
// (the peer resolves the tenant itself, with the same tenancy settings) and FORWARDED_HEADER.
import type { ServiceEdge, TraceSummary } from '../operators/traces/model.ts';
import { decodeTraces, encodeTraces, type Span } from '../otlp/index.ts';
import { storedSummary, summaryOf, type StoredSummary } from './store.ts';
import { tempoSearchTrace, type TempoSpanSet } from './tempo/format.ts';
import { candidates, matchTrace, parseTraceQL, type SpanSet } from './traceql/index.ts';
import { dedupeSpans, newestFirst, type Operation, type SearchStats, type TraceQueries } from './traces.ts';

/** Header marking a request from a peer: answered locally, never forwarded again. */
export const FORWARDED_HEADER = 'x-otlp-streams-forwarded';

/** Who asks: the tenant, and the headers that prove it (forwarded to peers as they came). */
export interface Caller {
  tenant: string;
  forward: Record<string, string>;
}

/** A search as replicas exchange it: a TraceQL query (tags searches are translated to one) and bounds. */
export interface SearchSpec {
  traceql: string;
  /** Inclusive bounds on the trace start, ns since the epoch (decimal strings: JSON has no 64-bit integers). */
  startNanos?: string;
  endNanos?: string;
  limit: number;
  /** Return each match's spansets (Tempo's TraceQL answers), at most this many spans each (`matched` counts all). */
  spansPerSpanSet?: number;
}

/** A trace a search found, with the spansets the query matched in it when the spec asked for them. */
export interface SearchHit {
  summary: TraceSummary;
  spanSets?: TempoSpanSet[];
}

/** A search's answer: hits newest first, what was read, and how many replicas answered of how many asked. */
export interface SearchResult {
  traces: SearchHit[];
  stats: SearchStats;
  replicas: { answered: number; asked: number };
}

/** An answer and the peers that could not give their part. */
export interface Answer<T> {
  value: T;
  failures: string[];
}

/** What one replica answers. */
export interface Replica {
  readonly name: string;
  trace(caller: Caller, traceId: string): Promise<Span[] | undefined>;
  search(caller: Caller, spec: SearchSpec): Promise<SearchResult>;
  tagFields(caller: Caller): Promise<string[]>;
  tagValues(caller: Caller, fields: string[], limit: number): Promise<string[]>;
  services(caller: Caller): Promise<string[]>;
  operations(caller: Caller, service: string): Promise<Operation[]>;
  dependencies(caller: Caller, startNanos: string, endNanos: string): Promise<ServiceEdge[]>;
}

/** Runs a search spec on the local store: TraceQL's candidates prune by postings and duration, matchTrace decides. */
export function searchLocally(queries: TraceQueries, tenant: string, spec: SearchSpec): SearchResult {
  const query = parseTraceQL(spec.traceql);
  const { formula, duration } = candidates(query);
  const sets = new Map<string, SpanSet[]>();
  const { traces, stats } = queries.search(tenant, {
    formula,
    minDurationNanos: duration.minNanos,
    maxDurationNanos: duration.maxNanos,
    startNanos: spec.startNanos === undefined ? undefined : BigInt(spec.startNanos),
    endNanos: spec.endNanos === undefined ? undefined : BigInt(spec.endNanos),
    limit: spec.limit,
    matches: (spans, summary) => {
      const matched = matchTrace(query, spans);
      if (matched.length > 0 && spec.spansPerSpanSet !== undefined) sets.set(summary.traceId, matched);
      return matched.length > 0;
    },
  });
  const hits = traces.map((summary): SearchHit => {
    const matched = sets.get(summary.traceId);
    if (matched === undefined) return { summary };
    return { summary, spanSets: tempoSearchTrace(summary, { spanSets: matched, query, spansPerSpanSet: spec.spansPerSpanSet }).spanSets };
  });
  return { traces: hits, stats, replicas: { answered: 1, asked: 1 } };
}

/** This replica's store. */
export class LocalReplica implements Replica {
  readonly name = 'local';
  private readonly queries: TraceQueries;

  constructor(queries: TraceQueries) {
    this.queries = queries;
  }

  async trace(caller: Caller, traceId: string): Promise<Span[] | undefined> {
    return this.queries.traceById(caller.tenant, traceId);
  }
  async search(caller: Caller, spec: SearchSpec): Promise<SearchResult> {
    return searchLocally(this.queries, caller.tenant, spec);
  }
  async tagFields(caller: Caller): Promise<string[]> {
    return this.queries.tagFields(caller.tenant);
  }
  async tagValues(caller: Caller, fields: string[], limit: number): Promise<string[]> {
    return this.queries.tagValues(caller.tenant, fields, limit);
  }
  async services(caller: Caller): Promise<string[]> {
    return this.queries.services(caller.tenant);
  }
  async operations(caller: Caller, service: string): Promise<Operation[]> {
    return this.queries.operations(caller.tenant, service);
  }
  async dependencies(caller: Caller, startNanos: string, endNanos: string): Promise<ServiceEdge[]> {
    return this.queries.dependencies(caller.tenant, BigInt(startNanos), BigInt(endNanos));
  }
}

/** A peer replica, over its internal API. */
export class RemoteReplica implements Replica {
  readonly name: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, timeoutMs = 10_000) {
    this.name = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
  }

  private async call(caller: Caller, operation: string, body: unknown): Promise<Response> {
    const res = await fetch(`${this.name}/internal/v1/${operation}`, {
      method: 'POST',
      headers: { ...caller.forward, 'content-type': 'application/json', [FORWARDED_HEADER]: '1' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status !== 200 && !(operation === 'trace' && res.status === 404)) throw new Error(`${res.status} ${(await res.text()).slice(0, 200)}`);
    return res;
  }

  private async json<T>(caller: Caller, operation: string, body: unknown): Promise<T> {
    return (await (await this.call(caller, operation, body)).json()) as T;
  }

  async trace(caller: Caller, traceId: string): Promise<Span[] | undefined> {
    const res = await this.call(caller, 'trace', { traceId });
    if (res.status === 404) return undefined;
    return decodeTraces(new Uint8Array(await res.arrayBuffer()));
  }
  async search(caller: Caller, spec: SearchSpec): Promise<SearchResult> {
    const answer = await this.json<{ traces: { summary: StoredSummary; spanSets?: TempoSpanSet[] }[]; stats: SearchStats }>(caller, 'search', spec);
    return {
      traces: answer.traces.map((h) => ({ summary: summaryOf(h.summary), ...(h.spanSets !== undefined ? { spanSets: h.spanSets } : {}) })),
      stats: answer.stats,
      replicas: { answered: 1, asked: 1 },
    };
  }
  async tagFields(caller: Caller): Promise<string[]> {
    return (await this.json<{ fields: string[] }>(caller, 'tagFields', {})).fields;
  }
  async tagValues(caller: Caller, fields: string[], limit: number): Promise<string[]> {
    return (await this.json<{ values: string[] }>(caller, 'tagValues', { fields, limit })).values;
  }
  async services(caller: Caller): Promise<string[]> {
    return (await this.json<{ services: string[] }>(caller, 'services', {})).services;
  }
  async operations(caller: Caller, service: string): Promise<Operation[]> {
    return (await this.json<{ operations: Operation[] }>(caller, 'operations', { service })).operations;
  }
  async dependencies(caller: Caller, startNanos: string, endNanos: string): Promise<ServiceEdge[]> {
    return (await this.json<{ edges: ServiceEdge[] }>(caller, 'dependencies', { startNanos, endNanos })).edges;
  }
}

/** The internal API's answer to one operation, from the local replica: status, content type and body. */
export async function internalAnswer(local: LocalReplica, caller: Caller, operation: string, body: Record<string, unknown>): Promise<{ status: number; type: string; body: string | Uint8Array }> {
  const json = (value: unknown) => ({ status: 200, type: 'application/json', body: JSON.stringify(value) });
  const text = (key: string): string => {
    const v = body[key];
    if (typeof v !== 'string') throw new InternalRequestError(`${key} must be a string`);
    return v;
  };
  switch (operation) {
    case 'trace': {
      const spans = await local.trace(caller, text('traceId'));
      return spans === undefined ? { status: 404, type: 'text/plain', body: 'trace not found' } : { status: 200, type: 'application/x-protobuf', body: encodeTraces(spans) };
    }
    case 'search': {
      const limit = body.limit;
      if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) throw new InternalRequestError('limit must be a positive integer');
      const spec: SearchSpec = { traceql: text('traceql'), limit };
      if (body.startNanos !== undefined) spec.startNanos = text('startNanos');
      if (body.endNanos !== undefined) spec.endNanos = text('endNanos');
      const spss = body.spansPerSpanSet;
      if (spss !== undefined) {
        if (typeof spss !== 'number' || !Number.isSafeInteger(spss) || spss < 0) throw new InternalRequestError('spansPerSpanSet must be a non-negative integer');
        spec.spansPerSpanSet = spss;
      }
      const found = await local.search(caller, spec);
      return json({ traces: found.traces.map((h) => ({ summary: storedSummary(h.summary), ...(h.spanSets !== undefined ? { spanSets: h.spanSets } : {}) })), stats: found.stats });
    }
    case 'tagFields':
      return json({ fields: await local.tagFields(caller) });
    case 'tagValues': {
      const { fields, limit } = body;
      if (!Array.isArray(fields) || !fields.every((f) => typeof f === 'string')) throw new InternalRequestError('fields must be a list of strings');
      if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) throw new InternalRequestError('limit must be a positive integer');
      return json({ values: await local.tagValues(caller, fields as string[], limit) });
    }
    case 'services':
      return json({ services: await local.services(caller) });
    case 'operations':
      return json({ operations: await local.operations(caller, text('service')) });
    case 'dependencies':
      return json({ edges: await local.dependencies(caller, text('startNanos'), text('endNanos')) });
    default:
      return { status: 404, type: 'text/plain', body: `no internal operation ${operation}` };
  }
}

/** A malformed internal request (400). */
export class InternalRequestError extends Error {}

/** The local replica and the peers, merged. Without peers, the local answers as they are. */
export class FanOut {
  private readonly replicas: Replica[];
  private readonly onPeerFailure: (peer: string, err: Error) => void;

  constructor(local: Replica, peers: Replica[], onPeerFailure: (peer: string, err: Error) => void = () => {}) {
    this.replicas = [local, ...peers];
    this.onPeerFailure = onPeerFailure;
  }

  // Every replica's answer; the local one's failure fails the query, a peer's is reported.
  private async all<T>(ask: (r: Replica) => Promise<T>): Promise<{ values: T[]; failures: string[] }> {
    const settled = await Promise.allSettled(this.replicas.map(ask));
    const values: T[] = [];
    const failures: string[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') values.push(s.value);
      else if (i === 0) throw s.reason;
      else {
        const peer = this.replicas[i].name;
        const err = s.reason as Error;
        this.onPeerFailure(peer, err);
        failures.push(`peer ${peer}: ${err.message}`);
      }
    });
    return { values, failures };
  }

  async trace(caller: Caller, traceId: string): Promise<Answer<Span[] | undefined>> {
    const { values, failures } = await this.all((r) => r.trace(caller, traceId));
    const parts = values.filter((v) => v !== undefined);
    return { value: parts.length === 0 ? undefined : dedupeSpans(parts.flat()), failures };
  }

  async search(caller: Caller, spec: SearchSpec): Promise<Answer<SearchResult>> {
    const { values, failures } = await this.all((r) => r.search(caller, spec));
    const byId = new Map<string, SearchHit>();
    const stats: SearchStats = { inspectedTraces: 0, inspectedSpans: 0, inspectedBytes: 0, blocks: 0, prunedCandidates: 0 };
    for (const v of values) {
      for (const k of Object.keys(stats) as (keyof SearchStats)[]) stats[k] += v.stats[k];
      for (const hit of v.traces) {
        const known = byId.get(hit.summary.traceId);
        if (known === undefined || hit.summary.spans > known.summary.spans) byId.set(hit.summary.traceId, hit);
      }
    }
    const traces = [...byId.values()].sort((a, b) => newestFirst(a.summary, b.summary)).slice(0, spec.limit);
    return { value: { traces, stats, replicas: { answered: values.length, asked: this.replicas.length } }, failures };
  }

  async tagFields(caller: Caller): Promise<Answer<string[]>> {
    const { values, failures } = await this.all((r) => r.tagFields(caller));
    return { value: union(values), failures };
  }

  async tagValues(caller: Caller, fields: string[], limit: number): Promise<Answer<string[]>> {
    const { values, failures } = await this.all((r) => r.tagValues(caller, fields, limit));
    return { value: union(values).slice(0, limit), failures };
  }

  async services(caller: Caller): Promise<Answer<string[]>> {
    const { values, failures } = await this.all((r) => r.services(caller));
    return { value: union(values), failures };
  }

  async operations(caller: Caller, service: string): Promise<Answer<Operation[]>> {
    const { values, failures } = await this.all((r) => r.operations(caller, service));
    const byId = new Map(values.flat().map((o) => [`${o.name}\0${o.kind}`, o]));
    return { value: [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o), failures };
  }

  async dependencies(caller: Caller, startNanos: string, endNanos: string): Promise<Answer<ServiceEdge[]>> {
    const { values, failures } = await this.all((r) => r.dependencies(caller, startNanos, endNanos));
    const calls = new Map<string, ServiceEdge>();
    for (const e of values.flat()) {
      const id = `${e.parent}\0${e.child}`;
      const known = calls.get(id);
      if (known) known.calls += e.calls;
      else calls.set(id, { ...e });
    }
    return { value: [...calls.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e), failures };
  }
}

function union(lists: string[][]): string[] {
  return [...new Set(lists.flat())].sort();
}
