// The native log API (docs/logs.md): search with the query language of src/logs/search (newest first, paged),
// counts over time by severity and service, the logs of a trace, and the templates mined per service with rate jumps.
// Answers come from this replica's store; errors are plain text, 400 naming the parameter.
import type { LogRow } from '../../logs/model.ts';
import { severityLevel, unixNanoText } from '../../logs/model.ts';
import { detectJump, mergePatterns } from '../../logs/patterns/index.ts';
import { parseSearch, SearchSyntaxError } from '../../logs/search/parse.ts';
import { parseLokiDuration, parseLokiTime } from '../logql/params.ts';
import { askPeers } from '../logs/peers.ts';
import { planOf, type Plan } from '../logs/plan.ts';
import type { LogSearch, SearchCursor } from '../logs/search.ts';
import { FORWARDED_HEADER } from '../peers.ts';
import { BadParameter, intParameter, json, partialHeaders, traceIdParameter, type Reply, type Route, type RouteContext, type RouteRequest } from './route.ts';

/** Default and largest number of hits a search returns. */
export const LOG_SEARCH_LIMITS = { defaultLimit: 100, maxLimit: 5000 } as const;
/** Largest number of logs of one trace returned. */
export const TRACE_LOGS_LIMIT = 10_000;
/** Segments a histogram with a query reads at most (the answer says when it stopped early). */
export const HISTOGRAM_MAX_SEGMENTS = 5000;
/** Most buckets a histogram or pattern answer has. */
export const MAX_BUCKETS = 1000;

const MS = 1_000_000n;

/** A hit as the API answers it. */
export function logEntry(row: LogRow): Record<string, unknown> {
  return {
    time: unixNanoText(row),
    timestamp: new Date(row.timeMs).toISOString(),
    severity: row.severityText,
    severityNumber: row.severityNumber,
    level: severityLevel(row.severityNumber),
    service: row.service,
    body: row.body,
    ...(row.traceId ? { traceId: row.traceId } : {}),
    ...(row.spanId ? { spanId: row.spanId } : {}),
    attributes: Object.fromEntries(row.attributes),
    resource: Object.fromEntries(row.resource),
  };
}

function searchOf(ctx: RouteContext): LogSearch {
  if (ctx.logs === undefined) throw new BadParameter('path', 'this query service serves no logs (started without a logs topic)');
  return ctx.logs;
}

/** `q` as a plan: empty or absent = everything. */
export function planParameter(query: URLSearchParams): Plan {
  const q = query.get('q') ?? '';
  try {
    return planOf(parseSearch(q));
  } catch (err) {
    if (err instanceof SearchSyntaxError) throw new BadParameter('q', err.message.replace(/^q: /, ''));
    throw err;
  }
}

/** `start` / `end` in ms (ns, float seconds or RFC 3339 as Loki takes them); defaults: all time. */
export function rangeParameters(query: URLSearchParams): { startMs: number; endMs: number } {
  const at = (name: string, fallback: number) => {
    const raw = query.get(name);
    if (raw === null || raw === '') return fallback;
    return Number(parseLokiTime(raw, name) / MS);
  };
  const startMs = at('start', 0);
  const endMs = at('end', Number.MAX_SAFE_INTEGER);
  if (endMs < startMs) throw new BadParameter('end', 'the end is before the start');
  return { startMs, endMs };
}

/** This replica's cursor: the JSON array a page's `next` (or a hit's `cursor`) encodes. */
function parseCursor(raw: string): SearchCursor {
  try {
    const [timeMs, timeNanos, segment, ordinal] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown[];
    if (typeof timeMs === 'number' && typeof timeNanos === 'number' && typeof segment === 'string' && typeof ordinal === 'number') return { timeMs, timeNanos, segment, ordinal };
  } catch {
    // below
  }
  throw new BadParameter('cursor', 'not a cursor this service gave (pass the "next" of the previous page as it is)');
}

const cursorText = (c: SearchCursor) => Buffer.from(JSON.stringify([c.timeMs, c.timeNanos, c.segment, c.ordinal])).toString('base64url');

