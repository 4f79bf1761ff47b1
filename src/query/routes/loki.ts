// Loki's HTTP API over the log store, for the LogQL subset of src/query/logql (docs/logs.md, Loki): query_range,
// query, labels and label values, in Loki's response shapes, so a Grafana Loki data source can point at us. Rows come
// from the segments in the range, narrowed by the index where the query allows (an exact service_name or level
// matcher); every row is checked against the whole query again by the LogQL evaluator.
import { SEVERITY_LEVELS, type LogRow } from '../../logs/model.ts';
import type { LogQLQuery, LogQuery } from '../logql/ast.ts';
import { instantQuery, labels, labelValues, queryRange, type ScanRequest } from '../logql/endpoints.ts';
import { formatSampleValue, type LokiMatrix, type LokiStreams, type LokiVector } from '../logql/evaluate.ts';
import type { LokiLabelsResponse, LokiQueryResponse } from '../logql/format.ts';
import { streamKey } from '../logql/labels.ts';
import { parseInstantQueryParams, parseQueryRangeParams } from '../logql/params.ts';
import { LogQLError } from '../logql/parse.ts';
import { askPeers } from '../logs/peers.ts';
import type { Plan } from '../logs/plan.ts';
import type { LogSearch } from '../logs/search.ts';
import { BadParameter, json, partialHeaders, type Reply, type Route, type RouteContext, type RouteRequest } from './route.ts';

const MS = 1_000_000n;

/** What the index can narrow a LogQL query to: its exact service_name and level matchers. */
export function lokiPlan(query: LogQuery | undefined): Plan {
  const items: Plan[] = [];
  for (const m of query?.matchers ?? []) {
    if (m.op !== '=') continue;
    if (m.name === 'service_name') items.push({ op: 'terms', field: 'resource.service.name', terms: { kind: 'exact', values: [m.value] } });
    if (m.name === 'level') {
      const level = SEVERITY_LEVELS.find((l) => l.name === m.value);
      const values = level === undefined ? (m.value === 'unknown' ? ['0'] : []) : Array.from({ length: level.max - level.min + 1 }, (_, i) => String(level.min + i));
      items.push({ op: 'terms', field: 'severity', terms: { kind: 'exact', values } });
    }
  }
  return items.length === 0 ? { op: 'all' } : { op: 'and', items };
}

function rowSource(logs: LogSearch, tenant: string) {
  return function* rows(scan: ScanRequest): Generator<LogRow> {
    // ns → ms, widened to whole ms: the evaluator checks the exact bounds.
    const startMs = Number(scan.start / MS);
    const endMs = Number((scan.end + MS - 1n) / MS);
    for (const part of logs.scan(lokiPlan(scan.query), { tenant, startMs, endMs })) {
      if ('truncated' in part) return;
      for (const ordinal of part.ordinals) yield part.rows[ordinal];
    }
  };
}

function searchOf(ctx: RouteContext): LogSearch {
  if (ctx.logs === undefined) throw new BadParameter('path', 'this query service serves no logs (started without a logs topic)');
  return ctx.logs;
}

/** How a metric query's values from several replicas combine (each stream lives in one partition, so one replica). */
function mergeRule(q: LogQLQuery): 'add' | 'max' | 'min' {
  if (q.kind === 'range') return 'add';
  if (q.kind === 'vector') {
    const inner = q.inner.kind === 'range' ? 'add' : mergeRule(q.inner);
    if ((q.op === 'sum' && inner === 'add') || (q.op === 'count' && q.inner.kind === 'range')) return 'add';
    if ((q.op === 'max' && (q.inner.kind === 'range' || inner === 'max')) || (q.op === 'min' && (q.inner.kind === 'range' || inner === 'min'))) return q.op;
  }
  throw new BadParameter('query', 'this aggregation cannot be combined across replicas (use sum, count, min or max directly over a range function); ask one replica that serves every partition');
}

const combine = (rule: 'add' | 'max' | 'min', a: string, b: string) => {
  const x = Number(a);
  const y = Number(b);
  return formatSampleValue(rule === 'add' ? x + y : rule === 'max' ? Math.max(x, y) : Math.min(x, y));
};

