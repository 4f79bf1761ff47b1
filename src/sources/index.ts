export { otlpLogs, otlpMetricPoints, otlpSpans, pointValue, type OtlpEncoding } from './otlp.ts';
export { rollupPartials } from './rollup.ts';
