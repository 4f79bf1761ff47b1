// `otlp_metrics`: one item per metric data point, keyed by series id, at the point's time.
import type { MetricPoint } from '../../otlp/index.ts';
import { otlpMetricPoints, pointValue } from '../../sources/index.ts';
import type { SourceComponent } from '../component.ts';
import { otlpSourceOptions } from './otlpOptions.ts';

const options = otlpSourceOptions('otlp_metrics');

/** Metric points of an OTLP metrics topic. */
export const otlpMetricsSource: SourceComponent<typeof options, MetricPoint> = {
  description: 'metric data points, keyed by series id',
  options,
  fields: {
    name: (p) => p.metric.name,
    metricType: (p) => p.type,
    attributes: (p) => p.attributes,
    resource: (p) => p.resource.attributes,
    // The key is the series id: a point of that series at the same instant is the same point.
    identity: (p) => `${p.type}:${p.timeNanos}`,
    numbers: {
      value: pointValue,
      count: (p) => ('count' in p ? p.count : undefined),
      sum: (p) => ('sum' in p ? p.sum : undefined),
    },
  },
  create: (o) => otlpMetricPoints(o.topic, o.encoding),
};
