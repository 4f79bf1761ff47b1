// A rollup partial (one series, one window) as one InfluxDB point: the metric's name as measurement, a bounded set
// of attributes (and the tenant, and optionally the series id) as tags, one field per aggregate of the window, stamped
// with the window's end. Escaping is the client library's (Point.toLineProtocol); `lineSafe` removes what no escaping
// can carry (docs/sinks.md, "InfluxDB line protocol").
import { Point } from '@influxdata/influxdb-client';
import { metricValues, type PartialItem } from '../../operators/metrics/metric.ts';
import { idOf, tenantOf } from '../../otlp/tenant.ts';
import { attributeString, formatFloat } from '../prometheus/naming.ts';

export interface InfluxTranslationOptions {
  /** Attributes that become tags, looked up in the point's attributes, then the resource's. */
  tags: readonly string[];
  /** The tag the tenant becomes (none for the default tenant ''). */
  tenantTag: string;
  /** Add the series id as tag `series`, so series that differ only outside `tags` stay apart. */
  seriesTag: boolean;
  /** Quantiles reported as fields p50, p90, … (gauges and histograms). */
  quantiles: readonly number[];
}

export const DEFAULT_TAGS: readonly string[] = ['service.name', 'service.namespace', 'service.instance.id', 'host.name', 'deployment.environment'];

export const DEFAULT_INFLUX_TRANSLATION: InfluxTranslationOptions = { tags: DEFAULT_TAGS, tenantTag: 'tenant', seriesTag: true, quantiles: [0.5, 0.9, 0.95, 0.99] };

/**
 * A name or tag made safe for line protocol, whatever parses it: control characters become `_`, and so does a
 * backslash followed by another backslash, a comma, `=`, a space or the end (parsers disagree on those); the
 * library escapes the rest (comma, `=`, space).
 */
export function lineSafe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]/g, '_').replace(/\\(?=[\\, =]|$)/g, '_');
}

/** The field a quantile becomes: 0.5 → p50, 0.999 → p99_9. */
export function quantileField(q: number): string {
  return `p${formatFloat(Math.round(q * 1e8) / 1e6).replace('.', '_')}`;
}

/** The point of one rollup partial; undefined when it has no finite value to write. */
export function rollupPoint(item: PartialItem, key: string | null, options: InfluxTranslationOptions = DEFAULT_INFLUX_TRANSLATION): Point | undefined {
  const { partial, window } = item;
  const identity = partial.identity;
  if (identity === undefined || partial.kind === undefined) return undefined;
  if (window === undefined) throw new Error('a rollup partial without its window: the influx sink reads items of an otlp_rollup source');
  const point = new Point(lineSafe(identity.metric.name));
  for (const tag of options.tags) {
    const a = identity.attributes.find((x) => x.key === tag) ?? identity.resource.find((x) => x.key === tag);
    const value = a === undefined ? '' : lineSafe(attributeString(a));
    if (value !== '') point.tag(lineSafe(tag), value);
  }
  const tenant = tenantOf(key) ?? '';
  if (tenant !== '') point.tag(options.tenantTag, lineSafe(tenant));
  if (options.seriesTag && key !== null) point.tag('series', lineSafe(idOf(key)));

  const v = metricValues(partial, options.quantiles);
  let fields = 0;
  const float = (name: string, n: number | null) => {
    if (n === null || !Number.isFinite(n)) return;
    point.floatField(name, n);
    fields++;
  };
  const int = (name: string, n: number | null) => {
    if (n === null) return;
    point.intField(name, n);
    fields++;
  };
  int('points', v.points);
  int('count', v.count);
  float('sum', v.sum);
  float('min', v.min);
  float('max', v.max);
  float('avg', v.avg);
  float('last', v.last);
  float('increase', v.increase);
  float('rate', v.rate);
  int('resets', v.resets);
  for (const q of v.quantiles) float(quantileField(q.quantile), q.value);
  if (fields === 0) return undefined;
  return point.timestamp(window.end);
}
