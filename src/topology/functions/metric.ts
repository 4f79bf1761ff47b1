// `metric`: aggregates metric points of every OTLP type per series and window — or, on a rollup topic, merges the
// partials of the level below — into self-describing Rollup records (docs/metrics.md).
import { metricAggregator, metricValues, type MetricPartial } from '../../operators/metrics/metric.ts';
import { rollupCodec, toRollupRecord } from '../../operators/metrics/rollupRecord.ts';
import type { AggregateFunction } from '../component.ts';

const NUMBERS = ['points', 'count', 'sum', 'min', 'max', 'avg', 'last', 'increase', 'rate'] as const;

/** Per-type aggregation of metric points (or merging of rollup partials). */
export const metricFunction: AggregateFunction<MetricPartial> = {
  description: 'per-type aggregation of metric points (gauge, sum, histogram, exponential histogram, summary), or the merge of a lower level’s partials',
  needsField: false,
  takesQuantiles: true,
  fields: { points: 'bigint', count: 'bigint', sum: 'double precision', min: 'double precision', max: 'double precision', avg: 'double precision', last: 'double precision', increase: 'double precision', rate: 'double precision' },
  create: (_select, settings) => metricAggregator({ sketch: settings.quantiles === undefined || settings.quantiles.length > 0 }) as never,
  values(partial) {
    const v = metricValues(partial, []);
    return Object.fromEntries(NUMBERS.map((n) => [n, v[n]]));
  },
  avro: {
    codec: rollupCodec,
    record(result, settings) {
      const record = toRollupRecord(result, settings.quantiles);
      if (record === undefined) throw new Error(`window ${result.window.start} of ${result.key} has no points`);
      return record;
    },
  },
};
