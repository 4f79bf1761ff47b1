// The Prometheus metadata endpoints, independent of the transport: each takes the catalog, the request's tenant and
// its parameters (query string, or the form body of a POST merged in) and returns a status and a JSON body in
// Prometheus' envelope (docs/query-prometheus.md):
//   success: { status: 'success', data, warnings? }    bad input: 400 { status: 'error', errorType: 'bad_data', error }
// Every bad_data message names the parameter at fault.
import type { NameMatch, SeriesCatalog, SeriesLabels, TimeRange } from './catalog.ts';
import { parseSelector, type Selector } from './selector.ts';

/** What an endpoint answers: the HTTP status and the JSON body. */
export interface QueryResponse {
  status: number;
  body: PrometheusSuccess<unknown> | PrometheusError;
}

export interface PrometheusSuccess<T> {
  status: 'success';
  data: T;
  warnings?: string[];
}

export interface PrometheusError {
  status: 'error';
  errorType: 'bad_data';
  error: string;
}

/** Limits of the metric-name search. */
export const NAME_SEARCH = { defaultLimit: 100, maxLimit: 10_000, defaultMaxDistance: 2, maxMaxDistance: 5, maxFuzzyLength: 256 } as const;

const TRUNCATED = 'results truncated due to limit';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

class BadData extends Error {}

const bad = (parameter: string, message: string): never => {
  throw new BadData(`invalid parameter ${JSON.stringify(parameter)}: ${message}`);
};

function respond<T>(answer: () => { data: T; warnings?: string[] }): QueryResponse {
  try {
    const { data, warnings } = answer();
    return { status: 200, body: warnings && warnings.length > 0 ? { status: 'success', data, warnings } : { status: 'success', data } };
  } catch (e) {
    if (e instanceof BadData) return { status: 400, body: { status: 'error', errorType: 'bad_data', error: e.message } };
    throw e;
  }
}

/** A Prometheus timestamp parameter (seconds since the epoch, fractions allowed, or RFC 3339) in ms. */
export function parseTimeParameter(name: string, text: string): number {
  const trimmed = text.trim();
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) {
    const ms = Number(trimmed) * 1000;
    if (Number.isFinite(ms)) return Math.round(ms);
  } else if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isFinite(ms)) return ms;
  }
  return bad(name, `cannot parse ${JSON.stringify(text)} to a valid timestamp`);
}

function timeRange(params: URLSearchParams): TimeRange | undefined {
  const startText = params.get('start');
  const endText = params.get('end');
  if (startText === null && endText === null) return undefined;
  const start = startText === null ? undefined : parseTimeParameter('start', startText);
  const end = endText === null ? undefined : parseTimeParameter('end', endText);
  if (start !== undefined && end !== undefined && end < start) bad('end', 'end timestamp must not be before start time');
  return { start, end };
}

function selectors(params: URLSearchParams): Selector[] {
  return params.getAll('match[]').map((text) => {
    try {
      return parseSelector(text);
    } catch (e) {
      return bad('match[]', (e as Error).message);
    }
  });
}

function nonNegativeInteger(params: URLSearchParams, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  if (!/^\d+$/.test(text.trim())) return bad(name, `expected a non-negative integer, got ${JSON.stringify(text)}`);
  const n = Number(text.trim());
  if (n > max) return bad(name, `must be at most ${max}, got ${text}`);
  return n;
}

// Prometheus' `limit`: 0 or absent is no limit; one more than the limit tells whether the answer was truncated.
function limited<T>(all: T[], limit: number | undefined): { data: T[]; warnings?: string[] } {
  if (limit === undefined || limit === 0 || all.length <= limit) return { data: all };
  return { data: all.slice(0, limit), warnings: [TRUNCATED] };
}

/** GET/POST /api/v1/series: `match[]` (one or more, required), `start`, `end`, `limit`. */
export function seriesHandler(catalog: SeriesCatalog, tenant: string, params: URLSearchParams): QueryResponse {
  return respond<SeriesLabels[]>(() => {
    if (params.getAll('match[]').length === 0) bad('match[]', 'no match[] parameter provided');
    const matchers = selectors(params);
    const range = timeRange(params);
    const limit = nonNegativeInteger(params, 'limit');
    return limited(catalog.series(tenant, matchers, range, limit === undefined || limit === 0 ? undefined : limit + 1), limit);
  });
}

/** GET/POST /api/v1/labels: optional `match[]`, `start`, `end`, `limit`. */
export function labelsHandler(catalog: SeriesCatalog, tenant: string, params: URLSearchParams): QueryResponse {
  return respond<string[]>(() => {
    const matchers = selectors(params);
    const range = timeRange(params);
    const limit = nonNegativeInteger(params, 'limit');
    return limited(catalog.labelNames(tenant, matchers, range), limit);
  });
}

/** GET /api/v1/label/<name>/values: `name` from the path; optional `match[]`, `start`, `end`, `limit`. */
export function labelValuesHandler(catalog: SeriesCatalog, tenant: string, name: string, params: URLSearchParams): QueryResponse {
  return respond<string[]>(() => {
    if (!LABEL_NAME.test(name)) bad('name', `invalid label name ${JSON.stringify(name)}`);
    const matchers = selectors(params);
    const range = timeRange(params);
    const limit = nonNegativeInteger(params, 'limit');
    return limited(catalog.labelValues(tenant, name, matchers, range), limit);
  });
}

/**
 * GET /api/v1/metadata/names (ours): metric names by `prefix` and/or `fuzzy` (edit distance ≤ `max_distance`, default
 * 2, at most 5), at most `limit` (default 100, at most 10,000). Data: `[{ name, distance? }]`, closest first when
 * fuzzy, else in name order; a warning when more names matched than the limit.
 */
export function metricNamesHandler(catalog: SeriesCatalog, tenant: string, params: URLSearchParams): QueryResponse {
  return respond<NameMatch[]>(() => {
    const prefix = params.get('prefix') ?? undefined;
    const fuzzy = params.get('fuzzy') ?? undefined;
    if (fuzzy !== undefined && fuzzy === '') bad('fuzzy', 'must not be empty');
    if (fuzzy !== undefined && fuzzy.length > NAME_SEARCH.maxFuzzyLength) bad('fuzzy', `must be at most ${NAME_SEARCH.maxFuzzyLength} characters`);
    const maxDistance = nonNegativeInteger(params, 'max_distance', NAME_SEARCH.maxMaxDistance);
    if (maxDistance !== undefined && fuzzy === undefined) bad('max_distance', 'only applies with "fuzzy"');
    const limit = nonNegativeInteger(params, 'limit', NAME_SEARCH.maxLimit) || NAME_SEARCH.defaultLimit;
    const found = catalog.names(tenant, { prefix, fuzzy, maxDistance: maxDistance ?? NAME_SEARCH.defaultMaxDistance, limit: limit + 1 });
    return limited(found, limit);
  });
}
