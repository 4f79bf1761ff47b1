// The gateway's Prometheus metrics, in a registry of its own so several gateways can live in one process (tests).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric the gateway exports on /metrics. */
export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<'signal' | 'transport' | 'outcome'>;
  items: Counter<'signal'>;
  bytes: Counter<'signal'>;
  records: Counter<'signal'>;
  rejections: Counter<'signal' | 'reason'>;
  produceSeconds: Histogram<'signal'>;
  inflightBytes: Gauge;
}

/** Creates the metrics; `inflight` reports the limiter's current use at scrape time. */
export function createGatewayMetrics(inflight: () => number): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({ name: 'otlp_ingest_requests_total', help: 'Export requests by signal, transport and outcome', labelNames: ['signal', 'transport', 'outcome'], registers }),
    items: new Counter({ name: 'otlp_ingest_items_total', help: 'Spans, data points and log records accepted', labelNames: ['signal'], registers }),
    bytes: new Counter({ name: 'otlp_ingest_bytes_total', help: 'Request bytes received (after decompression)', labelNames: ['signal'], registers }),
    records: new Counter({ name: 'otlp_ingest_records_total', help: 'Kafka records produced', labelNames: ['signal'], registers }),
    rejections: new Counter({ name: 'otlp_ingest_rejections_total', help: 'Requests or items refused, by reason', labelNames: ['signal', 'reason'], registers }),
    produceSeconds: new Histogram({
      name: 'otlp_ingest_produce_seconds',
      help: 'Time from a request ready to produce until Kafka acknowledged all its records',
      labelNames: ['signal'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    inflightBytes: new Gauge({
      name: 'otlp_ingest_inflight_bytes',
      help: 'Bytes of requests being handled',
      registers,
      collect() {
        this.set(inflight());
      },
    }),
  };
}
