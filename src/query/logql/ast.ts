// The LogQL subset we answer (docs/query.md, Loki-compatible): stream selectors, line filters, the range functions
// count_over_time / rate / bytes_over_time / bytes_rate and the vector aggregations sum / count / min / max / avg.
import type { Regex } from '../traceql/regex.ts';

export type MatchOperator = '=' | '!=' | '=~' | '!~';

/** One `name op "value"` of a stream selector; `regex` is the fully anchored compiled value of =~ and !~. */
export interface LabelMatcher {
  name: string;
  op: MatchOperator;
  value: string;
  regex?: Regex;
}

export type LineFilterOperator = '|=' | '!=' | '|~' | '!~';

/** One line filter; `regex` (|~ and !~) matches anywhere in the line, as Loki's do. */
export interface LineFilter {
  op: LineFilterOperator;
  value: string;
  regex?: Regex;
}

/** `{selector} |= "…" …`: log lines. */
export interface LogQuery {
  kind: 'log';
  matchers: LabelMatcher[];
  filters: LineFilter[];
}

export const RANGE_FUNCTIONS = ['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate'] as const;
export type RangeFunction = (typeof RANGE_FUNCTIONS)[number];

/** `count_over_time(<log query>[5m])` and its kin: one series per stream. */
export interface RangeAggregation {
  kind: 'range';
  fn: RangeFunction;
  query: LogQuery;
  /** The range in ns (the `[5m]`). */
  rangeNanos: number;
}

export const VECTOR_OPERATORS = ['sum', 'count', 'min', 'max', 'avg'] as const;
export type VectorOperator = (typeof VECTOR_OPERATORS)[number];

/** `sum by (a) (…)`: series grouped by labels; `grouping` absent means one group of all series, with no labels. */
export interface VectorAggregation {
  kind: 'vector';
  op: VectorOperator;
  grouping?: { without: boolean; labels: string[] };
  inner: MetricQuery;
}

export type MetricQuery = RangeAggregation | VectorAggregation;
export type LogQLQuery = LogQuery | MetricQuery;

/** The log query a metric query counts over. */
export function logQueryOf(q: LogQLQuery): LogQuery {
  while (q.kind !== 'log') q = q.kind === 'range' ? q.query : q.inner;
  return q;
}

/** The range (ns) of the range aggregation inside a metric query. */
export function rangeOf(q: MetricQuery): number {
  while (q.kind === 'vector') q = q.inner;
  return q.rangeNanos;
}
