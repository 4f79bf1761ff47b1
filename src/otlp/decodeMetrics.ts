// ExportMetricsServiceRequest (protobuf) -> flat MetricPoint records.
import { NO_ATTRIBUTES, readAttributeRun } from './attributeSets.ts';
import { decodeRequest, int64Of, METRICS_ENVELOPE, pushAttribute, readId, readString } from './decodeCommon.ts';
import { rethrowWithin } from './errors.ts';
import type {
  Attribute, Exemplar, ExponentialBuckets, ExponentialHistogramPoint, HistogramPoint, Metric, MetricPoint, MetricType,
  NumberPoint, NumberValueType, QuantileValue, Resource, Scope, SummaryPoint,
} from './model.ts';
import { expectEnd, skipUnknown, type ProtoReader } from './protoReader.ts';
import { msOf, nanosOf } from './time.ts';

const METRIC_FIELDS: Record<number, string> = {
  1: 'name', 2: 'description', 3: 'unit', 5: 'gauge', 7: 'sum', 9: 'histogram', 10: 'exponentialHistogram', 11: 'summary', 12: 'metadata',
};
const DATA_FIELDS: Record<number, string> = { 1: 'dataPoints', 2: 'aggregationTemporality', 3: 'isMonotonic' };
const NUMBER_POINT_FIELDS: Record<number, string> = {
  7: 'attributes', 2: 'startTimeUnixNano', 3: 'timeUnixNano', 4: 'asDouble', 6: 'asInt', 5: 'exemplars', 8: 'flags',
};
const HISTOGRAM_POINT_FIELDS: Record<number, string> = {
  9: 'attributes', 2: 'startTimeUnixNano', 3: 'timeUnixNano', 4: 'count', 5: 'sum', 6: 'bucketCounts', 7: 'explicitBounds',
  8: 'exemplars', 10: 'flags', 11: 'min', 12: 'max',
};
const EXPONENTIAL_POINT_FIELDS: Record<number, string> = {
  1: 'attributes', 2: 'startTimeUnixNano', 3: 'timeUnixNano', 4: 'count', 5: 'sum', 6: 'scale', 7: 'zeroCount', 8: 'positive',
  9: 'negative', 10: 'flags', 11: 'exemplars', 12: 'min', 13: 'max', 14: 'zeroThreshold',
};
const BUCKETS_FIELDS: Record<number, string> = { 1: 'offset', 2: 'bucketCounts' };
const SUMMARY_POINT_FIELDS: Record<number, string> = {
  7: 'attributes', 2: 'startTimeUnixNano', 3: 'timeUnixNano', 4: 'count', 5: 'sum', 6: 'quantileValues', 8: 'flags',
};
const QUANTILE_FIELDS: Record<number, string> = { 1: 'quantile', 2: 'value' };
const EXEMPLAR_FIELDS: Record<number, string> = {
  7: 'filteredAttributes', 2: 'timeUnixNano', 3: 'asDouble', 6: 'asInt', 4: 'spanId', 5: 'traceId',
};

// The Metric `data` oneof: field number -> point type.
const DATA_TYPES: Record<number, MetricType> = { 5: 'gauge', 7: 'sum', 9: 'histogram', 10: 'exponentialHistogram', 11: 'summary' };

/** Decodes ExportMetricsServiceRequest bytes into data points; throws OtlpDecodeError naming the field and byte offset. */
export function decodeMetrics(bytes: Uint8Array): MetricPoint[] {
  return decodeRequest(bytes, METRICS_ENVELOPE, decodeMetric);
}

// The attribute set (attributeSets.ts) of the point a point decoder returned last, and where decodeMetricsWithSets
// wants them (null: nobody asked). Only decodeMetricsWithSets goes through the attribute set cache: for plain
// decoding, hashing and comparing a run's bytes costs about what decoding it does (strings come from utf8.ts's
// cache), so the cache pays only when the set numbers are used (series ids).
let lastSet = NO_ATTRIBUTES;
let pointSets: number[] | null = null;

