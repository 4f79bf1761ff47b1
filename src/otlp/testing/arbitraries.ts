// fast-check generators of valid flat records (tests only). Resources and scopes are shared by the records
// of their group, the way decoders produce them; no group is empty, since empty groups do not survive a
// round trip through flat records.
import fc from 'fast-check';
import { bytesToHex } from '../hex.ts';
import type {
  AnyValue, Attribute, Exemplar, ExponentialBuckets, Int64, LogRecord, Metric, MetricPoint, MetricType, Resource, Scope, Span,
} from '../model.ts';
import { splitNanos } from '../time.ts';

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('service.name', 'host.name', 'GET'));
const uint32 = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4294967295 }));
const int32 = fc.integer({ min: -2147483648, max: 2147483647 });
const count = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
// No -0: JSON cannot carry it, and the decoders never need to tell it apart.
const double = fc.double().map((d) => (Object.is(d, -0) ? 0 : d));

/** An Int64 in its normalized form: a number when safe, else a bigint. */
export const int64: fc.Arbitrary<Int64> = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((b) => (Number.isSafeInteger(Number(b)) && BigInt(Number(b)) === b ? Number(b) : b)),
);

const time = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 1_600_000_000_000_000_000n, max: 1_900_000_000_000_000_000n })).map((n) => splitNanos(n));
const id = (size: number) => fc.uint8Array({ minLength: size, maxLength: size }).map((b) => bytesToHex(b, 0, size));
const optionalId = (size: number) => fc.oneof(fc.constant(''), id(size));

/** Attribute values up to three levels deep. */
export const anyValue: fc.Arbitrary<AnyValue> = fc.letrec<{ value: AnyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text.map((value) => ({ type: 'string' as const, value })),
    fc.boolean().map((value) => ({ type: 'bool' as const, value })),
    int64.map((value) => ({ type: 'int' as const, value })),
    double.map((value) => ({ type: 'double' as const, value })),
    fc.uint8Array({ maxLength: 8 }).map((value) => ({ type: 'bytes' as const, value })),
    fc.constant({ type: 'empty' as const, value: null }),
    fc.array(tie('value'), { maxLength: 3 }).map((value) => ({ type: 'array' as const, value })),
    fc.array(fc.tuple(text, tie('value')), { maxLength: 3 }).map((entries) => ({
      type: 'kvlist' as const,
      value: entries.map(([key, v]) => ({ key, ...v }) as Attribute),
    })),
  ),
})).value;

/** Attribute lists (keys may repeat: the codecs must not care). */
export const attributes: fc.Arbitrary<Attribute[]> = fc.array(fc.tuple(text, anyValue).map(([key, v]) => ({ key, ...v }) as Attribute), { maxLength: 4 });

export const resource: fc.Arbitrary<Resource> = fc.record({
  attributes,
  droppedAttributesCount: uint32,
  entityRefs: fc.array(fc.record({ schemaUrl: text, type: text, idKeys: fc.array(text, { maxLength: 2 }), descriptionKeys: fc.array(text, { maxLength: 2 }) }), { maxLength: 2 }),
  schemaUrl: text,
});

export const scope: fc.Arbitrary<Scope> = fc.record({ name: text, version: text, attributes, droppedAttributesCount: uint32, schemaUrl: text });

// resource -> scopes -> items, flattened with shared objects.
function tree<T>(item: (r: Resource, s: Scope) => fc.Arbitrary<T[]>): fc.Arbitrary<T[]> {
  return fc
    .array(fc.tuple(resource, fc.array(scope, { minLength: 1, maxLength: 2 })), { minLength: 0, maxLength: 3 })
    .chain((groups) => {
      const parts = groups.flatMap(([r, scopes]) => scopes.map((s) => item(r, s)));
      return parts.length === 0 ? fc.constant([] as T[]) : fc.tuple(...parts).map((lists) => lists.flat());
    });
}

const span = (r: Resource, s: Scope): fc.Arbitrary<Span> =>
  fc
    .record({
      traceId: id(16), spanId: id(8), traceState: text, parentSpanId: optionalId(8), flags: uint32, name: text, kind: fc.integer({ min: 0, max: 5 }),
      start: time, end: time, attributes, droppedAttributesCount: uint32,
      events: fc.array(fc.record({ time, name: text, attributes, droppedAttributesCount: uint32 }), { maxLength: 2 }),
      droppedEventsCount: uint32,
      links: fc.array(fc.record({ traceId: id(16), spanId: id(8), traceState: text, attributes, droppedAttributesCount: uint32, flags: uint32 }), { maxLength: 2 }),
      droppedLinksCount: uint32, statusCode: fc.integer({ min: 0, max: 2 }), statusMessage: text,
    })
    .map(({ start, end, events, ...x }) => ({
      resource: r, scope: s, traceId: x.traceId, spanId: x.spanId, traceState: x.traceState, parentSpanId: x.parentSpanId, flags: x.flags,
      name: x.name, kind: x.kind, startTimeMs: start[0], startTimeNanos: start[1], endTimeMs: end[0], endTimeNanos: end[1],
      attributes: x.attributes, droppedAttributesCount: x.droppedAttributesCount,
      events: events.map((e) => ({ timeMs: e.time[0], timeNanos: e.time[1], name: e.name, attributes: e.attributes, droppedAttributesCount: e.droppedAttributesCount })),
      droppedEventsCount: x.droppedEventsCount, links: x.links, droppedLinksCount: x.droppedLinksCount, statusCode: x.statusCode, statusMessage: x.statusMessage,
    }));

