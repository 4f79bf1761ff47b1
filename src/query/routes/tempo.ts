// Tempo's HTTP API (the paths Grafana's Tempo datasource calls): traces by id, search by tags or TraceQL, tag names
// and values, echo and build info. Errors are plain text with the status, as Tempo answers them.
import { encodeTraces, type Span } from '../../otlp/index.ts';
import { analyzeTrace } from '../analysis.ts';
import { parseGoDuration } from '../duration.ts';
import type { SearchSpec } from '../peers.ts';
import {
  DEFAULT_SPANS_PER_SPANSET, TEMPO_INTRINSIC_TAGS, tempoSearchResponse, tempoSearchTrace, tempoTagNames, tempoTagScopes, tempoTagValues, tempoTagValuesV2,
  tempoTraceV1, tempoTraceV2,
} from '../tempo/format.ts';
import { parseTags, tagsQuery } from '../tempo/tags.ts';
import { formatTraceQL, parseTraceQL } from '../traceql/index.ts';
import { BadParameter, intParameter, json, partialHeaders, text, timeParameter, traceIdParameter, type Reply, type Route, type RouteRequest } from './route.ts';

/** Default and largest number of traces a search returns. */
export const SEARCH_LIMITS = { defaultLimit: 20, maxLimit: 10_000 } as const;
/** Largest number of tag values returned. */
export const TAG_VALUES_LIMIT = 10_000;

/** Largest `spss` (spans per spanset) a search takes. */
export const MAX_SPANS_PER_SPANSET = 1_000;

/** Index fields a Tempo tag name stands for: `resource.k`, `span.k`, `.k` / bare `k` (both scopes), intrinsics. */
export function tagFields(tag: string): string[] {
  if (tag === 'name' || tag === 'status' || tag === 'kind') return [tag];
  if (tag.startsWith('resource.') || tag.startsWith('span.')) return [tag];
  const key = tag.startsWith('.') ? tag.slice(1) : tag;
  return [`resource.${key}`, `span.${key}`];
}

function wantsProtobuf(req: RouteRequest): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.includes('application/protobuf');
}