/**
 * decodeMetrics, also writing each point's attribute set (attributeSets.ts: NO_ATTRIBUTES, a set number of the
 * generation current when this returns, or NO_SET) to `sets` at the point's index.
 */
export function decodeMetricsWithSets(bytes: Uint8Array, sets: number[]): MetricPoint[] {
  pointSets = sets;
  try {
    return decodeRequest(bytes, METRICS_ENVELOPE, decodeMetric);
  } finally {
    pointSets = null;
  }
}

// A LeafDecoder: decodes one Metric and appends its data points.
function decodeMetric(r: ProtoReader, end: number, resource: Resource, scope: Scope, points: MetricPoint[]): void {
  const metric: Metric = { name: '', description: '', unit: '', type: 'gauge', aggregationTemporality: 0, isMonotonic: false, metadata: [] };
  const firstPoint = points.length;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 10:
        metric.name = readString(r, end);
        break;
      case 18:
        metric.description = readString(r, end);
        break;
      case 26:
        metric.unit = readString(r, end);
        break;
      case 42: // gauge = 5
      case 58: // sum = 7
      case 74: // histogram = 9
      case 82: // exponential_histogram = 10
      case 90: {
        // summary = 11
        const type = DATA_TYPES[tag >>> 3];
        // A oneof keeps its last member: drop points of an earlier data field of this metric.
        points.length = firstPoint;
        metric.type = type;
        metric.aggregationTemporality = 0;
        metric.isMonotonic = false;
        const e = r.lengthEnd(end);
        try {
          decodeData(r, e, resource, scope, metric, points);
        } catch (err) {
          rethrowWithin(err, type);
        }
        break;
      }
      case 98:
        pushAttribute(r, end, metric.metadata, 'metadata');
        break;
      default:
        skipUnknown(r, tag, tagAt, end, METRIC_FIELDS);
    }
  }
  expectEnd(r, end);
}

// Gauge, Sum, Histogram, ExponentialHistogram and Summary share one layout: data_points = 1,
// aggregation_temporality = 2 (sum and histograms), is_monotonic = 3 (sum).
function decodeData(r: ProtoReader, end: number, resource: Resource, scope: Scope, metric: Metric, points: MetricPoint[]): void {
  const type = metric.type;
  let index = 0;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 10) {
      const e = r.lengthEnd(end);
      try {
        if (type === 'gauge' || type === 'sum') points.push(decodeNumberPoint(r, e, resource, scope, metric));
        else if (type === 'histogram') points.push(decodeHistogramPoint(r, e, resource, scope, metric));
        else if (type === 'exponentialHistogram') points.push(decodeExponentialPoint(r, e, resource, scope, metric));
        else points.push(decodeSummaryPoint(r, e, resource, scope, metric));
        if (pointSets !== null) pointSets[points.length - 1] = lastSet;
      } catch (err) {
        rethrowWithin(err, `dataPoints[${index}]`);
      }
      index++;
    } else if (tag === 16 && type !== 'gauge' && type !== 'summary') {
      metric.aggregationTemporality = r.uint32() | 0;
    } else if (tag === 24 && type === 'sum') {
      metric.isMonotonic = r.bool();
    } else {
      skipUnknown(r, tag, tagAt, end, type === 'gauge' || type === 'summary' ? { 1: 'dataPoints' } : DATA_FIELDS);
    }
  }
  expectEnd(r, end);
}

