// Jaeger's query API under /jaeger/api (Tempo owns /api/traces/<id>; Jaeger UI's base path and Grafana's Jaeger
// datasource URL both take a path): services, operations, trace search and by id, dependencies. Answers and errors
// in Jaeger's envelope { data, total, limit, offset, errors }.
import { parseGoDuration } from '../duration.ts';
import type { SearchSpec } from '../peers.ts';
import type { Query, SpanCondition } from '../traceql/ast.ts';
import { formatTraceQL } from '../traceql/index.ts';
import { jaegerTrace } from '../jaeger/format.ts';
import { BadParameter, errorReply, intParameter, json, partialHeaders, timeParameter, traceIdParameter, type Reply, type Route, type RouteContext, type RouteRequest } from './route.ts';
import { SEARCH_LIMITS } from './tempo.ts';

const BASE = '/jaeger/api';

/** Jaeger's envelope; peer failures go to `errors` beside the data. */
export function envelope(data: unknown, failures: string[] = [], total = Array.isArray(data) ? data.length : 0): Reply {
  const errors = failures.length === 0 ? null : failures.map((msg) => ({ code: 503, msg }));
  return json({ data, total, limit: 0, offset: 0, errors }, 200, partialHeaders(failures));
}

/** Jaeger's `tags`: a JSON object of strings ({"http.status_code":"500"}), or repeated `tag=key:value`. */
export function jaegerTags(query: URLSearchParams): [string, string][] {
  const pairs: [string, string][] = [];
  const raw = query.get('tags');
  if (raw !== null && raw !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new BadParameter('tags', 'expected a JSON object of tag values, e.g. {"http.status_code":"500"}');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadParameter('tags', 'expected a JSON object');
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== 'string') throw new BadParameter('tags', `the value of ${JSON.stringify(k)} must be a string`);
      pairs.push([k, v]);
    }
  }
  for (const tag of query.getAll('tag')) {
    const at = tag.indexOf(':');
    if (at <= 0) throw new BadParameter('tag', `expected key:value, got ${JSON.stringify(tag.slice(0, 40))}`);
    pairs.push([tag.slice(0, at), tag.slice(at + 1)]);
  }
  return pairs;
}

/** The search spec of a Jaeger /api/traces request: service, operation and tags on one span; start / end in µs. */
export function jaegerSearchSpec(query: URLSearchParams): SearchSpec {
  const service = query.get('service');
  if (!service) throw new BadParameter('service', 'a service is required');
  const conditions: SpanCondition[] = [];
  const eq = (field: SpanCondition & { type: 'compare' } extends { field: infer F } ? F : never, value: string): SpanCondition => ({ type: 'compare', field, op: '=', value: { type: 'string', value } });
  conditions.push(eq({ kind: 'attribute', scope: 'resource', key: 'service.name' }, service));
  const operation = query.get('operation');
  if (operation) conditions.push(eq({ kind: 'intrinsic', name: 'name' }, operation));
  for (const [k, v] of jaegerTags(query)) conditions.push(eq({ kind: 'attribute', scope: 'unscoped', key: k }, v));
  const traceDuration = { kind: 'intrinsic', name: 'traceDuration' } as const;
  const minDuration = query.get('minDuration');
  const maxDuration = query.get('maxDuration');
  if (minDuration) conditions.push({ type: 'compare', field: traceDuration, op: '>=', value: { type: 'duration', nanos: parseGoDuration(minDuration, 'minDuration') } });
  if (maxDuration) conditions.push({ type: 'compare', field: traceDuration, op: '<=', value: { type: 'duration', nanos: parseGoDuration(maxDuration, 'maxDuration') } });
  const condition = conditions.reduce((a, b) => ({ type: 'and', left: a, right: b }));
  const q: Query = { type: 'spanset', condition };
  const start = timeParameter(query, 'start', 1000n);
  const end = timeParameter(query, 'end', 1000n);
  if (start !== undefined && end !== undefined && end < start) throw new BadParameter('end', 'end is before start');
  return {
    traceql: formatTraceQL(q),
    limit: intParameter(query, 'limit', SEARCH_LIMITS.defaultLimit, SEARCH_LIMITS.maxLimit),
    ...(start !== undefined ? { startNanos: start.toString() } : {}),
    ...(end !== undefined ? { endNanos: (end + 999n).toString() } : {}),
  };
}

async function dependencies(req: RouteRequest, ctx: RouteContext): Promise<Reply> {
  const endTs = timeParameter(req.query, 'endTs', 1_000_000n) ?? BigInt(Date.now()) * 1_000_000n;
  const raw = req.query.get('lookback');
  let lookback = 3_600_000n * 1_000_000n;
  if (raw !== null && raw !== '') {
    if (!/^\d{1,15}$/.test(raw)) throw new BadParameter('lookback', 'expected milliseconds as a non-negative integer');
    lookback = BigInt(raw) * 1_000_000n;
  }
  const start = endTs > lookback ? endTs - lookback : 0n;
  const { value, failures } = await ctx.fanOut.dependencies(req.caller, start.toString(), endTs.toString());
  return envelope(value.map((e) => ({ parent: e.parent, child: e.child, callCount: e.calls })), failures);
}

/** Jaeger's routes. */
export function jaegerRoutes(): Route[] {
  const get = (path: string, handle: (req: RouteRequest, ctx: RouteContext) => Promise<Reply>): Route => ({ method: 'GET', path: `${BASE}${path}`, dialect: 'jaeger', handle });
  return [
    get('/services', async (req, ctx) => {
      const { value, failures } = await ctx.fanOut.services(req.caller);
      return envelope(value, failures);
    }),
    get('/services/:service/operations', async (req, ctx) => {
      const { value, failures } = await ctx.fanOut.operations(req.caller, req.params.service ?? '');
      return envelope([...new Set(value.map((o) => o.name))].sort(), failures);
    }),
    get('/operations', async (req, ctx) => {
      const service = req.query.get('service');
      if (!service) throw new BadParameter('service', 'a service is required');
      const kind = req.query.get('spanKind');
      const { value, failures } = await ctx.fanOut.operations(req.caller, service);
      return envelope(value.filter((o) => !kind || o.kind === kind).map((o) => ({ name: o.name, spanKind: o.kind })), failures);
    }),
    get('/dependencies', dependencies),
    get('/traces', async (req, ctx) => {
      const found = await ctx.fanOut.search(req.caller, jaegerSearchSpec(req.query));
      // Each found trace is read whole (fan-out joins its fragments across replicas).
      const traces = [];
      const failures = [...found.failures];
      for (const { summary: s } of found.value.traces) {
        const t = await ctx.fanOut.trace(req.caller, s.traceId);
        failures.push(...t.failures);
        if (t.value !== undefined) traces.push(jaegerTrace(t.value));
      }
      return envelope(traces, [...new Set(failures)]);
    }),
    get('/traces/:id', async (req, ctx) => {
      const traceId = traceIdParameter(req.params.id);
      const { value, failures } = await ctx.fanOut.trace(req.caller, traceId);
      if (value === undefined) return errorReply('jaeger', failures.length > 0 ? 503 : 404, failures.length > 0 ? `trace not found on the replicas that answered (${failures.join('; ')})` : 'trace not found');
      return envelope([jaegerTrace(value)], failures);
    }),
  ];
}