/** With peers, a page's cursor holds each replica's own: its cursor text, null once it has no more, absent before its first hit. */
function replicaCursors(query: URLSearchParams): Record<string, string | null> {
  const raw = query.get('cursor');
  if (raw === null || raw === '') return {};
  try {
    const parts = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (parts !== null && typeof parts === 'object' && !Array.isArray(parts) && Object.values(parts).every((v) => v === null || typeof v === 'string')) return parts as Record<string, string | null>;
  } catch {
    // below
  }
  throw new BadParameter('cursor', 'not a cursor this service gave (pass the "next" of the previous page as it is)');
}

/** A bucket width: `step` (a duration or seconds), else about 60 buckets over the range. */
function stepParameter(query: URLSearchParams, startMs: number, endMs: number): number {
  const raw = query.get('step');
  let step: number;
  if (raw !== null && raw !== '') step = Number(parseLokiDuration(raw, 'step') / MS);
  else step = niceStep((endMs - startMs) / 60);
  if (!(step >= 1)) throw new BadParameter('step', 'must be at least 1ms');
  if ((endMs - startMs) / step > MAX_BUCKETS) throw new BadParameter('step', `gives more than ${MAX_BUCKETS} buckets over the range; make it larger`);
  return step;
}

const STEPS = [1000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000];
function niceStep(ms: number): number {
  return STEPS.find((s) => s >= ms) ?? Math.ceil(ms / 86_400_000) * 86_400_000;
}

/** The range for histograms and patterns: explicit, or the last hour of data before `end`. */
function boundedRange(query: URLSearchParams): { startMs: number; endMs: number } {
  const r = rangeParameters(query);
  const endMs = r.endMs === Number.MAX_SAFE_INTEGER ? Date.now() : r.endMs;
  const startMs = query.get('start') ? r.startMs : endMs - 3_600_000;
  return { startMs, endMs };
}

async function searchRoute(req: RouteRequest, ctx: RouteContext): Promise<Reply> {
  const logs = searchOf(ctx);
  const plan = planParameter(req.query);
  const { startMs, endMs } = rangeParameters(req.query);
  const limit = intParameter(req.query, 'limit', LOG_SEARCH_LIMITS.defaultLimit, LOG_SEARCH_LIMITS.maxLimit);
  const started = performance.now();
  const tenant = req.caller.tenant;
  if (ctx.logPeers === undefined) {
    const raw = req.query.get('cursor');
    const result = logs.search(plan, { tenant, startMs, endMs, limit, after: raw ? parseCursor(raw) : undefined });
    // A peer that asked gets each hit's cursor, to resume its part of a merged page.
    const forwarded = req.headers[FORWARDED_HEADER] !== undefined;
    return json({
      logs: result.hits.map((h) => ({ ...logEntry(h.row), ...(forwarded ? { cursor: cursorText(h.cursor) } : {}) })),
      next: result.next === undefined ? null : cursorText(result.next),
      stats: { segmentsScanned: result.segmentsScanned, elapsedMs: Math.round((performance.now() - started) * 100) / 100 },
    });
  }
  // Every replica's next hits after its own cursor, merged newest first; the page's cursor holds where each stopped.
  const parts = replicaCursors(req.query);
  type Hit = { replica: string; entry: Record<string, unknown>; cursor: string; time: bigint };
  const hits: Hit[] = [];
  const more = new Map<string, boolean>();
  let segmentsScanned = 0;
  if (parts.local !== null) {
    const result = logs.search(plan, { tenant, startMs, endMs, limit, after: parts.local === undefined ? undefined : parseCursor(parts.local) });
    for (const h of result.hits) hits.push({ replica: 'local', entry: logEntry(h.row), cursor: cursorText(h.cursor), time: BigInt(unixNanoText(h.row)) });
    more.set('local', result.next !== undefined);
    segmentsScanned += result.segmentsScanned;
  }
  const { answers, failures } = await askPeers<{ logs: Array<Record<string, unknown> & { cursor: string; time: string }>; next: string | null; stats: { segmentsScanned: number } }>(ctx.logPeers, req.caller, '/api/logs/search', (peer) => {
    if (parts[peer] === null) return undefined;
    const q = new URLSearchParams(req.query);
    q.delete('cursor');
    if (parts[peer] !== undefined) q.set('cursor', parts[peer]);
    return q;
  });
  for (const { peer, value } of answers) {
    for (const { cursor, ...entry } of value.logs) hits.push({ replica: peer, entry, cursor, time: BigInt(entry.time) });
    more.set(peer, value.next !== null);
    segmentsScanned += value.stats.segmentsScanned;
  }
  hits.sort((a, b) => (a.time > b.time ? -1 : a.time < b.time ? 1 : a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0));
  const page = hits.slice(0, limit);
  for (const [replica, hasMore] of more) {
    const own = hits.filter((h) => h.replica === replica);
    const taken = page.filter((h) => h.replica === replica);
    if (taken.length > 0) parts[replica] = taken[taken.length - 1].cursor;
    if (taken.length === own.length && !hasMore) parts[replica] = null;
  }
  const next = Object.values(parts).some((p) => p !== null) || Object.keys(parts).length < more.size ? Buffer.from(JSON.stringify(parts)).toString('base64url') : null;
  return json(
    { logs: page.map((h) => h.entry), next, stats: { segmentsScanned, elapsedMs: Math.round((performance.now() - started) * 100) / 100, replicas: { answered: more.size, asked: 1 + (ctx.logPeers.urls.length) } }, ...(failures.length > 0 ? { partial: failures } : {}) },
    200,
    partialHeaders(failures),
  );
}

