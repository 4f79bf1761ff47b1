// Flat internal records for OTLP data. One record per span / data point / log record; each points at
// the shared Resource and Scope objects of the ResourceX / ScopeX message it came from (one object per
// message, never copied per record), so grouping and identity checks are reference comparisons.
//
// Timestamps are kept as two exact numbers instead of one bigint: `xxxMs`, whole milliseconds since the
// Unix epoch (what windowing and stream time need), and `xxxNanos`, the 0..999_999 nanoseconds past that
// millisecond. Both are always safe integers (a uint64 of nanoseconds is < 2^44 ms), so the pair is exact,
// compares and subtracts with plain arithmetic, and costs no allocation — a bigint per timestamp was the
// slowest part of decoding, and a decimal string would need parsing again for every window assignment.
// Helpers in time.ts convert the pair to and from decimal strings and bigints.
//
// 64-bit integer *values* (int attributes, as_int points and exemplars) are a `number` when they are safe
// integers and a `bigint` only beyond ±2^53, so they are exact without paying for bigint in the common
// case. 64-bit *counts* (histogram counts, bucket counts) are plain numbers: exact below 2^53 observations.

/** Span kind, as the OTLP SpanKind enum numbers. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;

/** Span status code, as the OTLP StatusCode enum numbers. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

/** Aggregation temporality, as the OTLP enum numbers. */
export const AggregationTemporality = { UNSPECIFIED: 0, DELTA: 1, CUMULATIVE: 2 } as const;

/** Data point flag bit: the point marks a gap (no recorded value). */
export const NO_RECORDED_VALUE_FLAG = 1;

/** A signed 64-bit integer: a number when it is a safe integer, a bigint otherwise. */
export type Int64 = number | bigint;

/** An attribute value; `empty` is the AnyValue with no field set. */
export type AnyValue =
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'int'; value: Int64 }
  | { type: 'double'; value: number }
  | { type: 'bytes'; value: Uint8Array }
  | { type: 'array'; value: AnyValue[] }
  | { type: 'kvlist'; value: Attribute[] }
  | { type: 'empty'; value: null };

/** One key/value attribute: the value's `type` and `value` sit beside the key (one object per attribute). */
export type Attribute = AnyValue & { key: string };

/** Reference from a resource to the attribute keys that make up one entity (development status upstream). */
export interface EntityRef {
  schemaUrl: string;
  type: string;
  idKeys: string[];
  descriptionKeys: string[];
}

/** The entity that produced the telemetry; `schemaUrl` is the one of its ResourceSpans/Metrics/Logs. */
export interface Resource {
  attributes: Attribute[];
  droppedAttributesCount: number;
  entityRefs: EntityRef[];
  schemaUrl: string;
}

/** The instrumentation scope; `schemaUrl` is the one of its ScopeSpans/Metrics/Logs. */
export interface Scope {
  name: string;
  version: string;
  attributes: Attribute[];
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface SpanEvent {
  timeMs: number;
  timeNanos: number;
  name: string;
  attributes: Attribute[];
  droppedAttributesCount: number;
}

export interface SpanLink {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  spanId: string;
  traceState: string;
  attributes: Attribute[];
  droppedAttributesCount: number;
  flags: number;
}

/** One span. Ids are lowercase hex; `parentSpanId` is '' for a root span. */
export interface Span {
  resource: Resource;
  scope: Scope;
  traceId: string;
  spanId: string;
  traceState: string;
  parentSpanId: string;
  flags: number;
  name: string;
  kind: number;
  startTimeMs: number;
  startTimeNanos: number;
  endTimeMs: number;
  endTimeNanos: number;
  attributes: Attribute[];
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  statusCode: number;
  statusMessage: string;
}

/** The kind of metric a point belongs to (the Metric `data` oneof). */
export type MetricType = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';

/** One Metric message's descriptor, shared by all its points. */
export interface Metric {
  name: string;
  description: string;
  unit: string;
  type: MetricType;
  /** AggregationTemporality for sum and histograms, 0 otherwise. */
  aggregationTemporality: number;
  /** Only meaningful for sums. */
  isMonotonic: boolean;
  metadata: Attribute[];
}

/** Which member of a number value oneof was set; 'none' when neither was. */
export type NumberValueType = 'double' | 'int' | 'none';

export interface Exemplar {
  filteredAttributes: Attribute[];
  timeMs: number;
  timeNanos: number;
  valueType: NumberValueType;
  value: number | bigint;
  /** '' or 16 hex characters. */
  spanId: string;
  /** '' or 32 hex characters. */
  traceId: string;
}

interface PointBase {
  resource: Resource;
  scope: Scope;
  metric: Metric;
  attributes: Attribute[];
  startTimeMs: number;
  startTimeNanos: number;
  timeMs: number;
  timeNanos: number;
  flags: number;
}

/** A gauge or sum point. `value` is a number for doubles, an Int64 for ints, 0 when none was set. */
export interface NumberPoint extends PointBase {
  type: 'gauge' | 'sum';
  valueType: NumberValueType;
  value: number | bigint;
  exemplars: Exemplar[];
}

export interface HistogramPoint extends PointBase {
  type: 'histogram';
  count: number;
  /** undefined when the optional field was absent. */
  sum: number | undefined;
  bucketCounts: number[];
  explicitBounds: number[];
  exemplars: Exemplar[];
  min: number | undefined;
  max: number | undefined;
}

export interface ExponentialBuckets {
  offset: number;
  bucketCounts: number[];
}

export interface ExponentialHistogramPoint extends PointBase {
  type: 'exponentialHistogram';
  count: number;
  sum: number | undefined;
  scale: number;
  zeroCount: number;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
  exemplars: Exemplar[];
  min: number | undefined;
  max: number | undefined;
  zeroThreshold: number;
}

export interface QuantileValue {
  quantile: number;
  value: number;
}

export interface SummaryPoint extends PointBase {
  type: 'summary';
  count: number;
  sum: number;
  quantileValues: QuantileValue[];
}

/** One metric data point; `type` tells which kind. */
export type MetricPoint = NumberPoint | HistogramPoint | ExponentialHistogramPoint | SummaryPoint;

/** One log record. `traceId` / `spanId` are '' when absent. */
export interface LogRecord {
  resource: Resource;
  scope: Scope;
  timeMs: number;
  timeNanos: number;
  observedTimeMs: number;
  observedTimeNanos: number;
  severityNumber: number;
  severityText: string;
  /** undefined when the record has no body. */
  body: AnyValue | undefined;
  attributes: Attribute[];
  droppedAttributesCount: number;
  flags: number;
  traceId: string;
  spanId: string;
  eventName: string;
}

/** The three OTLP signals. */
export type Signal = 'traces' | 'metrics' | 'logs';
