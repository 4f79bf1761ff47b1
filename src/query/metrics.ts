// The query service's Prometheus metrics, in a registry of its own so several replicas can live in one process (tests).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric the query service exports on /metrics. */
export interface QueryMetrics {
  registry: Registry;
  records: Counter<'topic'>;
  spans: Counter;
  poison: Counter<'topic'>;
  lag: Gauge<'topic' | 'partition'>;
  catchUpSeconds: Gauge;
  ready: Gauge;
  storeBytes: Gauge;
  requests: Counter<'route' | 'status'>;
  requestSeconds: Histogram<'route'>;
  peerFailures: Counter<'peer'>;
}

/** Creates the metrics; `storeBytes` reports the store's size at scrape time. */
export function createQueryMetrics(storeBytes: () => number): QueryMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    records: new Counter({ name: 'otlp_query_records_applied_total', help: 'Records of otlp.traces, otlp.index and otlp.series applied to the store', labelNames: ['topic'], registers }),
    spans: new Counter({ name: 'otlp_query_spans_applied_total', help: 'Spans in the otlp.traces records applied', registers }),
    poison: new Counter({ name: 'otlp_query_poison_records_total', help: 'Records that could not be read (skipped)', labelNames: ['topic'], registers }),
    lag: new Gauge({ name: 'otlp_query_lag_records', help: 'Offsets between the last applied record and the partition end', labelNames: ['topic', 'partition'], registers }),
    catchUpSeconds: new Gauge({ name: 'otlp_query_catch_up_seconds', help: 'Seconds from start until the end offsets seen at start were reached', registers }),
    ready: new Gauge({ name: 'otlp_query_ready', help: '1 once caught up (readyz 200)', registers }),
    storeBytes: new Gauge({
      name: 'otlp_query_store_bytes',
      help: 'Bytes of the LMDB environment in use',
      registers,
      collect() {
        this.set(storeBytes());
      },
    }),
    requests: new Counter({ name: 'otlp_query_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers }),
    requestSeconds: new Histogram({
      name: 'otlp_query_request_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    peerFailures: new Counter({ name: 'otlp_query_peer_failures_total', help: 'Fan-out requests to a peer that failed', labelNames: ['peer'], registers }),
  };
}