async function histogramRoute(req: RouteRequest, ctx: RouteContext): Promise<Reply> {
  const logs = searchOf(ctx);
  const plan = planParameter(req.query);
  const { startMs, endMs } = boundedRange(req.query);
  const step = stepParameter(req.query, startMs, endMs);
  const first = Math.floor(startMs / step) * step;
  const buckets = new Map<number, { start: number; count: number; levels: Record<string, number>; services: Record<string, number> }>();
  // A peer's bucket adds its levels and its services separately (`byService` says which; each sums to its count).
  const add = (timeMs: number, level: string, service: string, n: number, byService?: boolean) => {
    const start = Math.floor(timeMs / step) * step;
    if (byService === undefined && (timeMs < startMs || timeMs > endMs)) return;
    let b = buckets.get(start);
    if (b === undefined) buckets.set(start, (b = { start, count: 0, levels: {}, services: {} }));
    if (byService !== true) {
      b.count += n;
      b.levels[level] = (b.levels[level] ?? 0) + n;
    }
    if (byService !== false) b.services[service] = (b.services[service] ?? 0) + n;
  };
  let truncated = false;
  const tenant = req.caller.tenant;
  if (plan.op === 'all' && step % 60_000 === 0 && startMs % 60_000 === 0) {
    // Everything, at whole minutes: the segments' own counts, no rows read.
    for (const { meta } of logs.segmentsInRange(tenant, startMs, endMs)) for (const c of meta.counts) add(c.minute, c.level, c.service, c.count);
  } else {
    for (const part of logs.scan(plan, { tenant, startMs, endMs }, HISTOGRAM_MAX_SEGMENTS)) {
      if ('truncated' in part) {
        truncated = true;
        break;
      }
      for (const ordinal of part.ordinals) {
        const row = part.rows[ordinal];
        add(row.timeMs, severityLevel(row.severityNumber), row.service, 1);
      }
    }
  }
  // The peers' buckets (the same grid: same range and step) add up.
  const { answers, failures } = await askPeers<{ buckets: Array<{ startMs: number; levels: Record<string, number>; services: Record<string, number> }>; partial: boolean }>(ctx.logPeers, req.caller, '/api/logs/histogram', withStep(req.query, step, startMs, endMs));
  for (const { value } of answers) {
    truncated ||= value.partial;
    for (const b of value.buckets) {
      for (const [level, n] of Object.entries(b.levels)) add(b.startMs, level, '', n, false);
      for (const [service, n] of Object.entries(b.services)) add(b.startMs, '', service, n, true);
    }
  }
  const out = [];
  for (let start = first; start <= endMs; start += step) out.push(buckets.get(start) ?? { start, count: 0, levels: {}, services: {} });
  return json({ step, buckets: out.map((b) => ({ ...b, start: new Date(b.start).toISOString(), startMs: b.start })), partial: truncated || failures.length > 0 }, 200, partialHeaders(failures));
}

/** The request's parameters with the range and step made explicit, so every replica counts on the same grid. */
function withStep(query: URLSearchParams, step: number, startMs: number, endMs: number): URLSearchParams {
  const q = new URLSearchParams(query);
  q.set('start', `${startMs}000000`);
  q.set('end', `${endMs}000000`);
  q.set('step', `${step}ms`);
  return q;
}

