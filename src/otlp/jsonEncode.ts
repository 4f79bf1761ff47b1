// Flat records -> OTLP/JSON text (see jsonDecode.ts for the mapping). Default values are left out.
import { groupByResourceAndScope } from './encodeCommon.ts';
import type { AnyValue, Attribute, Exemplar, ExponentialBuckets, LogRecord, Metric, MetricPoint, Resource, Scope, Span } from './model.ts';
import { nanosToString } from './time.ts';

type Json = Record<string, unknown>;

/** Encodes an AnyValue as its OTLP/JSON object. */
export function anyValueToJson(v: AnyValue): Json {
  switch (v.type) {
    case 'string':
      return { stringValue: v.value };
    case 'bool':
      return { boolValue: v.value };
    case 'int':
      return { intValue: String(v.value) };
    case 'double':
      return { doubleValue: double(v.value) };
    case 'bytes':
      return { bytesValue: Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64') };
    case 'array':
      return { arrayValue: { values: v.value.map(anyValueToJson) } };
    case 'kvlist':
      return { kvlistValue: { values: attributes(v.value) } };
    case 'empty':
      return {};
  }
}

function attributes(list: readonly Attribute[]): Json[] {
  return list.map((a) => ({ key: a.key, value: anyValueToJson(a) }));
}

function double(v: number): number | string {
  return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

// Copies the entries of `fields` whose value is not a default (0, '', false, [], undefined).
function compact(fields: Json): Json {
  const out: Json = {};
  for (const key in fields) {
    const v = fields[key];
    if (v === undefined || v === 0 || v === '' || v === false || (Array.isArray(v) && v.length === 0)) continue;
    out[key] = v;
  }
  return out;
}

// A 64-bit count as OTLP/JSON's decimal string, left out when 0.
function u64(n: number): string | undefined {
  return n === 0 ? undefined : String(n);
}

function time(ms: number, nanos: number): string | undefined {
  return ms === 0 && nanos === 0 ? undefined : nanosToString(ms, nanos);
}

function resourceJson(r: Resource): Json {
  return compact({
    attributes: attributes(r.attributes),
    droppedAttributesCount: r.droppedAttributesCount,
    entityRefs: r.entityRefs.map((e) => compact({ schemaUrl: e.schemaUrl, type: e.type, idKeys: e.idKeys, descriptionKeys: e.descriptionKeys })),
  });
}

function scopeJson(s: Scope): Json {
  return compact({ name: s.name, version: s.version, attributes: attributes(s.attributes), droppedAttributesCount: s.droppedAttributesCount });
}

function tree<T extends { resource: Resource; scope: Scope }>(
  records: readonly T[], resourceKey: string, scopeKey: string, itemsKey: string, items: (list: T[]) => Json[],
): string {
  const groups: Json[] = [];
  for (const [resource, scopes] of groupByResourceAndScope(records)) {
    const scopeGroups: Json[] = [];
    for (const [scope, list] of scopes) scopeGroups.push(compact({ scope: scopeJson(scope), [itemsKey]: items(list), schemaUrl: scope.schemaUrl }));
    groups.push(compact({ resource: resourceJson(resource), [scopeKey]: scopeGroups, schemaUrl: resource.schemaUrl }));
  }
  return JSON.stringify({ [resourceKey]: groups });
}

/** Encodes spans as an OTLP/JSON ExportTraceServiceRequest. */
export function encodeTracesJson(spans: readonly Span[]): string {
  return tree(spans, 'resourceSpans', 'scopeSpans', 'spans', (list) =>
    list.map((s) =>
      compact({
        traceId: s.traceId, spanId: s.spanId, traceState: s.traceState, parentSpanId: s.parentSpanId, flags: s.flags, name: s.name, kind: s.kind,
        startTimeUnixNano: time(s.startTimeMs, s.startTimeNanos), endTimeUnixNano: time(s.endTimeMs, s.endTimeNanos),
        attributes: attributes(s.attributes), droppedAttributesCount: s.droppedAttributesCount,
        events: s.events.map((e) =>
          compact({ timeUnixNano: time(e.timeMs, e.timeNanos), name: e.name, attributes: attributes(e.attributes), droppedAttributesCount: e.droppedAttributesCount }),
        ),
        droppedEventsCount: s.droppedEventsCount,
        links: s.links.map((l) =>
          compact({
            traceId: l.traceId, spanId: l.spanId, traceState: l.traceState, attributes: attributes(l.attributes),
            droppedAttributesCount: l.droppedAttributesCount, flags: l.flags,
          }),
        ),
        droppedLinksCount: s.droppedLinksCount,
        status: s.statusCode === 0 && s.statusMessage === '' ? undefined : compact({ message: s.statusMessage, code: s.statusCode }),
      }),
    ),
  );
}

/** Encodes log records as an OTLP/JSON ExportLogsServiceRequest. */
export function encodeLogsJson(records: readonly LogRecord[]): string {
  return tree(records, 'resourceLogs', 'scopeLogs', 'logRecords', (list) =>
    list.map((l) =>
      compact({
        timeUnixNano: time(l.timeMs, l.timeNanos), observedTimeUnixNano: time(l.observedTimeMs, l.observedTimeNanos),
        severityNumber: l.severityNumber, severityText: l.severityText, body: l.body === undefined ? undefined : anyValueToJson(l.body),
        attributes: attributes(l.attributes), droppedAttributesCount: l.droppedAttributesCount, flags: l.flags,
        traceId: l.traceId, spanId: l.spanId, eventName: l.eventName,
      }),
    ),
  );
}

/** Encodes data points as an OTLP/JSON ExportMetricsServiceRequest. */
export function encodeMetricsJson(points: readonly MetricPoint[]): string {
  return tree(points, 'resourceMetrics', 'scopeMetrics', 'metrics', (list) => {
    const metrics = new Map<Metric, MetricPoint[]>();
    for (const p of list) {
      const l = metrics.get(p.metric);
      if (l === undefined) metrics.set(p.metric, [p]);
      else l.push(p);
    }
    return [...metrics].map(([m, ps]) =>
      compact({
        name: m.name, description: m.description, unit: m.unit,
        [m.type]: compact({
          dataPoints: ps.map(pointJson),
          aggregationTemporality: m.type === 'gauge' || m.type === 'summary' ? 0 : m.aggregationTemporality,
          isMonotonic: m.type === 'sum' && m.isMonotonic,
        }),
        metadata: attributes(m.metadata),
      }),
    );
  });
}

function pointJson(p: MetricPoint): Json {
  const base = {
    attributes: attributes(p.attributes), startTimeUnixNano: time(p.startTimeMs, p.startTimeNanos), timeUnixNano: time(p.timeMs, p.timeNanos),
  };
  switch (p.type) {
    case 'gauge':
    case 'sum':
      // The value oneof is written even when zero: presence is its meaning.
      return {
        ...compact({ ...base, exemplars: p.exemplars.map(exemplarJson), flags: p.flags }),
        ...(p.valueType === 'double' ? { asDouble: double(p.value as number) } : p.valueType === 'int' ? { asInt: String(p.value) } : {}),
      };
    case 'histogram':
      return {
        ...compact({
          ...base, count: u64(p.count), bucketCounts: p.bucketCounts.map(String), explicitBounds: p.explicitBounds.map(double),
          exemplars: p.exemplars.map(exemplarJson), flags: p.flags,
        }),
        ...optional({ sum: p.sum, min: p.min, max: p.max }),
      };
    case 'exponentialHistogram':
      return {
        ...compact({
          ...base, count: u64(p.count), scale: p.scale, zeroCount: u64(p.zeroCount), positive: bucketsJson(p.positive),
          negative: bucketsJson(p.negative), flags: p.flags, exemplars: p.exemplars.map(exemplarJson), zeroThreshold: double(p.zeroThreshold),
        }),
        ...optional({ sum: p.sum, min: p.min, max: p.max }),
      };
    case 'summary':
      return compact({
        ...base, count: u64(p.count), sum: double(p.sum),
        quantileValues: p.quantileValues.map((q) => compact({ quantile: double(q.quantile), value: double(q.value) })), flags: p.flags,
      });
  }
}

// Optional doubles have presence: written whenever defined, zero included.
function optional(fields: Record<string, number | undefined>): Json {
  const out: Json = {};
  for (const key in fields) if (fields[key] !== undefined) out[key] = double(fields[key]);
  return out;
}

function bucketsJson(b: ExponentialBuckets): Json | undefined {
  if (b.offset === 0 && b.bucketCounts.length === 0) return undefined;
  return compact({ offset: b.offset, bucketCounts: b.bucketCounts.map(String) });
}

function exemplarJson(e: Exemplar): Json {
  return {
    ...compact({ filteredAttributes: attributes(e.filteredAttributes), timeUnixNano: time(e.timeMs, e.timeNanos), spanId: e.spanId, traceId: e.traceId }),
    ...(e.valueType === 'double' ? { asDouble: double(e.value as number) } : e.valueType === 'int' ? { asInt: String(e.value) } : {}),
  };
}
