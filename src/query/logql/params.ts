// Loki's HTTP query parameters → typed options (docs/sources/reference/loki-http-api.md):
//   query_range: query (required), start (default end − since, since defaulting to 1h; when end is in the future the
//     default counts back from now), end (default now), since, limit (default 100), direction (backward | forward,
//     default backward), step (duration or float seconds; default max(1, floor((end − start) / 250 s)) seconds;
//     at most 11,000 steps);
//   query: query (a metric query: Loki answers log queries only on query_range), time (default now), limit, direction;
//   labels, label/<name>/values: start (default end − 6h as documented), end, since, query (a stream selector).
// Times: an integer of up to 10 digits is seconds, a longer one ns; a number with a fraction is seconds (ms kept) —
// or ns when its integer part has more than 10 digits; else RFC 3339 (with up to 9 fraction digits). All times here
// are bigint ns since the epoch. Every error is a QueryParameterError naming the parameter.
import type { LogQLQuery, LogQuery, MetricQuery } from './ast.ts';
import type { Direction } from './evaluate.ts';
import { LogQLError, parseLogQL, parseSelector } from './parse.ts';
import { QueryParameterError } from '../errors.ts';

/** Default and largest `limit` (Loki's max_entries_limit_per_query default is 5000). */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 5000;
/** Most points a range query may ask for per series (as Loki). */
export const MAX_POINTS = 11_000;

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const HOUR = 3600n * NS_PER_S;

export interface QueryRangeParams {
  query: LogQLQuery;
  start: bigint;
  end: bigint;
  /** Metric queries only. */
  step: bigint;
  limit: number;
  direction: Direction;
}

export interface InstantQueryParams {
  query: MetricQuery;
  time: bigint;
  limit: number;
  direction: Direction;
}

export interface LabelParams {
  start: bigint;
  end: bigint;
  /** Only streams this selector accepts. */
  selector?: LogQuery;
}

/** A Loki timestamp parameter in ns since the epoch. */
export function parseLokiTime(text: string, parameter: string): bigint {
  const bad = (): never => {
    throw new QueryParameterError(parameter, `cannot parse ${JSON.stringify(text.slice(0, 60))} as a time: expected ns or s since the epoch (e.g. 1700000000000000000, 1700000000.5) or RFC 3339 (2024-01-02T03:04:05.123Z)`);
  };
  const t = text.trim();
  if (/^-?\d+$/.test(t)) {
    const n = BigInt(t);
    if (n > 9_223_372_036_854_775_807n || n < -9_223_372_036_854_775_808n) bad(); // Go's int64
    return n <= 10_000_000_000n ? n * NS_PER_S : n;
  }
  if (/^-?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?$|^-?\d+[eE][+-]?\d+$/.test(t)) {
    const f = Number(t);
    if (!Number.isFinite(f) || Math.abs(f) > 9.2e18) bad();
    const whole = Math.trunc(f);
    if (whole > 1e10) return BigInt(whole);
    const ms = Math.round((f - whole) * 1000);
    return BigInt(whole) * NS_PER_S + BigInt(ms) * NS_PER_MS;
  }
  const m = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)$/.exec(t);
  if (m === null) return bad();
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(ms);
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) bad();
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return BigInt(ms) * NS_PER_MS + BigInt(frac.padEnd(9, '0'));
}

const UNIT_NS: Record<string, bigint> = { y: 365n * 24n * HOUR, w: 7n * 24n * HOUR, d: 24n * HOUR, h: HOUR, m: 60n * NS_PER_S, s: NS_PER_S, ms: NS_PER_MS };

/** A Prometheus duration (`5m`, `1h30m`, `1d`, `250ms`; units y w d h m s ms, largest first) in ns. */
export function parsePrometheusDuration(text: string, parameter: string): bigint {
  const m = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text.trim());
  if (text.trim() === '0') return 0n;
  if (m === null || text.trim() === '' || text.length > 64) {
    throw new QueryParameterError(parameter, `cannot parse ${JSON.stringify(text.slice(0, 60))} as a duration: expected e.g. 30s, 5m, 1h30m, 7d or 250ms`);
  }
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  let ns = 0n;
  units.forEach((u, i) => {
    if (m[i + 1] !== undefined) ns += BigInt(m[i + 1]) * UNIT_NS[u];
  });
  return ns;
}

/** A `step`: float seconds or a Prometheus duration, in ns. */
export function parseLokiDuration(text: string, parameter: string): bigint {
  const t = text.trim();
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
    const ns = Number(t) * 1e9;
    if (!Number.isFinite(ns) || Math.abs(ns) > 9.2e18) throw new QueryParameterError(parameter, `cannot parse ${JSON.stringify(t.slice(0, 60))} to a valid duration: it overflows int64`);
    return BigInt(Math.trunc(ns));
  }
  return parsePrometheusDuration(t, parameter);
}

