// LogQL by brute force over rows the caller hands in (the rows of the time range from the store; unsorted, and a
// superset is fine: every row is checked against the range, the selector and the filters).
//
// Time is ns since the epoch as bigint (Loki's timestamps exceed a double's exact range).
// Log queries: rows with start ≤ t < end (Loki: start inclusive, end exclusive), the `limit` first in the query's
// direction — backward: newest first; forward: oldest first — grouped into streams. Entries are totally ordered by
// (time, stream labels text, line) forward and the reverse backward, so which entries a limit keeps is defined even on
// ties; streams are listed by their labels text.
// Metric queries (Prometheus semantics): evaluated at start, start + step, … ≤ end; the point at t counts the rows in
// (t − range, t]; a step without rows has no point (not 0) and a series without points is left out; rate = count /
// range seconds, bytes_* count UTF-8 bytes of the line. Series are listed by their labels text.
// Memory: a log query keeps at most 2 × limit entries; a metric query keeps per matching stream a difference map of at
// most 2 × points entries, then builds one series at a time into at most `maxSeries` groups.
import {
  logQueryOf, rangeOf, type LabelMatcher, type LineFilter, type LogQLQuery, type LogQuery, type MetricQuery, type VectorAggregation,
} from './ast.ts';
import { formatLabels, streamLabels, type StreamLabels } from './labels.ts';
import type { LogRow } from '../../logs/model.ts';
import { QueryParameterError } from '../errors.ts';

export type Direction = 'forward' | 'backward';

/** A stream of a log query's answer: its labels and [ns timestamp text, line] entries. */
export interface LokiStream {
  stream: StreamLabels;
  values: [string, string][];
}
export type LokiStreams = LokiStream[];

/** A series of a range query's answer: [seconds since the epoch, value text] points, oldest first. */
export interface LokiSeries {
  metric: StreamLabels;
  values: [number, string][];
}
export type LokiMatrix = LokiSeries[];

/** A sample of an instant query's answer. */
export interface LokiSample {
  metric: StreamLabels;
  value: [number, string];
}
export type LokiVector = LokiSample[];

/** What a query read: rows of selected streams in the time range, and their line bytes. */
export interface ScanStats {
  linesProcessed: number;
  bytesProcessed: number;
}

export interface LogQueryOptions {
  start: bigint;
  end: bigint;
  limit: number;
  direction: Direction;
}

export interface RangeQueryOptions {
  start: bigint;
  end: bigint;
  step: bigint;
  /** Most series in the answer (and groups of any aggregation); more is an error. Default MAX_SERIES. */
  maxSeries?: number;
}

export interface InstantQueryOptions {
  time: bigint;
  maxSeries?: number;
}

/** Rows a query needs: those with start ≤ t < end (ns), from streams the selector accepts, lines the filters accept. */
export interface ScanRange {
  start: bigint;
  end: bigint;
}

/** Default most series a metric query answers (Loki's max_query_series default). */
export const MAX_SERIES = 500;
/** Most streams a metric query may count in (bounds its memory). */
export const MAX_STREAMS = 100_000;

const NS_PER_MS = 1_000_000n;

/** The time of a row in ns since the epoch. */
export function rowNanos(row: Pick<LogRow, 'timeMs' | 'timeNanos'>): bigint {
  return BigInt(row.timeMs) * NS_PER_MS + BigInt(row.timeNanos);
}

function matchLabel(m: LabelMatcher, labels: StreamLabels): boolean {
  const value = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return m.regex!.test(value);
    case '!~':
      return !m.regex!.test(value);
  }
}

function matchLine(f: LineFilter, line: string): boolean {
  switch (f.op) {
    case '|=':
      return line.includes(f.value);
    case '!=':
      return !line.includes(f.value);
    case '|~':
      return f.regex!.test(line);
    case '!~':
      return !f.regex!.test(line);
  }
}

/** Whether a stream's labels satisfy the query's selector. */
export function selectorMatcher(q: LogQLQuery): (labels: StreamLabels) => boolean {
  const { matchers } = logQueryOf(q);
  return (labels) => matchers.every((m) => matchLabel(m, labels));
}

/** Whether a line passes the query's line filters. */
export function lineMatcher(q: LogQLQuery): (line: string) => boolean {
  const { filters } = logQueryOf(q);
  return (line) => filters.every((f) => matchLine(f, line));
}

