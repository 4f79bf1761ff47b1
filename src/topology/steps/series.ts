// `series`: catalogs the series of metric points in the compacted otlp.series topic, bounds each metric's series
// (new ones past the limit fold into an overflow series) and forgets series gone stale. Before the 1m window.
import { z } from 'zod';
import { seriesCatalog } from '../../operators/metrics/seriesCatalog.ts';
import { componentLogger } from '../../log.ts';
import type { StepComponent } from '../component.ts';
import { positiveDuration } from '../duration.ts';
import { storeName, topicName } from '../names.ts';

const options = z
  .strictObject({
    /** The compacted catalog topic. */
    topic: topicName.default('otlp.series'),
    /** A series not seen for this long (stream time) is forgotten: its slot under the limit frees up. */
    staleness: positiveDuration.default(3_600_000),
    /** How often a live series' last-seen time is refreshed in the catalog. */
    refresh: positiveDuration.default(300_000),
    /** Series per metric name (and tenant) before new ones fold into `otel.metric.overflow=true`. */
    max_series_per_metric: z.int().positive().default(2000),
    /** Names the changelog topic `<application>-<store>-changelog`. */
    store: storeName.default('series'),
  })
  .refine((o) => o.refresh < o.staleness, { path: ['refresh'], message: 'refresh must be shorter than staleness' });

const log = componentLogger('series');

/** Catalogs metric series and applies the per-metric cardinality limit. */
export const seriesStep: StepComponent<typeof options> = {
  options,
  follows: ['items'],
  misplaced: 'series catalogs metric points, so it must come before the window step',
  output: () => 'items',
  claims: (o) => [`store "${o.store}"`],
  check: (_o, ctx) => (ctx.sourceType === 'otlp_rollup' ? [{ path: [], message: 'series belongs to the first level (metric points); a rollup topic is catalogued already' }] : []),
  apply(stage, o) {
    if (stage.kind !== 'items') throw new Error(this.misplaced);
    const catalog = seriesCatalog({
      store: o.store,
      topic: o.topic,
      staleness: o.staleness,
      refresh: o.refresh,
      maxSeriesPerMetric: o.max_series_per_metric,
      onOverflow: (metric, limit) => log.warn({ metric, limit }, 'metric has more series than its limit: new series fold into the otel.metric.overflow=true series'),
    });
    return { kind: 'items', stream: stage.stream.process(catalog as never) };
  },
};
