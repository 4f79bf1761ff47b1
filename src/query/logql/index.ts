// LogQL subset and Loki's HTTP API shapes: parse → evaluate over log rows → Loki's JSON (docs/query.md).
export type {
  LabelMatcher, LineFilter, LineFilterOperator, LogQLQuery, LogQuery, MatchOperator, MetricQuery, RangeAggregation, RangeFunction,
  VectorAggregation, VectorOperator,
} from './ast.ts';
export { logQueryOf, rangeOf, RANGE_FUNCTIONS, VECTOR_OPERATORS } from './ast.ts';
export { LogQLError, MAX_QUERY_DEPTH, MAX_QUERY_LENGTH, MAX_RANGE_NANOS, parseLogQL, parseSelector } from './parse.ts';
export { formatLabels, labelName, streamKey, streamLabels, type StreamLabels } from './labels.ts';
export {
  formatSampleValue, lineMatcher, LogQueryCollector, logScanRange, MAX_SERIES, MAX_STREAMS, MetricQueryCollector, metricScanRange, rowNanos,
  runInstantQuery, runLogQuery, runRangeQuery, secondsOf, selectorMatcher,
  type Direction, type InstantQueryOptions, type LogQueryOptions, type LokiMatrix, type LokiSample, type LokiSeries, type LokiStream,
  type LokiStreams, type LokiVector, type RangeQueryOptions, type ScanRange, type ScanStats,
} from './evaluate.ts';
export {
  DEFAULT_LIMIT, MAX_LIMIT, MAX_POINTS, parseInstantQueryParams, parseLabelParams, parseLokiDuration, parseLokiTime, parsePrometheusDuration,
  parseQueryRangeParams, type InstantQueryParams, type LabelParams, type QueryRangeParams,
} from './params.ts';
export {
  labelsResponse, lokiStats, matrixResponse, streamsResponse, vectorResponse, type LokiLabelsResponse, type LokiQueryData, type LokiQueryResponse,
  type LokiStats,
} from './format.ts';
export { instantQuery, labels, labelValues, queryRange, type EndpointOptions, type LogRowSource, type ScanRequest } from './endpoints.ts';