/** The rows a log query reads. */
export function logScanRange(opts: { start: bigint; end: bigint }): ScanRange {
  return { start: opts.start, end: opts.end };
}

/** The rows a metric query evaluated from start to end reads: (start − range, end]. */
export function metricScanRange(q: MetricQuery, opts: { start: bigint; end: bigint }): ScanRange {
  return { start: opts.start - BigInt(rangeOf(q)) + 1n, end: opts.end + 1n };
}

interface StreamInfo {
  labels: StreamLabels;
  key: string;
  selected: boolean;
}

// Stream labels per distinct (resource, level): rows of one resource share them, so the labels are built once.
class StreamCache {
  private readonly cache = new Map<string, StreamInfo>();
  private readonly select: (labels: StreamLabels) => boolean;
  constructor(q: LogQuery) {
    this.select = selectorMatcher(q);
  }

  of(row: LogRow): StreamInfo {
    let id = String(row.severityNumber);
    for (const [k, v] of row.resource) id += `\u0000${k}\u0001${v}`;
    let info = this.cache.get(id);
    if (info === undefined) {
      const labels = streamLabels(row);
      info = { labels, key: formatLabels(labels), selected: this.select(labels) };
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(id, info);
    }
    return info;
  }
}

interface Entry {
  ns: bigint;
  info: StreamInfo;
  line: string;
}

function forwardOrder(a: Entry, b: Entry): number {
  if (a.ns !== b.ns) return a.ns < b.ns ? -1 : 1;
  if (a.info.key !== b.info.key) return a.info.key < b.info.key ? -1 : 1;
  return a.line < b.line ? -1 : a.line > b.line ? 1 : 0;
}

/** A log query fed row by row (sync or async sources alike); `result()` answers it. */
export class LogQueryCollector {
  readonly stats: ScanStats = { linesProcessed: 0, bytesProcessed: 0 };
  private readonly streams: StreamCache;
  private readonly line: (line: string) => boolean;
  private readonly order: (a: Entry, b: Entry) => number;
  private entries: Entry[] = [];
  private readonly opts: LogQueryOptions;

  constructor(q: LogQuery, opts: LogQueryOptions) {
    if (!Number.isSafeInteger(opts.limit) || opts.limit < 1) throw new RangeError(`limit must be a positive integer, got ${opts.limit}`);
    this.opts = opts;
    this.streams = new StreamCache(q);
    this.line = lineMatcher(q);
    this.order = opts.direction === 'forward' ? forwardOrder : (a, b) => forwardOrder(b, a);
  }

  add(row: LogRow): void {
    const ns = rowNanos(row);
    if (ns < this.opts.start || ns >= this.opts.end) return;
    const info = this.streams.of(row);
    if (!info.selected) return;
    this.stats.linesProcessed++;
    this.stats.bytesProcessed += Buffer.byteLength(row.body, 'utf8');
    if (!this.line(row.body)) return;
    this.entries.push({ ns, info, line: row.body });
    if (this.entries.length >= 2 * this.opts.limit) this.trim();
  }

  private trim(): void {
    this.entries.sort(this.order);
    this.entries.length = Math.min(this.entries.length, this.opts.limit);
  }

  result(): LokiStreams {
    this.trim();
    const byKey = new Map<string, LokiStream>();
    for (const e of this.entries) {
      let s = byKey.get(e.info.key);
      if (s === undefined) byKey.set(e.info.key, (s = { stream: e.info.labels, values: [] }));
      s.values.push([e.ns.toString(), e.line]);
    }
    return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
  }
}

/** Answers a log query over `rows`. */
export function runLogQuery(q: LogQuery, rows: Iterable<LogRow>, opts: LogQueryOptions): LokiStreams {
  const c = new LogQueryCollector(q, opts);
  for (const row of rows) c.add(row);
  return c.result();
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a >= 0n ? (a + b - 1n) / b : -(-a / b);
}

interface StreamCounts {
  info: StreamInfo;
  // Difference map over step indexes: at k, [rows, bytes] start counting; at k they stop with a negative entry.
  diff: Map<number, [number, number]>;
}

/** A dense series over the step grid: a value and whether there is a point at each step. */
interface DenseSeries {
  labels: StreamLabels;
  values: Float64Array;
  present: Uint8Array;
}

const tooManySeries = (max: number): never => {
  throw new QueryParameterError('query', `the query yields more than ${max} series; narrow the selector or aggregate (sum by (…))`);
};