/** Span lists over shared resources and scopes. */
export const spans: fc.Arbitrary<Span[]> = tree((r, s) => fc.array(span(r, s), { minLength: 1, maxLength: 4 }));

const logRecord = (r: Resource, s: Scope): fc.Arbitrary<LogRecord> =>
  fc
    .record({
      time, observed: time, severityNumber: fc.integer({ min: 0, max: 24 }), severityText: text, body: fc.option(anyValue, { nil: undefined }),
      attributes, droppedAttributesCount: uint32, flags: uint32, traceId: optionalId(16), spanId: optionalId(8), eventName: text,
    })
    .map(({ time: t, observed, ...x }) => ({
      resource: r, scope: s, timeMs: t[0], timeNanos: t[1], observedTimeMs: observed[0], observedTimeNanos: observed[1], severityNumber: x.severityNumber,
      severityText: x.severityText, body: x.body, attributes: x.attributes, droppedAttributesCount: x.droppedAttributesCount, flags: x.flags,
      traceId: x.traceId, spanId: x.spanId, eventName: x.eventName,
    }));

/** Log record lists over shared resources and scopes. */
export const logRecords: fc.Arbitrary<LogRecord[]> = tree((r, s) => fc.array(logRecord(r, s), { minLength: 1, maxLength: 4 }));

const numberValue = fc.oneof(
  double.map((value) => ({ valueType: 'double' as const, value: value as number | bigint })),
  int64.map((value) => ({ valueType: 'int' as const, value: value as number | bigint })),
  fc.constant({ valueType: 'none' as const, value: 0 as number | bigint }),
);

const exemplar: fc.Arbitrary<Exemplar> = fc
  .record({ filteredAttributes: attributes, time, v: numberValue, spanId: optionalId(8), traceId: optionalId(16) })
  .map(({ time: t, v, ...x }) => ({ filteredAttributes: x.filteredAttributes, timeMs: t[0], timeNanos: t[1], valueType: v.valueType, value: v.value, spanId: x.spanId, traceId: x.traceId }));

const buckets: fc.Arbitrary<ExponentialBuckets> = fc.record({ offset: int32, bucketCounts: fc.array(count, { maxLength: 4 }) });
const optionalDouble = fc.option(double, { nil: undefined });

function point(r: Resource, s: Scope, m: Metric): fc.Arbitrary<MetricPoint> {
  const base = fc.record({ attributes, start: time, time, flags: uint32 }).map((b) => ({
    resource: r, scope: s, metric: m, attributes: b.attributes, startTimeMs: b.start[0], startTimeNanos: b.start[1], timeMs: b.time[0], timeNanos: b.time[1], flags: b.flags,
  }));
  switch (m.type) {
    case 'gauge':
    case 'sum': {
      const type = m.type;
      return fc.tuple(base, numberValue, fc.array(exemplar, { maxLength: 2 })).map(([b, v, exemplars]) => ({ type, ...b, ...v, exemplars }));
    }
    case 'histogram':
      return fc
        .tuple(base, fc.record({ count, sum: optionalDouble, bucketCounts: fc.array(count, { maxLength: 4 }), explicitBounds: fc.array(double, { maxLength: 3 }), exemplars: fc.array(exemplar, { maxLength: 2 }), min: optionalDouble, max: optionalDouble }))
        .map(([b, h]) => ({ type: 'histogram' as const, ...b, ...h }));
    case 'exponentialHistogram':
      return fc
        .tuple(base, fc.record({ count, sum: optionalDouble, scale: fc.integer({ min: -10, max: 20 }), zeroCount: count, positive: buckets, negative: buckets, exemplars: fc.array(exemplar, { maxLength: 2 }), min: optionalDouble, max: optionalDouble, zeroThreshold: double }))
        .map(([b, h]) => ({ type: 'exponentialHistogram' as const, ...b, ...h }));
    case 'summary':
      return fc
        .tuple(base, fc.record({ count, sum: double, quantileValues: fc.array(fc.record({ quantile: double, value: double }), { maxLength: 3 }) }))
        .map(([b, h]) => ({ type: 'summary' as const, ...b, ...h }));
  }
}

const metricType = fc.constantFrom<MetricType>('gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary');

const metric: fc.Arbitrary<Metric> = fc
  .record({ name: text, description: text, unit: text, type: metricType, temporality: fc.integer({ min: 0, max: 2 }), isMonotonic: fc.boolean(), metadata: attributes })
  .map((x) => ({
    name: x.name, description: x.description, unit: x.unit, type: x.type,
    aggregationTemporality: x.type === 'gauge' || x.type === 'summary' ? 0 : x.temporality,
    isMonotonic: x.type === 'sum' ? x.isMonotonic : false, metadata: x.metadata,
  }));

/** Metric point lists over shared resources, scopes and metrics. */
export const metricPoints: fc.Arbitrary<MetricPoint[]> = tree((r, s) =>
  fc.array(metric, { minLength: 1, maxLength: 3 }).chain((metrics) => fc.tuple(...metrics.map((m) => fc.array(point(r, s, m), { minLength: 1, maxLength: 3 }))).map((l) => l.flat())),
);
