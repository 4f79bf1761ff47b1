// The one place that maps the type names used in topology files to components.
// Adding a component: one new file, one line below.
import type { AggregateFunction, SinkComponent, SourceComponent, StepComponent } from './component.ts';
import { countFunction } from './functions/count.ts';
import { lastFunction } from './functions/last.ts';
import { maxFunction } from './functions/max.ts';
import { metricFunction } from './functions/metric.ts';
import { minFunction } from './functions/min.ts';
import { sumFunction } from './functions/sum.ts';
import { summaryFunction } from './functions/summary.ts';
import { influxSinkComponent } from './sinks/influx.ts';
import { parquetSinkComponent } from './sinks/parquet.ts';
import { postgresSinkComponent } from './sinks/postgres.ts';
import { postgresRollupSinkComponent } from './sinks/postgresRollup.ts';
import { remoteWriteSinkComponent } from './sinks/remoteWrite.ts';
import { otlpLogsSource } from './sources/otlpLogs.ts';
import { otlpMetricsSource } from './sources/otlpMetrics.ts';
import { otlpRollupSource } from './sources/otlpRollup.ts';
import { otlpSpansSource } from './sources/otlpSpans.ts';
import { aggregateStep } from './steps/aggregate.ts';
import { assembleStep } from './steps/assemble.ts';
import { compressStep } from './steps/compress.ts';
import { dedupStep } from './steps/dedup.ts';
import { filterStep } from './steps/filter.ts';
import { seriesStep } from './steps/series.ts';
import { serviceGraphStep } from './steps/servicegraph.ts';
import { spanMetricsStep } from './steps/spanmetrics.ts';
import { tailSampleStep } from './steps/tailSample.ts';
import { sinkStep } from './steps/sink.ts';
import { toStep } from './steps/to.ts';
import { traceIndexStep } from './steps/traceIndex.ts';
import { logIndexStep } from './steps/logIndex.ts';
import { windowStep } from './steps/window.ts';

/** Components by the names topology files use. */
export interface Registry {
  sources: Readonly<Record<string, SourceComponent>>;
  steps: Readonly<Record<string, StepComponent>>;
  functions: Readonly<Record<string, AggregateFunction>>;
  sinks: Readonly<Record<string, SinkComponent>>;
}

const sources: Registry['sources'] = {
  otlp_metrics: otlpMetricsSource as SourceComponent,
  otlp_spans: otlpSpansSource as SourceComponent,
  otlp_logs: otlpLogsSource as SourceComponent,
  otlp_rollup: otlpRollupSource as SourceComponent,
};

const functions: Registry['functions'] = {
  count: countFunction as AggregateFunction,
  sum: sumFunction as AggregateFunction,
  min: minFunction as AggregateFunction,
  max: maxFunction as AggregateFunction,
  last: lastFunction as AggregateFunction,
  summary: summaryFunction as AggregateFunction,
  metric: metricFunction as AggregateFunction,
};

const sinks: Registry['sinks'] = {
  postgres: postgresSinkComponent as SinkComponent,
  postgres_rollup: postgresRollupSinkComponent as SinkComponent,
  parquet: parquetSinkComponent as SinkComponent,
  remote_write: remoteWriteSinkComponent as SinkComponent,
  influx: influxSinkComponent as SinkComponent,
};

const steps: Registry['steps'] = {
  filter: filterStep as StepComponent,
  dedup: dedupStep as StepComponent,
  series: seriesStep as StepComponent,
  compress: compressStep as StepComponent,
  spanmetrics: spanMetricsStep as StepComponent,
  servicegraph: serviceGraphStep as StepComponent,
  assemble: assembleStep as StepComponent,
  trace_index: traceIndexStep as StepComponent,
  tail_sample: tailSampleStep as StepComponent,
  log_index: logIndexStep as StepComponent,
  window: windowStep as StepComponent,
  aggregate: aggregateStep(functions) as StepComponent,
  to: toStep as StepComponent,
  sink: sinkStep(sinks) as StepComponent,
};

/** The components this build knows. */
export const registry: Registry = { sources, steps, functions, sinks };