/** A metric query fed row by row; `matrix()` / `vector()` answer it. */
export class MetricQueryCollector {
  readonly stats: ScanStats = { linesProcessed: 0, bytesProcessed: 0 };
  private readonly q: MetricQuery;
  private readonly streams: StreamCache;
  private readonly line: (line: string) => boolean;
  private readonly counts = new Map<string, StreamCounts>();
  private readonly start: bigint;
  private readonly end: bigint;
  private readonly step: bigint;
  private readonly range: bigint;
  private readonly lastStep: number;
  private readonly maxSeries: number;

  constructor(q: MetricQuery, opts: RangeQueryOptions) {
    if (opts.step <= 0n) throw new RangeError('step must be positive');
    if (opts.end < opts.start) throw new RangeError('end must not be before start');
    this.q = q;
    this.streams = new StreamCache(logQueryOf(q));
    this.line = lineMatcher(q);
    this.start = opts.start;
    this.end = opts.end;
    this.step = opts.step;
    this.range = BigInt(rangeOf(q));
    this.lastStep = Number((opts.end - opts.start) / opts.step);
    if (this.lastStep > 11_000) throw new RangeError(`${this.lastStep + 1} points per series, more than 11001`);
    this.maxSeries = opts.maxSeries ?? MAX_SERIES;
  }

  add(row: LogRow): void {
    const ns = rowNanos(row);
    if (ns <= this.start - this.range || ns > this.end) return;
    const info = this.streams.of(row);
    if (!info.selected) return;
    const bytes = Buffer.byteLength(row.body, 'utf8');
    this.stats.linesProcessed++;
    this.stats.bytesProcessed += bytes;
    if (!this.line(row.body)) return;
    // The steps t_k = start + k·step with t_k − range < ns ≤ t_k.
    const lo = ceilDiv(ns - this.start, this.step);
    const hi = ceilDiv(ns + this.range - this.start, this.step) - 1n;
    const kLo = lo < 0n ? 0 : Number(lo);
    const kHi = hi > BigInt(this.lastStep) ? this.lastStep : Number(hi);
    if (kLo > kHi) return;
    let c = this.counts.get(info.key);
    if (c === undefined) {
      if (this.counts.size >= MAX_STREAMS) throw new QueryParameterError('query', `more than ${MAX_STREAMS} streams match; narrow the selector`);
      this.counts.set(info.key, (c = { info, diff: new Map() }));
    }
    bump(c.diff, kLo, 1, bytes);
    bump(c.diff, kHi + 1, -1, -bytes);
  }

  /** The answer as a matrix (range query). */
  matrix(): LokiMatrix {
    const out: LokiMatrix = [];
    for (const s of this.series(this.q)) {
      const values: [number, string][] = [];
      for (let k = 0; k <= this.lastStep; k++) {
        if (s.present[k]) values.push([secondsOf(this.start + BigInt(k) * this.step), formatSampleValue(s.values[k])]);
      }
      if (values.length > 0) out.push({ metric: s.labels, values });
    }
    return sortByLabels(out, (s) => s.metric);
  }

  /** The answer at the last step (instant query: start = end = time). */
  vector(): LokiVector {
    const t = secondsOf(this.start + BigInt(this.lastStep) * this.step);
    const out: LokiVector = [];
    for (const s of this.series(this.q)) {
      if (s.present[this.lastStep]) out.push({ metric: s.labels, value: [t, formatSampleValue(s.values[this.lastStep])] });
    }
    return sortByLabels(out, (s) => s.metric);
  }

  // The series of a (sub)query, one at a time.
  private *series(q: MetricQuery): Generator<DenseSeries> {
    if (q.kind === 'vector') {
      yield* this.aggregate(q);
      return;
    }
    if (this.q === q && this.counts.size > this.maxSeries) tooManySeries(this.maxSeries);
    const points = this.lastStep + 1;
    const rangeSeconds = Number(this.range) / 1e9;
    for (const { info, diff } of this.counts.values()) {
      const values = new Float64Array(points);
      const present = new Uint8Array(points);
      let rows = 0;
      let bytes = 0;
      for (let k = 0; k < points; k++) {
        const d = diff.get(k);
        if (d !== undefined) {
          rows += d[0];
          bytes += d[1];
        }
        if (rows === 0) continue;
        present[k] = 1;
        values[k] = q.fn === 'count_over_time' ? rows : q.fn === 'rate' ? rows / rangeSeconds : q.fn === 'bytes_over_time' ? bytes : bytes / rangeSeconds;
      }
      yield { labels: info.labels, values, present };
    }
  }