function decodeNumberPoint(r: ProtoReader, end: number, resource: Resource, scope: Scope, metric: Metric): NumberPoint {
  const attributes: Attribute[] = [];
  let set = NO_ATTRIBUTES;
  let startTimeMs = 0;
  let startTimeNanos = 0;
  let timeMs = 0;
  let timeNanos = 0;
  let valueType: NumberValueType = 'none';
  let value: number | bigint = 0;
  const exemplars: Exemplar[] = [];
  let flags = 0;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 58: // attributes = 7
        if (pointSets === null) pushAttribute(r, end, attributes, 'attributes');
        else set = readAttributeRun(r, tagAt, end, 58, attributes, 'attributes');
        break;
      case 17: // start_time_unix_nano = 2
        r.fixed64();
        startTimeMs = msOf(r.lo, r.hi);
        startTimeNanos = nanosOf(r.lo, r.hi);
        break;
      case 25: // time_unix_nano = 3
        r.fixed64();
        timeMs = msOf(r.lo, r.hi);
        timeNanos = nanosOf(r.lo, r.hi);
        break;
      case 33: // as_double = 4
        valueType = 'double';
        value = r.double();
        break;
      case 49: // as_int = 6, sfixed64
        r.fixed64();
        valueType = 'int';
        value = int64Of(r.lo, r.hi);
        break;
      case 42: // exemplars = 5
        pushExemplar(r, end, exemplars);
        break;
      case 64: // flags = 8
        flags = r.uint32();
        break;
      default:
        skipUnknown(r, tag, tagAt, end, NUMBER_POINT_FIELDS);
    }
  }
  expectEnd(r, end);
  lastSet = set;
  return {
    type: metric.type as 'gauge' | 'sum', resource, scope, metric, attributes,
    startTimeMs, startTimeNanos, timeMs, timeNanos, flags, valueType, value, exemplars,
  };
}

function decodeHistogramPoint(r: ProtoReader, end: number, resource: Resource, scope: Scope, metric: Metric): HistogramPoint {
  const attributes: Attribute[] = [];
  let set = NO_ATTRIBUTES;
  let startTimeMs = 0;
  let startTimeNanos = 0;
  let timeMs = 0;
  let timeNanos = 0;
  let count = 0;
  let sum: number | undefined;
  const bucketCounts: number[] = [];
  const explicitBounds: number[] = [];
  const exemplars: Exemplar[] = [];
  let flags = 0;
  let min: number | undefined;
  let max: number | undefined;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 74:
        if (pointSets === null) pushAttribute(r, end, attributes, 'attributes');
        else set = readAttributeRun(r, tagAt, end, 74, attributes, 'attributes');
        break;
      case 17:
        r.fixed64();
        startTimeMs = msOf(r.lo, r.hi);
        startTimeNanos = nanosOf(r.lo, r.hi);
        break;
      case 25:
        r.fixed64();
        timeMs = msOf(r.lo, r.hi);
        timeNanos = nanosOf(r.lo, r.hi);
        break;
      case 33: // count = 4, fixed64
        r.fixed64();
        count = r.hi * 4294967296 + r.lo;
        break;
      case 41:
        sum = r.double();
        break;
      case 50: {
        // bucket_counts = 6, packed fixed64
        const e = r.lengthEnd(end);
        if ((e - r.pos) % 8 !== 0) r.fail(`packed fixed64 length ${e - r.pos} is not a multiple of 8`, r.pos, 'bucketCounts');
        while (r.pos < e) {
          r.fixed64();
          bucketCounts.push(r.hi * 4294967296 + r.lo);
        }
        break;
      }
      case 49: // bucket_counts, one unpacked element
        r.fixed64();
        bucketCounts.push(r.hi * 4294967296 + r.lo);
        break;
      case 58: {
        // explicit_bounds = 7, packed double
        const e = r.lengthEnd(end);
        if ((e - r.pos) % 8 !== 0) r.fail(`packed double length ${e - r.pos} is not a multiple of 8`, r.pos, 'explicitBounds');
        while (r.pos < e) explicitBounds.push(r.double());
        break;
      }
      case 57:
        explicitBounds.push(r.double());
        break;
      case 66:
        pushExemplar(r, end, exemplars);
        break;
      case 80:
        flags = r.uint32();
        break;
      case 89:
        min = r.double();
        break;
      case 97:
        max = r.double();
        break;
      default:
        skipUnknown(r, tag, tagAt, end, HISTOGRAM_POINT_FIELDS);
    }
  }
  expectEnd(r, end);
  lastSet = set;
  return {
    type: 'histogram', resource, scope, metric, attributes, startTimeMs, startTimeNanos, timeMs, timeNanos, flags,
    count, sum, bucketCounts, explicitBounds, exemplars, min, max,
  };
}

