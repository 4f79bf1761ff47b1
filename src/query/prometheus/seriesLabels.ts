// A catalog series (schemas/avro/Series.avsc) as the Prometheus series our remote-write sink writes for it, so the
// metadata endpoints and the data in Prometheus agree: the names and labels come from the sink's own translation
// (src/sinks/prometheus/fromRollup.ts), never from a second copy of its rules.
//
// What a catalog series lists (docs/query-prometheus.md, "Series"):
//   - one series per metric name the metric's kind writes: `x` for gauges and sums (`_total` for monotonic
//     cumulative sums), `x_bucket`, `x_sum`, `x_count` for histograms (`x_sum`, `x_count` for exponential ones),
//     `x`, `x_sum`, `x_count` for summaries — each its own series name, as Prometheus lists them;
//   - `le` and `quantile` are data (bucket bounds and quantiles of the points), not identity: `x_bucket` and a
//     summary's `x` are listed once, without them;
//   - the resource's `target_info` series, shared by every series of that resource (and tenant).
import { fromAvroIdentity, type AvroSeriesIdentity } from '../../operators/metrics/identity.ts';
import { metricKind } from '../../operators/metrics/metric.ts';
import { tenantOf } from '../../otlp/tenant.ts';
import { DEFAULT_TRANSLATION, identityLabels, kindSeriesNames, targetInfoLabels, type RollupTranslationOptions } from '../../sinks/prometheus/fromRollup.ts';

/** A Prometheus label set, sorted by label name, `__name__` included. */
export type LabelPairs = ReadonlyArray<readonly [name: string, value: string]>;

const byName = (a: readonly [string, string], b: readonly [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The tenant a catalog key belongs to ('' for a series without one). */
export function catalogTenant(key: string): string {
  return tenantOf(key) ?? '';
}

/** The Prometheus series (label sets) the remote-write sink writes for a catalog series with this key and identity. */
export function prometheusSeriesOf(key: string, identity: AvroSeriesIdentity, options: RollupTranslationOptions = DEFAULT_TRANSLATION): LabelPairs[] {
  const tenant = catalogTenant(key);
  const model = fromAvroIdentity(identity);
  const kind = metricKind({ type: model.metric.type, metric: model.metric });
  const common = identityLabels(model, tenant, options);
  const out: LabelPairs[] = [];
  const info = targetInfoLabels(model, tenant, options);
  if (info !== undefined) out.push([...info].sort(byName));
  for (const { name } of kindSeriesNames(kind, model.metric)) {
    const labels = new Map(common);
    labels.set('__name__', name);
    out.push([...labels].sort(byName));
  }
  return out;
}
