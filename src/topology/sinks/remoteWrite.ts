// `remote_write`: rollup records sent to Prometheus (or VictoriaMetrics) with remote write 1.0, named the way the
// Collector's prometheusremotewrite exporter names OTLP metrics (docs/sinks.md, "Prometheus remote write").
import { z } from 'zod';
import type { PartialItem } from '../../operators/metrics/metric.ts';
import { rollupTimeSeries } from '../../sinks/prometheus/fromRollup.ts';
import { rollupRemoteWriteSink } from '../../sinks/prometheus/rollupSink.ts';
import type { SinkComponent } from '../component.ts';

const options = z.strictObject({
  /** The sink's name (metrics, logs, dead letters, `--sink-target`). */
  name: z.string().min(1).default('remote_write'),
  /** Default: the config's Prometheus (PROM_REMOTE_WRITE_URL, else PROM_URL + /api/v1/write). */
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  /** Probed while the circuit breaker is open; default /-/ready on the same server when the path is /api/v1/write, else none. */
  ready_url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  /** The label the tenant becomes; the default tenant '' adds none. */
  tenant_label: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a Prometheus label name').default('tenant'),
  /** Resource attributes as labels of every series too (the Collector's resource_to_telemetry_conversion). */
  resource_to_labels: z.boolean().default(false),
});

/** Rollup partials as remote-write series: one sample per series at each window's end. */
export const remoteWriteSinkComponent: SinkComponent<typeof options> = {
  description: 'Prometheus remote write 1.0 of rollup records (Collector naming; samples at window end)',
  options,
  name: (o) => o.name,
  sources: ['otlp_rollup'],
  create(o) {
    const translation = { tenantLabel: o.tenant_label, resourceToLabels: o.resource_to_labels };
    return {
      spec: rollupRemoteWriteSink({ name: o.name, url: o.url, readyUrl: o.ready_url }),
      row: (item, key) => rollupTimeSeries(item as PartialItem, key, translation),
    };
  },
};