function decodeExponentialPoint(r: ProtoReader, end: number, resource: Resource, scope: Scope, metric: Metric): ExponentialHistogramPoint {
  const attributes: Attribute[] = [];
  let set = NO_ATTRIBUTES;
  let startTimeMs = 0;
  let startTimeNanos = 0;
  let timeMs = 0;
  let timeNanos = 0;
  let count = 0;
  let sum: number | undefined;
  let scale = 0;
  let zeroCount = 0;
  let positive: ExponentialBuckets = { offset: 0, bucketCounts: [] };
  let negative: ExponentialBuckets = { offset: 0, bucketCounts: [] };
  let flags = 0;
  const exemplars: Exemplar[] = [];
  let min: number | undefined;
  let max: number | undefined;
  let zeroThreshold = 0;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 10:
        if (pointSets === null) pushAttribute(r, end, attributes, 'attributes');
        else set = readAttributeRun(r, tagAt, end, 10, attributes, 'attributes');
        break;
      case 17:
        r.fixed64();
        startTimeMs = msOf(r.lo, r.hi);
        startTimeNanos = nanosOf(r.lo, r.hi);
        break;
      case 25:
        r.fixed64();
        timeMs = msOf(r.lo, r.hi);
        timeNanos = nanosOf(r.lo, r.hi);
        break;
      case 33:
        r.fixed64();
        count = r.hi * 4294967296 + r.lo;
        break;
      case 41:
        sum = r.double();
        break;
      case 48: // scale = 6, sint32
        scale = r.sint32();
        break;
      case 57: // zero_count = 7, fixed64
        r.fixed64();
        zeroCount = r.hi * 4294967296 + r.lo;
        break;
      case 66: {
        const e = r.lengthEnd(end);
        try {
          positive = decodeBuckets(r, e);
        } catch (err) {
          rethrowWithin(err, 'positive');
        }
        break;
      }
      case 74: {
        const e = r.lengthEnd(end);
        try {
          negative = decodeBuckets(r, e);
        } catch (err) {
          rethrowWithin(err, 'negative');
        }
        break;
      }
      case 80:
        flags = r.uint32();
        break;
      case 90:
        pushExemplar(r, end, exemplars);
        break;
      case 97:
        min = r.double();
        break;
      case 105:
        max = r.double();
        break;
      case 113:
        zeroThreshold = r.double();
        break;
      default:
        skipUnknown(r, tag, tagAt, end, EXPONENTIAL_POINT_FIELDS);
    }
  }
  expectEnd(r, end);
  lastSet = set;
  return {
    type: 'exponentialHistogram', resource, scope, metric, attributes, startTimeMs, startTimeNanos, timeMs, timeNanos, flags,
    count, sum, scale, zeroCount, positive, negative, exemplars, min, max, zeroThreshold,
  };
}

function decodeBuckets(r: ProtoReader, end: number): ExponentialBuckets {
  const buckets: ExponentialBuckets = { offset: 0, bucketCounts: [] };
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 8) buckets.offset = r.sint32();
    else if (tag === 18) {
      // bucket_counts = 2, packed uint64 varints
      const e = r.lengthEnd(end);
      while (r.pos < e) {
        r.varint64();
        buckets.bucketCounts.push(r.hi * 4294967296 + r.lo);
      }
      if (r.pos !== e) r.fail('packed varint runs past the end of its field', e, 'bucketCounts');
    } else if (tag === 16) {
      r.varint64();
      buckets.bucketCounts.push(r.hi * 4294967296 + r.lo);
    } else skipUnknown(r, tag, tagAt, end, BUCKETS_FIELDS);
  }
  expectEnd(r, end);
  return buckets;
}

