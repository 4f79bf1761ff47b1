// `influx`: rollup records as InfluxDB line protocol through the v2 write API — InfluxDB 2.x, or VictoriaMetrics'
// InfluxDB endpoint (docs/sinks.md, "InfluxDB line protocol").
import { z } from 'zod';
import type { PartialItem } from '../../operators/metrics/metric.ts';
import { DEFAULT_INFLUX_TRANSLATION, rollupPoint } from '../../sinks/influx/fromRollup.ts';
import { influxSink } from '../../sinks/influx/influxSink.ts';
import type { SinkComponent } from '../component.ts';

// eslint-disable-next-line no-control-regex
const tagName = z.string().min(1).regex(/^[^\\\u0000-\u001f]+$/, 'expected a tag name without backslashes or control characters');

const options = z.strictObject({
  /** The sink's name (metrics, logs, dead letters, `--sink-target`). */
  name: z.string().min(1).default('influx'),
  /** The server the default URL names: the config's influx.url (INFLUX_URL) or victoriaMetrics.url (VM_URL). */
  server: z.enum(['influxdb', 'victoriametrics']).default('influxdb'),
  /** Overrides the server's URL from the config. */
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  /** Default: the config's influx.org / influx.bucket / influx.token. */
  org: z.string().min(1).optional(),
  bucket: z.string().min(1).optional(),
  token: z.string().optional(),
  /** Attributes (point, then resource) that become tags: a bounded set, so tag cardinality stays what you chose. */
  tags: z.array(tagName).max(32, 'expected at most 32 tags').default([...DEFAULT_INFLUX_TRANSLATION.tags]),
  /** The tag the tenant becomes; the default tenant '' adds none. */
  tenant_tag: tagName.default('tenant'),
  /** Tag each point with its series id, so series that differ only in attributes outside `tags` never overwrite each other. */
  series_tag: z.boolean().default(true),
  /** Quantiles written as fields p50, p90, … for gauges and histograms. */
  quantiles: z.array(z.number().min(0).max(1)).default([...DEFAULT_INFLUX_TRANSLATION.quantiles]),
});

/** Rollup partials as points: measurement = metric name, tags from `tags` + tenant, one field per aggregate, time = window end. */
export const influxSinkComponent: SinkComponent<typeof options> = {
  description: 'InfluxDB line protocol (v2 write API) of rollup records; VictoriaMetrics speaks it too',
  options,
  name: (o) => o.name,
  sources: ['otlp_rollup'],
  create(o) {
    const translation = { tags: o.tags, tenantTag: o.tenant_tag, seriesTag: o.series_tag, quantiles: o.quantiles };
    return {
      spec: influxSink({ name: o.name, server: o.server, url: o.url, org: o.org, bucket: o.bucket, token: o.token }),
      row: (item, key) => rollupPoint(item as PartialItem, key, translation)?.toLineProtocol({ convertTime: (t) => (t === undefined ? undefined : String(t)) }) ?? '',
    };
  },
};
