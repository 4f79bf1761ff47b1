// Span metrics and the service graph: spans → delta metric points for the rollup chain.
export { bucketIndex, type SeriesPoint } from './points.ts';
export {
  DEFAULT_DURATION_BUCKETS_MS,
  DEFAULT_SPAN_METRICS_NAMESPACE,
  SPAN_METRICS_SCOPE,
  spanMetrics,
  spanMetricsProcessor,
  type SpanMetricsDimension,
  type SpanMetricsOptions,
} from './spanMetrics.ts';
export {
  DEFAULT_DATABASE_NAME_ATTRIBUTES,
  DEFAULT_LATENCY_BUCKETS_S,
  DEFAULT_PEER_ATTRIBUTES,
  DEFAULT_SERVICE_GRAPH_WAIT_MS,
  SERVICE_GRAPH_METRICS,
  SERVICE_GRAPH_SCOPE,
  serviceGraph,
  type PendingEdge,
  type ServiceGraphOptions,
} from './serviceGraph.ts';
