// Aggregation per OTLP metric type: pure, mergeable aggregators (see docs/metrics.md).
export { DEFAULT_QUANTILES, emptyGauge, gaugeAggregator, gaugeResult, gaugeSerde, mergeGauges } from './gauge.ts';
export type { GaugeAggregate, GaugeResult, NumberPointFields, TimedValue } from './gauge.ts';
export {
  compactCumulativeSum,
  cumulativeSumAggregator,
  cumulativeSumResult,
  cumulativeSumSerde,
  deltaSumAggregator,
  deltaSumSerde,
  sumAggregateKind,
  upDownSumAggregator,
  upDownSumSerde,
} from './sum.ts';
export type { CumulativePoint, CumulativeRun, CumulativeSumAggregate, CumulativeSumResult, DeltaSumAggregate, UpDownSumAggregate } from './sum.ts';
export { histogramAggregator, histogramQuantile, histogramResult, histogramSerde, isCumulative, MAX_BOUNDS_GROUPS } from './histogram.ts';
export type { HistogramAggregate, HistogramBuckets, HistogramPointFields, HistogramResult } from './histogram.ts';
export {
  exponentialHistogramAggregator,
  exponentialHistogramQuantile,
  exponentialHistogramResult,
  exponentialHistogramSerde,
  MAX_BUCKETS,
} from './exponentialHistogram.ts';
export type {
  ExponentialBucketRun,
  ExponentialHistogramAggregate,
  ExponentialHistogramPointFields,
  ExponentialHistogramResult,
} from './exponentialHistogram.ts';
export {
  compactCumulativeHistogram,
  cumulativeHistogramAggregator,
  cumulativeHistogramResult,
  cumulativeHistogramSerde,
} from './cumulativeHistogram.ts';
export type { CumulativeHistogramAggregate, CumulativeHistogramPointFields, CumulativeHistogramResult, HistogramSnapshot } from './cumulativeHistogram.ts';
export {
  compactCumulativeExponentialHistogram,
  cumulativeExponentialHistogramAggregator,
  cumulativeExponentialHistogramResult,
  cumulativeExponentialHistogramSerde,
} from './cumulativeExponentialHistogram.ts';
export type {
  CumulativeExponentialHistogramAggregate,
  CumulativeExponentialHistogramPointFields,
  CumulativeExponentialHistogramResult,
  ExponentialSnapshot,
} from './cumulativeExponentialHistogram.ts';
export { MAX_RUNS } from './cumulativeRuns.ts';
export type { Run, Runs } from './cumulativeRuns.ts';
export { summaryPointAggregator, summaryPointSerde } from './summary.ts';
export type { SummaryPointAggregate, SummaryPointFields, SummarySnapshot } from './summary.ts';
export { rollupOf } from './rollup.ts';
export type { RollupOptions } from './rollup.ts';
export { emptyExactSum, exactAdd, exactMerge, exactValue } from './exactSum.ts';
export type { ExactSum } from './exactSum.ts';
export { SKETCH_RELATIVE_ACCURACY, sketchBuckets, sketchQuantile } from './quantileSketch.ts';
export type { QuantileSketch, SketchBucket } from './quantileSketch.ts';
export { emptyMetricPartial, METRIC_KINDS, metricAggregator, metricKind, metricValues } from './metric.ts';
export type { MetricAggregatorOptions, MetricInput, MetricKind, MetricPartial, MetricValues, PartialItem } from './metric.ts';
export { fromRollupRecord, OVERFLOW_ATTRIBUTE, rollupCodec, toRollupRecord } from './rollupRecord.ts';
export type { RollupRecord } from './rollupRecord.ts';
export { seriesCatalog, seriesCodec } from './seriesCatalog.ts';
export type { SeriesCatalogOptions, SeriesRecord } from './seriesCatalog.ts';
export { identityOf } from './identity.ts';
export type { SeriesIdentity } from './identity.ts';
