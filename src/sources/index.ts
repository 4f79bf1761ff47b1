export { otlpLogs, otlpMetricPoints, otlpSpans, pointValue, type OtlpEncoding } from './otlp.ts';
