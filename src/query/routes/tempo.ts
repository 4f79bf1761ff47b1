// Tempo's HTTP API (the paths Grafana's Tempo datasource calls): traces by id, search by tags or TraceQL, tag names
// and values, echo and build info. Errors are plain text with the status, as Tempo answers them.
import { encodeTraces, encodeTracesJson } from '../../otlp/index.ts';
import type { TraceSummary } from '../../operators/traces/model.ts';
import { analyzeTrace } from '../analysis.ts';
import { parseGoDuration } from '../duration.ts';
import type { SearchSpec } from '../peers.ts';
import { parseTags, tagsQuery } from '../tempo/tags.ts';
import { formatTraceQL, parseTraceQL } from '../traceql/index.ts';
import { BadParameter, intParameter, json, partialHeaders, text, timeParameter, traceIdParameter, type Reply, type Route, type RouteRequest } from './route.ts';

/** Default and largest number of traces a search returns. */
export const SEARCH_LIMITS = { defaultLimit: 20, maxLimit: 10_000 } as const;
/** Largest number of tag values returned. */
export const TAG_VALUES_LIMIT = 10_000;

const INTRINSICS = ['duration', 'kind', 'name', 'status', 'traceDuration', 'rootName', 'rootServiceName'];

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

async function traceById(req: RouteRequest, ctx: Parameters<Route['handle']>[1], v2: boolean): Promise<Reply> {
  const traceId = traceIdParameter(req.params.id);
  const { value: spans, failures } = await ctx.fanOut.trace(req.caller, traceId);
  const headers = partialHeaders(failures);
  if (spans === undefined) {
    // Not found here, and a peer could not say: the trace may exist.
    if (failures.length > 0) return { ...text(`trace ${traceId} not found on the replicas that answered (${failures.join('; ')})`, 503), ...(headers ? { headers } : {}) };
    return text('trace not found', 404);
  }
  if (wantsProtobuf(req)) {
    // Tempo's Trace message has the wire shape of ExportTraceServiceRequest (field 1: ResourceSpans).
    const trace = encodeTraces(spans);
    return { status: 200, type: 'application/protobuf', body: v2 ? field1(trace) : trace, ...(headers ? { headers } : {}) };
  }
  const resourceSpans = JSON.parse(encodeTracesJson(spans)).resourceSpans as unknown[];
  const body = v2 ? { trace: { resourceSpans }, status: failures.length > 0 ? 'partial' : 'complete', ...(failures.length > 0 ? { message: failures.join('; ') } : {}) } : { batches: resourceSpans };
  return json(body, 200, headers);
}

// A trace's analysis (span tree, critical path, self times, errors: analysis.ts), from every replica's spans.
async function traceAnalysis(req: RouteRequest, ctx: Parameters<Route['handle']>[1]): Promise<Reply> {
  const traceId = traceIdParameter(req.params.id);
  const { value: spans, failures } = await ctx.fanOut.trace(req.caller, traceId);
  const headers = partialHeaders(failures);
  if (spans === undefined) {
    if (failures.length > 0) return { ...text(`trace ${traceId} not found on the replicas that answered (${failures.join('; ')})`, 503), ...(headers ? { headers } : {}) };
    return text('trace not found', 404);
  }
  return json({ ...analyzeTrace(spans), ...(failures.length > 0 ? { warnings: failures } : {}) }, 200, headers);
}

function searchTrace(s: TraceSummary): Record<string, unknown> {
  return {
    traceID: s.traceId,
    rootServiceName: s.rootService || '<root span not yet received>',
    rootTraceName: s.rootName || '<root span not yet received>',
    startTimeUnixNano: s.startUnixNano.toString(),
    durationMs: Math.floor(s.durationNanos / 1e6),
    serviceStats: Object.fromEntries(s.services.map((x) => [x.service, { spanCount: x.spans, ...(x.errors > 0 ? { errorCount: x.errors } : {}) }])),
  };
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
  if (q !== null && q.trim() !== '') {
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
    ...(start !== undefined ? { startNanos: start.toString() } : {}),
    // end is a whole second: a trace starting within it is in range.
    ...(end !== undefined ? { endNanos: (end + 999_999_999n).toString() } : {}),
  };
}

async function search(req: RouteRequest, ctx: Parameters<Route['handle']>[1]): Promise<Reply> {
  const spec = tempoSearchSpec(req.query);
  const { value, failures } = await ctx.fanOut.search(req.caller, spec);
  return json(
    {
      traces: value.map(searchTrace),
      metrics: { inspectedTraces: value.length, inspectedBytes: '0', completedJobs: 1, totalJobs: 1 },
      ...(failures.length > 0 ? { warnings: failures } : {}),
    },
    200,
    partialHeaders(failures),
  );
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
  const byScope: Record<Scope, Set<string>> = { resource: new Set(), span: new Set(), intrinsic: new Set(INTRINSICS) };
  for (const field of value) {
    const { scope, tag } = scopeOf(field);
    if (scope !== 'intrinsic') byScope[scope].add(tag);
  }
  const scopes = (wanted === 'all' ? (['resource', 'span', 'intrinsic'] as const) : [wanted]).filter((s) => v2 || s !== 'intrinsic');
  const warn = failures.length > 0 ? { warnings: failures } : {};
  if (v2) return json({ scopes: scopes.map((name) => ({ name, tags: [...byScope[name]].sort() })), ...warn }, 200, partialHeaders(failures));
  const names = new Set<string>();
  for (const s of scopes) for (const t of byScope[s]) names.add(t);
  return json({ tagNames: [...names].sort(), ...warn }, 200, partialHeaders(failures));
}

async function tagValues(req: RouteRequest, ctx: Parameters<Route['handle']>[1], v2: boolean): Promise<Reply> {
  const tag = req.params.tag ?? '';
  if (tag === '') throw new BadParameter('tag', 'a tag name is required');
  // v1 takes Tempo's bare tag names; v2 TraceQL's (resource.x, span.x, .x, intrinsics).
  const fields = tag === 'status.code' ? ['status'] : tagFields(tag);
  const { value, failures } = await ctx.fanOut.tagValues(req.caller, fields, TAG_VALUES_LIMIT);
  const warn = failures.length > 0 ? { warnings: failures } : {};
  if (!v2) return json({ tagValues: value, ...warn }, 200, partialHeaders(failures));
  const type = fields.length === 1 && (fields[0] === 'status' || fields[0] === 'kind') ? 'keyword' : 'string';
  return json({ tagValues: value.map((v) => ({ type, value: v })), ...warn }, 200, partialHeaders(failures));
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
