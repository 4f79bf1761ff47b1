// The first rollup level written in the TypeScript DSL (as docs/metrics.md shows it) declares what the YAML file does.
import { describe, expect, it } from 'vitest';
import { topology } from '../../runtime/index.ts';
import { otlpMetricPoints } from '../../sources/index.ts';
import { tumblingWindows } from '../windows.ts';
import { metricAggregator, rollupCodec, seriesCatalog, toRollupRecord } from './index.ts';

describe('the metrics rollup in the DSL', () => {
  it('declares its stores, a co-partitioned rollup topic, the compacted catalog and a prepare step', () => {
    const metric = metricAggregator();
    const codec = rollupCodec('otlp.rollup.1m');
    const built = topology('metrics-rollup')
      .stream(otlpMetricPoints('otlp_metrics'))
      .process(seriesCatalog({ store: 'series', topic: 'otlp.series', staleness: 3_600_000, refresh: 300_000, maxSeriesPerMetric: 2000 }))
      .windowedBy(tumblingWindows(60_000), { grace: 10_000 })
      .aggregate(metric, { store: 'rollup-1m', serde: metric.serde! })
      .to('otlp.rollup.1m', { value: (r) => codec.encode(toRollupRecord(r)!), prepare: (config) => codec.prepare(config), partition: 'input' })
      .build();
    expect(built.stores.map((s) => s.name)).toEqual(['series', 'rollup-1m']);
    expect(built.outputs).toEqual(
      expect.arrayContaining([
        { topic: 'otlp.series', compacted: true },
        { topic: 'otlp.rollup.1m', coPartitioned: true },
      ]),
    );
    expect(built.prepare).toBeTypeOf('function');
  });
});