/** The local answer and the peers' merged: streams by stream (the limit newest or oldest overall), series by labels. */
function mergeQuery(local: LokiQueryResponse, peers: LokiQueryResponse[], q: LogQLQuery, limit: number, backward: boolean): LokiQueryResponse {
  if (peers.length === 0) return local;
  const data = local.data;
  if (data.resultType === 'streams') {
    const entries: Array<{ key: string; stream: Record<string, string>; value: [string, string] }> = [];
    for (const r of [local, ...peers]) for (const s of r.data.result as LokiStreams) for (const v of s.values) entries.push({ key: streamKey(s.stream), stream: s.stream, value: v });
    entries.sort((a, b) => {
      const d = BigInt(a.value[0]) - BigInt(b.value[0]);
      return (d < 0n ? -1 : d > 0n ? 1 : 0) * (backward ? -1 : 1);
    });
    const streams = new Map<string, { stream: Record<string, string>; values: [string, string][] }>();
    for (const e of entries.slice(0, limit)) {
      let s = streams.get(e.key);
      if (s === undefined) streams.set(e.key, (s = { stream: e.stream, values: [] }));
      s.values.push(e.value);
    }
    return { ...local, data: { ...data, result: [...streams.values()].sort((a, b) => (streamKey(a.stream) < streamKey(b.stream) ? -1 : 1)) } };
  }
  const rule = mergeRule(q);
  if (data.resultType === 'matrix') {
    const series = new Map<string, { metric: Record<string, string>; values: Map<number, string> }>();
    for (const r of [local, ...peers]) {
      for (const s of r.data.result as LokiMatrix) {
        const key = streamKey(s.metric);
        let known = series.get(key);
        if (known === undefined) series.set(key, (known = { metric: s.metric, values: new Map() }));
        for (const [t, v] of s.values) known.values.set(t, known.values.has(t) ? combine(rule, known.values.get(t)!, v) : v);
      }
    }
    const result: LokiMatrix = [...series.values()].map((s) => ({ metric: s.metric, values: [...s.values].sort((a, b) => a[0] - b[0]) }));
    return { ...local, data: { ...data, result: result.sort((a, b) => (streamKey(a.metric) < streamKey(b.metric) ? -1 : 1)) } };
  }
  const samples = new Map<string, { metric: Record<string, string>; value: [number, string] }>();
  for (const r of [local, ...peers]) {
    for (const s of r.data.result as LokiVector) {
      const key = streamKey(s.metric);
      const known = samples.get(key);
      samples.set(key, known === undefined ? { metric: s.metric, value: s.value } : { metric: s.metric, value: [s.value[0], combine(rule, known.value[1], s.value[1])] });
    }
  }
  return { ...local, data: { ...data, result: [...samples.values()].sort((a, b) => (streamKey(a.metric) < streamKey(b.metric) ? -1 : 1)) } };
}

async function answer(run: () => Promise<Reply>): Promise<Reply> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof LogQLError) throw new BadParameter('query', err.message);
    throw err;
  }
}

async function queryWithPeers(req: RouteRequest, ctx: RouteContext, path: string, instant: boolean): Promise<Reply> {
  const nowMs = Date.now();
  const opts = { nowMs, clock: () => performance.now() };
  const rows = rowSource(searchOf(ctx), req.caller.tenant);
  const local = instant ? await instantQuery(req.query, rows, opts) : await queryRange(req.query, rows, opts);
  if (ctx.logPeers === undefined) return json(local);
  const p = instant ? { ...parseInstantQueryParams(req.query, nowMs), limit: 0, direction: 'backward' } : parseQueryRangeParams(req.query, nowMs);
  // Every replica evaluates at the same times: `now` made explicit.
  const q = new URLSearchParams(req.query);
  if (instant && !q.get('time')) q.set('time', `${nowMs}000000`);
  if (!instant && !q.get('end')) q.set('end', `${nowMs}000000`);
  const { answers, failures } = await askPeers<LokiQueryResponse>(ctx.logPeers, req.caller, path, q);
  return json(mergeQuery(local, answers.map((a) => a.value), p.query, p.limit, p.direction === 'backward'), 200, partialHeaders(failures));
}

async function labelsWithPeers(req: RouteRequest, ctx: RouteContext, path: string, local: LokiLabelsResponse): Promise<Reply> {
  const { answers, failures } = await askPeers<LokiLabelsResponse>(ctx.logPeers, req.caller, path, req.query);
  const values = new Set([...local.data, ...answers.flatMap((a) => a.value.data)]);
  return json({ ...local, data: [...values].sort() }, 200, partialHeaders(failures));
}

export function lokiRoutes(): Route[] {
  const route = (path: string, run: (req: RouteRequest, ctx: RouteContext) => Promise<Reply>): Route[] =>
    (['GET', 'POST'] as const).map((method) => ({ method, path, dialect: 'plain' as const, handle: (req, ctx) => answer(() => run(req, ctx)) }));
  const opts = () => ({ nowMs: Date.now(), clock: () => performance.now() });
  return [
    ...route('/loki/api/v1/query_range', (req, ctx) => queryWithPeers(req, ctx, '/loki/api/v1/query_range', false)),
    ...route('/loki/api/v1/query', (req, ctx) => queryWithPeers(req, ctx, '/loki/api/v1/query', true)),
    ...route('/loki/api/v1/labels', async (req, ctx) => labelsWithPeers(req, ctx, '/loki/api/v1/labels', await labels(req.query, rowSource(searchOf(ctx), req.caller.tenant), opts()))),
    ...route('/loki/api/v1/label/:name/values', async (req, ctx) =>
      labelsWithPeers(req, ctx, `/loki/api/v1/label/${encodeURIComponent(req.params.name ?? '')}/values`, await labelValues(req.params.name ?? '', req.query, rowSource(searchOf(ctx), req.caller.tenant), opts())),
    ),
  ];
}
