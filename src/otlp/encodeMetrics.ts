// Flat MetricPoint records -> ExportMetricsServiceRequest (protobuf).
import {
  writeAttributes, writeCount, writeCountField, writeDoubleField, writeIdField, writeRequest, writeStringField, writeTimeField, writeVarintField,
} from './encodeCommon.ts';
import type { Exemplar, ExponentialBuckets, Metric, MetricPoint, MetricType, NumberValueType } from './model.ts';
import { ProtoWriter } from './protoWriter.ts';

/** Field number of each Metric `data` member. */
export const DATA_FIELD: Record<MetricType, number> = { gauge: 5, sum: 7, histogram: 9, exponentialHistogram: 10, summary: 11 };

/** Encodes points as one ExportMetricsServiceRequest, grouped by their Resource, Scope and Metric objects. */
export function encodeMetrics(points: readonly MetricPoint[]): Buffer {
  const w = new ProtoWriter();
  writeMetricsRequest(w, points);
  return w.finish();
}

/** Writes the request fields for `points` into `w`. */
export function writeMetricsRequest(w: ProtoWriter, points: readonly MetricPoint[]): void {
  writeRequest(w, points, (list) => {
    for (const [metric, metricPoints] of groupByMetric(list)) writeMetric(w, metric, metricPoints);
  });
}

function groupByMetric(points: readonly MetricPoint[]): Map<Metric, MetricPoint[]> {
  const groups = new Map<Metric, MetricPoint[]>();
  for (const p of points) {
    const list = groups.get(p.metric);
    if (list === undefined) groups.set(p.metric, [p]);
    else list.push(p);
  }
  return groups;
}

/** Writes one Metric message (field 2 of ScopeMetrics) holding `points`, which must all be of the metric's type. */
export function writeMetric(w: ProtoWriter, metric: Metric, points: readonly MetricPoint[]): void {
  w.tag(2, 2);
  const start = w.fork();
  writeStringField(w, 1, metric.name);
  writeStringField(w, 2, metric.description);
  writeStringField(w, 3, metric.unit);
  w.tag(DATA_FIELD[metric.type], 2);
  const data = w.fork();
  for (const p of points) writePoint(w, p);
  if (metric.type === 'sum' || metric.type === 'histogram' || metric.type === 'exponentialHistogram') {
    writeVarintField(w, 2, metric.aggregationTemporality);
  }
  if (metric.type === 'sum' && metric.isMonotonic) {
    w.tag(3, 0);
    w.uint32(1);
  }
  w.join(data);
  writeAttributes(w, 12, metric.metadata);
  w.join(start);
}

/** Writes one data point as field 1 (data_points) of its Gauge/Sum/Histogram/... message. */
export function writePoint(w: ProtoWriter, p: MetricPoint): void {
  w.tag(1, 2);
  const start = w.fork();
  writeTimeField(w, 2, p.startTimeMs, p.startTimeNanos);
  writeTimeField(w, 3, p.timeMs, p.timeNanos);
  switch (p.type) {
    case 'gauge':
    case 'sum':
      writeNumberValue(w, 4, p.valueType, p.value);
      writeExemplars(w, 5, p.exemplars);
      writeAttributes(w, 7, p.attributes);
      writeVarintField(w, 8, p.flags);
      break;
    case 'histogram':
      writeCountField(w, 4, p.count);
      if (p.sum !== undefined) {
        w.tag(5, 1);
        w.double(p.sum);
      }
      if (p.bucketCounts.length > 0) {
        w.tag(6, 2);
        w.uint32(p.bucketCounts.length * 8);
        for (const c of p.bucketCounts) writeCount(w, c);
      }
      if (p.explicitBounds.length > 0) {
        w.tag(7, 2);
        w.uint32(p.explicitBounds.length * 8);
        for (const b of p.explicitBounds) w.double(b);
      }
      writeExemplars(w, 8, p.exemplars);
      writeAttributes(w, 9, p.attributes);
      writeVarintField(w, 10, p.flags);
      writeOptionalDouble(w, 11, p.min);
      writeOptionalDouble(w, 12, p.max);
      break;
    case 'exponentialHistogram':
      writeAttributes(w, 1, p.attributes);
      writeCountField(w, 4, p.count);
      writeOptionalDouble(w, 5, p.sum);
      if (p.scale !== 0) {
        w.tag(6, 0);
        w.uint32(((p.scale << 1) ^ (p.scale >> 31)) >>> 0);
      }
      writeCountField(w, 7, p.zeroCount);
      writeBuckets(w, 8, p.positive);
      writeBuckets(w, 9, p.negative);
      writeVarintField(w, 10, p.flags);
      writeExemplars(w, 11, p.exemplars);
      writeOptionalDouble(w, 12, p.min);
      writeOptionalDouble(w, 13, p.max);
      writeDoubleField(w, 14, p.zeroThreshold);
      break;
    case 'summary':
      writeCountField(w, 4, p.count);
      writeDoubleField(w, 5, p.sum);
      for (const q of p.quantileValues) {
        w.tag(6, 2);
        const qs = w.fork();
        writeDoubleField(w, 1, q.quantile);
        writeDoubleField(w, 2, q.value);
        w.join(qs);
      }
      writeAttributes(w, 7, p.attributes);
      writeVarintField(w, 8, p.flags);
      break;
  }
  w.join(start);
}

function writeOptionalDouble(w: ProtoWriter, field: number, v: number | undefined): void {
  if (v === undefined) return;
  w.tag(field, 1);
  w.double(v);
}

function writeBuckets(w: ProtoWriter, field: number, b: ExponentialBuckets): void {
  if (b.offset === 0 && b.bucketCounts.length === 0) return;
  w.tag(field, 2);
  const start = w.fork();
  if (b.offset !== 0) {
    w.tag(1, 0);
    w.uint32(((b.offset << 1) ^ (b.offset >> 31)) >>> 0);
  }
  if (b.bucketCounts.length > 0) {
    w.tag(2, 2);
    const packed = w.fork();
    for (const c of b.bucketCounts) {
      const lo = c % 4294967296;
      w.varint64(lo, (c - lo) / 4294967296);
    }
    w.join(packed);
  }
  w.join(start);
}

// NumberDataPoint and Exemplar share the `value` oneof: as_double (field `doubleField`) or as_int = 6 (sfixed64).
function writeNumberValue(w: ProtoWriter, doubleField: number, valueType: NumberValueType, value: number | bigint): void {
  if (valueType === 'double') {
    w.tag(doubleField, 1);
    w.double(value as number);
  } else if (valueType === 'int') {
    w.tag(6, 1);
    w.splitInt64(value);
    w.fixed64(w.lo, w.hi);
  }
}

function writeExemplars(w: ProtoWriter, field: number, exemplars: readonly Exemplar[]): void {
  for (const e of exemplars) {
    w.tag(field, 2);
    const start = w.fork();
    writeTimeField(w, 2, e.timeMs, e.timeNanos);
    writeNumberValue(w, 3, e.valueType, e.value);
    writeIdField(w, 4, e.spanId);
    writeIdField(w, 5, e.traceId);
    writeAttributes(w, 7, e.filteredAttributes);
    w.join(start);
  }
}