function decodeSummaryPoint(r: ProtoReader, end: number, resource: Resource, scope: Scope, metric: Metric): SummaryPoint {
  const attributes: Attribute[] = [];
  let set = NO_ATTRIBUTES;
  let startTimeMs = 0;
  let startTimeNanos = 0;
  let timeMs = 0;
  let timeNanos = 0;
  let count = 0;
  let sum = 0;
  const quantileValues: QuantileValue[] = [];
  let flags = 0;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 58:
        if (pointSets === null) pushAttribute(r, end, attributes, 'attributes');
        else set = readAttributeRun(r, tagAt, end, 58, attributes, 'attributes');
        break;
      case 17:
        r.fixed64();
        startTimeMs = msOf(r.lo, r.hi);
        startTimeNanos = nanosOf(r.lo, r.hi);
        break;
      case 25:
        r.fixed64();
        timeMs = msOf(r.lo, r.hi);
        timeNanos = nanosOf(r.lo, r.hi);
        break;
      case 33:
        r.fixed64();
        count = r.hi * 4294967296 + r.lo;
        break;
      case 41:
        sum = r.double();
        break;
      case 50: {
        const e = r.lengthEnd(end);
        const q: QuantileValue = { quantile: 0, value: 0 };
        while (r.pos < e) {
          const at = r.pos;
          const t = r.uint32();
          if (t === 9) q.quantile = r.double();
          else if (t === 17) q.value = r.double();
          else {
            try {
              skipUnknown(r, t, at, e, QUANTILE_FIELDS);
            } catch (err) {
              rethrowWithin(err, `quantileValues[${quantileValues.length}]`);
            }
          }
        }
        if (r.pos !== e) r.fail('last field runs past the end of its message', e, `quantileValues[${quantileValues.length}]`);
        quantileValues.push(q);
        break;
      }
      case 64:
        flags = r.uint32();
        break;
      default:
        skipUnknown(r, tag, tagAt, end, SUMMARY_POINT_FIELDS);
    }
  }
  expectEnd(r, end);
  lastSet = set;
  return {
    type: 'summary', resource, scope, metric, attributes, startTimeMs, startTimeNanos, timeMs, timeNanos, flags,
    count, sum, quantileValues,
  };
}

function pushExemplar(r: ProtoReader, limit: number, exemplars: Exemplar[]): void {
  const end = r.lengthEnd(limit);
  const exemplar: Exemplar = { filteredAttributes: [], timeMs: 0, timeNanos: 0, valueType: 'none', value: 0, spanId: '', traceId: '' };
  try {
    while (r.pos < end) {
      const tagAt = r.pos;
      const tag = r.uint32();
      switch (tag) {
        case 58:
          pushAttribute(r, end, exemplar.filteredAttributes, 'filteredAttributes');
          break;
        case 17:
          r.fixed64();
          exemplar.timeMs = msOf(r.lo, r.hi);
          exemplar.timeNanos = nanosOf(r.lo, r.hi);
          break;
        case 25:
          exemplar.valueType = 'double';
          exemplar.value = r.double();
          break;
        case 49:
          r.fixed64();
          exemplar.valueType = 'int';
          exemplar.value = int64Of(r.lo, r.hi);
          break;
        case 34:
          exemplar.spanId = readId(r, end, 'spanId', 8, true);
          break;
        case 42:
          exemplar.traceId = readId(r, end, 'traceId', 16, true);
          break;
        default:
          skipUnknown(r, tag, tagAt, end, EXEMPLAR_FIELDS);
      }
    }
    expectEnd(r, end);
  } catch (err) {
    rethrowWithin(err, `exemplars[${exemplars.length}]`);
  }
  exemplars.push(exemplar);
}