function nonEmpty(params: URLSearchParams, name: string): string | undefined {
  const v = params.get(name);
  return v === null || v === '' ? undefined : v;
}

function limitOf(params: URLSearchParams): number {
  const text = nonEmpty(params, 'limit');
  if (text === undefined) return DEFAULT_LIMIT;
  if (!/^[+-]?\d+$/.test(text.trim())) throw new QueryParameterError('limit', `${JSON.stringify(text.slice(0, 40))} is not an integer`);
  const n = Number(text);
  if (n <= 0) throw new QueryParameterError('limit', 'limit must be a positive value');
  if (n > MAX_LIMIT) throw new QueryParameterError('limit', `max entries limit per query exceeded (${text.trim()} > ${MAX_LIMIT})`);
  return n;
}

function directionOf(params: URLSearchParams): Direction {
  const text = nonEmpty(params, 'direction');
  if (text === undefined) return 'backward';
  const d = text.toLowerCase();
  if (d !== 'forward' && d !== 'backward') throw new QueryParameterError('direction', `invalid direction ${JSON.stringify(text.slice(0, 40))}: expected forward or backward`);
  return d;
}

function queryOf(params: URLSearchParams): LogQLQuery {
  const text = params.get('query');
  if (text === null || text.trim() === '') throw new QueryParameterError('query', 'missing: a LogQL query is required, e.g. {service_name="checkout"} |= "error"');
  try {
    return parseLogQL(text);
  } catch (e) {
    if (e instanceof LogQLError) throw new QueryParameterError('query', e.message);
    throw e;
  }
}

// start / end / since as Loki determines them; `defaultSince` is the lookback without `since`.
function bounds(params: URLSearchParams, nowNs: bigint, defaultSince: bigint): { start: bigint; end: bigint } {
  const sinceText = nonEmpty(params, 'since');
  const since = sinceText === undefined ? defaultSince : parsePrometheusDuration(sinceText, 'since');
  const endText = nonEmpty(params, 'end');
  const end = endText === undefined ? nowNs : parseLokiTime(endText, 'end');
  const startText = nonEmpty(params, 'start');
  const start = startText === undefined ? (end > nowNs ? nowNs : end) - since : parseLokiTime(startText, 'start');
  if (end < start) throw new QueryParameterError('end', 'end timestamp must not be before start time');
  return { start, end };
}

const nowNanos = (nowMs: number): bigint => BigInt(Math.trunc(nowMs)) * NS_PER_MS;

/** The parameters of /loki/api/v1/query_range; `nowMs` is the current time (ms since the epoch). */
export function parseQueryRangeParams(params: URLSearchParams, nowMs: number): QueryRangeParams {
  const query = queryOf(params);
  const { start, end } = bounds(params, nowNanos(nowMs), HOUR);
  const limit = limitOf(params);
  const direction = directionOf(params);
  const stepText = nonEmpty(params, 'step');
  let step: bigint;
  if (stepText === undefined) {
    const seconds = (end - start) / NS_PER_S / 250n;
    step = (seconds > 1n ? seconds : 1n) * NS_PER_S;
  } else {
    step = parseLokiDuration(stepText, 'step');
    if (step <= 0n) throw new QueryParameterError('step', 'zero or negative query resolution step widths are not accepted; try a positive value');
  }
  if ((end - start) / step > BigInt(MAX_POINTS)) {
    throw new QueryParameterError('step', `exceeded maximum resolution of ${MAX_POINTS} points per series; increase the step`);
  }
  return { query, start, end, step, limit, direction };
}

/** The parameters of /loki/api/v1/query (instant: metric queries only). */
export function parseInstantQueryParams(params: URLSearchParams, nowMs: number): InstantQueryParams {
  const query = queryOf(params);
  if (query.kind === 'log') {
    throw new QueryParameterError('query', 'log queries are answered over a range of time only: use /loki/api/v1/query_range, or a metric query such as count_over_time({…}[5m])');
  }
  const timeText = nonEmpty(params, 'time');
  const time = timeText === undefined ? nowNanos(nowMs) : parseLokiTime(timeText, 'time');
  return { query, time, limit: limitOf(params), direction: directionOf(params) };
}

/** The parameters of /loki/api/v1/labels and /loki/api/v1/label/<name>/values. */
export function parseLabelParams(params: URLSearchParams, nowMs: number): LabelParams {
  const out: LabelParams = bounds(params, nowNanos(nowMs), 6n * HOUR);
  const text = nonEmpty(params, 'query');
  if (text !== undefined) {
    try {
      out.selector = parseSelector(text);
    } catch (e) {
      if (e instanceof LogQLError) throw new QueryParameterError('query', e.message);
      throw e;
    }
  }
  return out;
}
