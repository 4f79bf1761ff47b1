// Public surface of the OTLP data plane: flat records, protobuf and JSON codecs, Kafka splitting and keys,
// series identity and partitioners.
export type {
  AnyValue, Attribute, EntityRef, Exemplar, ExponentialBuckets, ExponentialHistogramPoint, HistogramPoint, Int64, LogRecord, Metric,
  MetricPoint, MetricType, NumberPoint, NumberValueType, QuantileValue, Resource, Scope, Signal, Span, SpanEvent, SpanLink, SummaryPoint,
} from './model.ts';
export { AggregationTemporality, NO_RECORDED_VALUE_FLAG, SpanKind, StatusCode } from './model.ts';
export { OtlpDecodeError, RequestLimitError } from './errors.ts';
export { decodeTraces } from './decodeTraces.ts';
export { decodeMetrics } from './decodeMetrics.ts';
export { decodeLogs } from './decodeLogs.ts';
export { encodeTraces } from './encodeTraces.ts';
export { encodeMetrics } from './encodeMetrics.ts';
export { encodeLogs } from './encodeLogs.ts';
export { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './jsonDecode.ts';
export { encodeLogsJson, encodeMetricsJson, encodeTracesJson } from './jsonEncode.ts';
export { planRecords, splitLogs, splitLogsJson, splitMetrics, splitMetricsJson, splitTraces, splitTracesJson, type KafkaRecord, type PlannedRecord } from './split.ts';
export { planBySize, planBySizeSteps, splitBySize, type OversizedItem, type SizePlan, type SizeSplit } from './splitBySize.ts';
export { NO_REQUEST_LIMITS, type RequestLimits } from './requestLimits.ts';
export { countItems } from './countItems.ts';
export { canonicalAttributes, resourceKey } from './resourceKey.ts';
export { canonicalSeries, seriesId } from './seriesId.ts';
export { fnv1a32, murmur2, murmur2Hash, partitioners, sarama_compat, type Partitioner } from './partitioners.ts';
export { nanosToBigInt, nanosToString, splitNanos } from './time.ts';
export { idOf, TENANT_HEADER, tenantHeaders, tenantKey, tenantOf } from './tenant.ts';
export { attributeText, plainAttributes, plainValue, type PlainValue } from './plainValue.ts';