// protobuf field 1, length-delimited: wraps the Trace message in TraceByIDResponse (v2).
function field1(bytes: Uint8Array): Uint8Array {
  const header: number[] = [0x0a];
  let n = bytes.length;
  while (n > 0x7f) {
    header.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  header.push(n);
  return Buffer.concat([Buffer.from(header), bytes]);
}

// A trace's spans from every replica, or the reply when there are none: 404, or 503 when a peer could not say (the
// trace may exist there).
async function findTrace(req: RouteRequest, ctx: Parameters<Route['handle']>[1]): Promise<{ spans: Span[]; failures: string[]; headers?: Record<string, string> } | { missing: Reply }> {
  const traceId = traceIdParameter(req.params.id);
  const { value: spans, failures } = await ctx.fanOut.trace(req.caller, traceId);
  const headers = partialHeaders(failures);
  if (spans === undefined) {
    if (failures.length > 0) return { missing: { ...text(`trace ${traceId} not found on the replicas that answered (${failures.join('; ')})`, 503), ...(headers ? { headers } : {}) } };
    return { missing: text('trace not found', 404) };
  }
  return { spans, failures, ...(headers ? { headers } : {}) };
}

async function traceById(req: RouteRequest, ctx: Parameters<Route['handle']>[1], v2: boolean): Promise<Reply> {
  const found = await findTrace(req, ctx);
  if ('missing' in found) return found.missing;
  const { spans, failures, headers } = found;
  if (wantsProtobuf(req)) {
    // Tempo's Trace message has the wire shape of ExportTraceServiceRequest (field 1: ResourceSpans).
    const trace = encodeTraces(spans);
    return { status: 200, type: 'application/protobuf', body: v2 ? field1(trace) : trace, ...(headers ? { headers } : {}) };
  }
  const body = v2 ? tempoTraceV2(spans, failures.length > 0 ? { partial: true, message: failures.join('; ') } : { partial: false }) : tempoTraceV1(spans);
  return { status: 200, type: 'application/json', body, ...(headers ? { headers } : {}) };
}

// A trace's analysis (span tree, critical path, self times, errors: analysis.ts), from every replica's spans.
async function traceAnalysis(req: RouteRequest, ctx: Parameters<Route['handle']>[1]): Promise<Reply> {
  const found = await findTrace(req, ctx);
  if ('missing' in found) return found.missing;
  return json({ ...analyzeTrace(found.spans), ...(found.failures.length > 0 ? { warnings: found.failures } : {}) }, 200, found.headers);
}

/** The search spec of a Tempo /api/search request (q TraceQL, or tags + durations; start / end in seconds). */
export function tempoSearchSpec(query: URLSearchParams): SearchSpec {
  const q = query.get('q');
  const tags = query.get('tags');
  const minDuration = query.get('minDuration');
  const maxDuration = query.get('maxDuration');
  const bounds = {
    ...(minDuration ? { minDurationNanos: parseGoDuration(minDuration, 'minDuration') } : {}),
    ...(maxDuration ? { maxDurationNanos: parseGoDuration(maxDuration, 'maxDuration') } : {}),
  };
  let traceql: string;
  const isTraceQL = q !== null && q.trim() !== '';
  if (q !== null && isTraceQL) {
    if (tags) throw new BadParameter('q', 'give either q (TraceQL) or tags, not both');
    try {
      const parsed = parseTraceQL(q);
      const extra = tagsQuery([], bounds);
      traceql = bounds.minDurationNanos !== undefined || bounds.maxDurationNanos !== undefined ? `(${formatTraceQL(parsed)}) && ${formatTraceQL(extra)}` : q;
      parseTraceQL(traceql);
    } catch (err) {
      if (err instanceof BadParameter) throw err;
      throw new BadParameter('q', (err as Error).message);
    }
  } else {
    traceql = formatTraceQL(tagsQuery(tags ? parseTags(tags) : [], bounds));
  }
  const start = timeParameter(query, 'start', 1_000_000_000n);
  const end = timeParameter(query, 'end', 1_000_000_000n);
  if (start !== undefined && end !== undefined && end < start) throw new BadParameter('end', 'end is before start');
  return {
    traceql,
    limit: intParameter(query, 'limit', SEARCH_LIMITS.defaultLimit, SEARCH_LIMITS.maxLimit),
    // TraceQL answers carry the matched spansets, as Tempo's do; tags searches do not.
    ...(isTraceQL ? { spansPerSpanSet: intParameter(query, 'spss', DEFAULT_SPANS_PER_SPANSET, MAX_SPANS_PER_SPANSET) } : {}),
    ...(start !== undefined ? { startNanos: start.toString() } : {}),
    // end is a whole second: a trace starting within it is in range.
    ...(end !== undefined ? { endNanos: (end + 999_999_999n).toString() } : {}),
  };
}

async function search(req: RouteRequest, ctx: Parameters<Route['handle']>[1]): Promise<Reply> {
  const spec = tempoSearchSpec(req.query);
  const { value, failures } = await ctx.fanOut.search(req.caller, spec);
  const { stats, replicas } = value;
  const body = tempoSearchResponse(
    value.traces.map((hit) => tempoSearchTrace(hit.summary, hit.spanSets !== undefined ? { formatted: hit.spanSets } : {})),
    { inspectedTraces: stats.inspectedTraces, inspectedBytes: stats.inspectedBytes, inspectedSpans: stats.inspectedSpans, totalBlocks: stats.blocks, completedJobs: replicas.answered, totalJobs: replicas.asked },
  );
  return json({ ...body, ...(failures.length > 0 ? { warnings: failures } : {}) }, 200, partialHeaders(failures));
}

type Scope = 'resource' | 'span' | 'intrinsic';

function scopeOf(field: string): { scope: Scope; tag: string } {
  if (field.startsWith('resource.')) return { scope: 'resource', tag: field.slice('resource.'.length) };
  if (field.startsWith('span.')) return { scope: 'span', tag: field.slice('span.'.length) };
  return { scope: 'intrinsic', tag: field };
}

function scopeParameter(req: RouteRequest): Scope | 'all' {
  const scope = req.query.get('scope') ?? 'all';
  if (scope !== 'all' && scope !== 'resource' && scope !== 'span' && scope !== 'intrinsic' && scope !== '') throw new BadParameter('scope', 'expected resource, span, intrinsic or all');
  return scope === '' ? 'all' : scope;
}

async function tagNames(req: RouteRequest, ctx: Parameters<Route['handle']>[1], v2: boolean): Promise<Reply> {
  const wanted = scopeParameter(req);
  const { value, failures } = await ctx.fanOut.tagFields(req.caller);
  const byScope: Record<Scope, string[]> = { resource: [], span: [], intrinsic: v2 ? TEMPO_INTRINSIC_TAGS : [] };
  for (const field of value) {
    const { scope, tag } = scopeOf(field);
    if (scope !== 'intrinsic') byScope[scope].push(tag);
  }
  const warn = failures.length > 0 ? { warnings: failures } : {};
  const scopes = wanted === 'all' ? (['resource', 'span', 'intrinsic'] as const) : [wanted];
  if (v2) return json({ ...tempoTagScopes(Object.fromEntries(scopes.map((s) => [s, byScope[s]]))), ...warn }, 200, partialHeaders(failures));
  return json({ ...tempoTagNames(scopes.flatMap((s) => byScope[s])), ...warn }, 200, partialHeaders(failures));
}

async function tagValues(req: RouteRequest, ctx: Parameters<Route['handle']>[1], v2: boolean): Promise<Reply> {
  const tag = req.params.tag ?? '';
  if (tag === '') throw new BadParameter('tag', 'a tag name is required');
  // v1 takes Tempo's bare tag names; v2 TraceQL's (resource.x, span.x, .x, intrinsics).
  const fields = tag === 'status.code' ? ['status'] : tagFields(tag);
  const { value, failures } = await ctx.fanOut.tagValues(req.caller, fields, TAG_VALUES_LIMIT);
  const warn = failures.length > 0 ? { warnings: failures } : {};
  if (!v2) return json({ ...tempoTagValues(value), ...warn }, 200, partialHeaders(failures));
  // The index keeps values as text: status and kind are keywords, the rest strings.
  const type = fields.length === 1 && (fields[0] === 'status' || fields[0] === 'kind') ? 'keyword' : 'string';
  return json({ ...tempoTagValuesV2(value.map((v) => ({ type, value: v }))), ...warn }, 200, partialHeaders(failures));
}

/** Tempo's routes. */
export function tempoRoutes(version: string): Route[] {
  const get = (path: string, handle: Route['handle'], isPublic = false): Route => ({ method: 'GET', path, dialect: 'tempo', handle, ...(isPublic ? { public: true } : {}) });
  return [
    get('/api/traces/:id', (req, ctx) => traceById(req, ctx, false)),
    get('/api/v2/traces/:id', (req, ctx) => traceById(req, ctx, true)),
    get('/api/traces/:id/analysis', traceAnalysis),
    get('/api/search', search),
    get('/api/search/tags', (req, ctx) => tagNames(req, ctx, false)),
    get('/api/v2/search/tags', (req, ctx) => tagNames(req, ctx, true)),
    get('/api/search/tag/:tag/values', (req, ctx) => tagValues(req, ctx, false)),
    get('/api/v2/search/tag/:tag/values', (req, ctx) => tagValues(req, ctx, true)),
    get('/api/echo', async () => text('echo'), true),
    get('/api/status/buildinfo', async () => json({ version, revision: '', branch: '', buildDate: '', buildUser: '', goVersion: '' }), true),
  ];
}