async function traceLogsRoute(req: RouteRequest, ctx: RouteContext): Promise<Reply> {
  const logs = searchOf(ctx);
  const traceId = traceIdParameter(req.params.traceId, 'traceId');
  const limit = intParameter(req.query, 'limit', TRACE_LOGS_LIMIT, TRACE_LOGS_LIMIT);
  const { startMs, endMs } = rangeParameters(req.query);
  const result = logs.search({ op: 'terms', field: 'trace_id', terms: { kind: 'exact', values: [traceId] } }, { tenant: req.caller.tenant, startMs, endMs, limit });
  const entries = result.hits.map((h) => logEntry(h.row));
  let truncated = result.next !== undefined;
  const { answers, failures } = await askPeers<{ logs: Array<Record<string, unknown>>; truncated: boolean }>(ctx.logPeers, req.caller, `/api/logs/trace/${traceId}`, req.query);
  for (const { value } of answers) {
    entries.push(...value.logs);
    truncated ||= value.truncated;
  }
  // A trace's logs read as a timeline: oldest first.
  entries.sort((a, b) => (BigInt(a.time as string) < BigInt(b.time as string) ? -1 : BigInt(a.time as string) > BigInt(b.time as string) ? 1 : 0));
  return json({ traceId, logs: entries.slice(0, limit), truncated: truncated || entries.length > limit }, 200, partialHeaders(failures));
}

async function patternsRoute(req: RouteRequest, ctx: RouteContext): Promise<Reply> {
  const logs = searchOf(ctx);
  const { startMs, endMs } = boundedRange(req.query);
  const step = stepParameter(req.query, startMs, endMs);
  const service = req.query.get('service');
  const first = Math.floor(startMs / step) * step;
  const n = Math.floor((Math.floor(endMs / step) * step - first) / step) + 1;
  // Per service, template → counts per bucket (oldest first) over the range.
  const byService = new Map<string, Map<string, number[]>>();
  for (const { meta } of logs.segmentsInRange(req.caller.tenant, startMs, endMs)) {
    for (const p of meta.patterns) {
      if (service !== null && p.service !== service) continue;
      let templates = byService.get(p.service);
      if (templates === undefined) byService.set(p.service, (templates = new Map()));
      let counts = templates.get(p.template);
      if (counts === undefined) templates.set(p.template, (counts = new Array<number>(n).fill(0)));
      for (const c of p.counts) {
        if (c.minute < startMs || c.minute > endMs) continue;
        counts[Math.floor((c.minute - first) / step)] += c.count;
      }
    }
  }
  // The peers' templates on the same grid join the merge (a template another replica generalized folds into it).
  const { answers, failures } = await askPeers<{ patterns: Array<{ service: string; template: string; counts: number[] }> }>(ctx.logPeers, req.caller, '/api/logs/patterns', withStep(req.query, step, startMs, endMs));
  for (const { value } of answers) {
    for (const p of value.patterns) {
      if (p.counts.length !== n) continue;
      let templates = byService.get(p.service);
      if (templates === undefined) byService.set(p.service, (templates = new Map()));
      const counts = templates.get(p.template);
      if (counts === undefined) templates.set(p.template, [...p.counts]);
      else p.counts.forEach((c, i) => (counts[i] += c));
    }
  }
  const patterns = [];
  for (const [name, templates] of [...byService].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    for (const m of mergePatterns([...templates].map(([template, counts]) => ({ template, counts })))) {
      if (m.total === 0) continue;
      const verdict = detectJump(m.counts);
      patterns.push({ service: name, template: m.template, total: m.total, counts: m.counts, folded: m.folded, jump: verdict.jump, verdict });
    }
  }
  return json({ step, start: new Date(first).toISOString(), startMs: first, patterns, ...(failures.length > 0 ? { partial: failures } : {}) }, 200, partialHeaders(failures));
}

export function logRoutes(): Route[] {
  return [
    { method: 'GET', path: '/api/logs/search', dialect: 'plain', handle: searchRoute },
    { method: 'GET', path: '/api/logs/histogram', dialect: 'plain', handle: histogramRoute },
    { method: 'GET', path: '/api/logs/trace/:traceId', dialect: 'plain', handle: traceLogsRoute },
    { method: 'GET', path: '/api/logs/patterns', dialect: 'plain', handle: patternsRoute },
  ];
}

