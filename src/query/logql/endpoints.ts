// One function per Loki endpoint, independent of the transport: each takes the request's parameters (query string,
// or a POST form merged in), a source of log rows and the current time, and returns the JSON body. Bad parameters
// throw QueryParameterError (→ 400 naming the parameter). The route layer only picks the tenant's rows and replies.
//
// The row source gets what to read (ScanRequest): the time range and the log query whose selector and filters the
// rows must pass — a hint for using an index; every row it yields is checked again, so a superset is correct.
import { logQueryOf, type LogQuery } from './ast.ts';
import {
  LogQueryCollector, MetricQueryCollector, logScanRange, metricScanRange, rowNanos, selectorMatcher, type ScanRange,
} from './evaluate.ts';
import { labelsResponse, lokiStats, matrixResponse, streamsResponse, vectorResponse, type LokiLabelsResponse, type LokiQueryResponse } from './format.ts';
import { streamLabels } from './labels.ts';
import { parseInstantQueryParams, parseLabelParams, parseQueryRangeParams } from './params.ts';
import type { LogRow } from '../../logs/model.ts';

/** What a row source is asked for: rows with start ≤ t < end (ns) that may pass `query` (selector, filters). */
export interface ScanRequest extends ScanRange {
  query?: LogQuery;
}

/** The rows of a tenant for a scan (sync or async). */
export type LogRowSource = (scan: ScanRequest) => Iterable<LogRow> | AsyncIterable<LogRow>;

/** Options of every endpoint: `nowMs` for the time defaults, `clock` (ms) to time the query for stats. */
export interface EndpointOptions {
  nowMs: number;
  clock?: () => number;
}

async function feed(rows: Iterable<LogRow> | AsyncIterable<LogRow>, add: (row: LogRow) => void): Promise<void> {
  if (Symbol.asyncIterator in rows) {
    for await (const row of rows) add(row);
  } else {
    for (const row of rows) add(row);
  }
}

/** GET /loki/api/v1/query_range: streams for a log query, a matrix for a metric query. */
export async function queryRange(params: URLSearchParams, rows: LogRowSource, opts: EndpointOptions): Promise<LokiQueryResponse> {
  const began = opts.clock?.();
  const p = parseQueryRangeParams(params, opts.nowMs);
  const elapsed = () => (began === undefined ? 0 : (opts.clock!() - began) / 1000);
  if (p.query.kind === 'log') {
    const c = new LogQueryCollector(p.query, p);
    await feed(rows({ ...logScanRange(p), query: p.query }), (row) => c.add(row));
    const result = c.result();
    return streamsResponse(result, lokiStats(c.stats, result.reduce((n, s) => n + s.values.length, 0), elapsed()));
  }
  const c = new MetricQueryCollector(p.query, p);
  await feed(rows({ ...metricScanRange(p.query, p), query: logQueryOf(p.query) }), (row) => c.add(row));
  const result = c.matrix();
  return matrixResponse(result, lokiStats(c.stats, result.reduce((n, s) => n + s.values.length, 0), elapsed()));
}

/** GET /loki/api/v1/query: a vector for a metric query at `time` (log queries → QueryParameterError on `query`). */
export async function instantQuery(params: URLSearchParams, rows: LogRowSource, opts: EndpointOptions): Promise<LokiQueryResponse> {
  const began = opts.clock?.();
  const p = parseInstantQueryParams(params, opts.nowMs);
  const c = new MetricQueryCollector(p.query, { start: p.time, end: p.time, step: 1n });
  await feed(rows({ ...metricScanRange(p.query, { start: p.time, end: p.time }), query: logQueryOf(p.query) }), (row) => c.add(row));
  const result = c.vector();
  return vectorResponse(result, lokiStats(c.stats, result.length, began === undefined ? 0 : (opts.clock!() - began) / 1000));
}

// The stream labels of rows in [start, end] (Loki's label range is inclusive) that the selector accepts.
async function eachStream(params: URLSearchParams, rows: LogRowSource, opts: EndpointOptions, visit: (labels: Record<string, string>) => void): Promise<void> {
  const p = parseLabelParams(params, opts.nowMs);
  const select = p.selector === undefined ? () => true : selectorMatcher(p.selector);
  const scan: ScanRequest = { start: p.start, end: p.end + 1n };
  if (p.selector !== undefined) scan.query = p.selector;
  await feed(rows(scan), (row) => {
    const t = rowNanos(row);
    if (t < p.start || t > p.end) return;
    const labels = streamLabels(row);
    if (select(labels)) visit(labels);
  });
}

/** GET /loki/api/v1/labels: the label names of the streams in the range, sorted. */
export async function labels(params: URLSearchParams, rows: LogRowSource, opts: EndpointOptions): Promise<LokiLabelsResponse> {
  const names = new Set<string>();
  await eachStream(params, rows, opts, (l) => {
    for (const n of Object.keys(l)) names.add(n);
  });
  return labelsResponse([...names].sort());
}

/** GET /loki/api/v1/label/<name>/values: the values of one label over the streams in the range, sorted. */
export async function labelValues(name: string, params: URLSearchParams, rows: LogRowSource, opts: EndpointOptions): Promise<LokiLabelsResponse> {
  const values = new Set<string>();
  await eachStream(params, rows, opts, (l) => {
    const v = l[name];
    if (v !== undefined) values.add(v);
  });
  return labelsResponse([...values].sort());
}