  private *aggregate(q: VectorAggregation): Generator<DenseSeries> {
    const points = this.lastStep + 1;
    interface Group {
      labels: StreamLabels;
      sum: Float64Array;
      n: Float64Array;
      min: Float64Array;
      max: Float64Array;
    }
    const groups = new Map<string, Group>();
    for (const s of this.series(q.inner)) {
      const labels = groupLabels(s.labels, q.grouping);
      const key = formatLabels(labels);
      let g = groups.get(key);
      if (g === undefined) {
        if (groups.size >= this.maxSeries) tooManySeries(this.maxSeries);
        g = { labels, sum: new Float64Array(points), n: new Float64Array(points), min: new Float64Array(points).fill(Infinity), max: new Float64Array(points).fill(-Infinity) };
        groups.set(key, g);
      }
      for (let k = 0; k < points; k++) {
        if (!s.present[k]) continue;
        const v = s.values[k];
        g.sum[k] += v;
        g.n[k]++;
        if (v < g.min[k]) g.min[k] = v;
        if (v > g.max[k]) g.max[k] = v;
      }
    }
    for (const g of groups.values()) {
      const values = new Float64Array(points);
      const present = new Uint8Array(points);
      for (let k = 0; k < points; k++) {
        if (g.n[k] === 0) continue;
        present[k] = 1;
        values[k] = q.op === 'sum' ? g.sum[k] : q.op === 'count' ? g.n[k] : q.op === 'min' ? g.min[k] : q.op === 'max' ? g.max[k] : g.sum[k] / g.n[k];
      }
      yield { labels: g.labels, values, present };
    }
  }
}

function bump(diff: Map<number, [number, number]>, k: number, rows: number, bytes: number): void {
  const d = diff.get(k);
  if (d === undefined) diff.set(k, [rows, bytes]);
  else {
    d[0] += rows;
    d[1] += bytes;
  }
}

function groupLabels(labels: StreamLabels, grouping: VectorAggregation['grouping']): StreamLabels {
  const out: StreamLabels = {};
  if (grouping === undefined) return out;
  if (grouping.without) {
    for (const [k, v] of Object.entries(labels)) if (!grouping.labels.includes(k)) out[k] = v;
  } else {
    for (const k of grouping.labels) if (labels[k] !== undefined) out[k] = labels[k];
  }
  return out;
}

function sortByLabels<T>(items: T[], labelsOf: (item: T) => StreamLabels): T[] {
  const keyed = items.map((item) => [formatLabels(labelsOf(item)), item] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return keyed.map(([, item]) => item);
}

/** A ns time as Loki writes sample times: seconds since the epoch with ms precision (a JSON number). */
export function secondsOf(ns: bigint): number {
  const ms = ns >= 0n ? ns / NS_PER_MS : -((-ns + NS_PER_MS - 1n) / NS_PER_MS);
  return Number(ms) / 1000;
}

/** A sample value as Prometheus and Loki write it: Go's strconv.FormatFloat(v, 'f', -1, 64) — shortest, no exponent. */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const text = String(v);
  const e = text.indexOf('e');
  if (e < 0) return text;
  // Expand d.ddde±x to plain decimal digits.
  const negative = text.startsWith('-');
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const [intPart, fracPart = ''] = mantissa.split('.');
  const digits = intPart + fracPart;
  const point = intPart.length + exponent;
  let plain: string;
  if (point <= 0) plain = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) plain = digits + '0'.repeat(point - digits.length);
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${plain}` : plain;
}

/** Answers a metric query over `rows` at start, start + step, … ≤ end. */
export function runRangeQuery(q: MetricQuery, rows: Iterable<LogRow>, opts: RangeQueryOptions): LokiMatrix {
  const c = new MetricQueryCollector(q, opts);
  for (const row of rows) c.add(row);
  return c.matrix();
}

/** Answers a metric query over `rows` at one time. */
export function runInstantQuery(q: MetricQuery, rows: Iterable<LogRow>, opts: InstantQueryOptions): LokiVector {
  const c = new MetricQueryCollector(q, { start: opts.time, end: opts.time, step: 1n, maxSeries: opts.maxSeries });
  for (const row of rows) c.add(row);
  return c.vector();
}
