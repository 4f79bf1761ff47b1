// OTLP/JSON -> flat records. The mapping: lowerCamelCase keys, trace/span ids as hex (either case accepted,
// lowercase kept), 64-bit integers as decimal strings (numbers accepted too), enums as integers, bytes as
// base64, doubles as numbers or "NaN"/"Infinity"/"-Infinity". Unknown keys are ignored and null means
// "not set", as the OTLP spec asks of receivers. Errors name the JSON path.
import { MAX_VALUE_DEPTH } from './decodeCommon.ts';
import { OtlpDecodeError, rethrowWithin } from './errors.ts';
import { hexDigit } from './hex.ts';
import type {
  AnyValue, Attribute, EntityRef, Exemplar, ExponentialBuckets, Int64, LogRecord, Metric, MetricPoint, MetricType, NumberValueType,
  Resource, Scope, Span, SpanEvent, SpanLink,
} from './model.ts';
import { splitNanos } from './time.ts';

type Json = Record<string, unknown>;

const MAX_UINT32 = 4294967295;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
// 2^63 and 2^64 are exact doubles, so comparing a parsed JSON number with them is an exact range check.
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function fail(reason: string, path = ''): never {
  throw new OtlpDecodeError(reason, 'json', -1, path);
}

/** Parses the body if it is text or bytes; a parsed value passes through. */
function parseBody(input: unknown): unknown {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
    try {
      return JSON.parse(text);
    } catch (err) {
      fail(`not JSON: ${(err as Error).message}`);
    }
  }
  return input;
}

function object(v: unknown, name: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`expected an object, got ${describe(v)}`, name);
  return v as Json;
}

function optionalObject(v: unknown, name: string): Json | undefined {
  return v === undefined || v === null ? undefined : object(v, name);
}

function list(v: unknown, name: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(`expected an array, got ${describe(v)}`, name);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function str(v: unknown, name: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail(`expected a string, got ${describe(v)}`, name);
  return v;
}

function bool(v: unknown, name: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') fail(`expected true or false, got ${describe(v)}`, name);
  return v;
}

function integer(v: unknown, name: string, min: number, max: number): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && /^-?[0-9]+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) fail(`expected an integer in [${min}, ${max}], got ${describe(v)}`, name);
  return n;
}

function uint32(v: unknown, name: string): number {
  return integer(v, name, 0, MAX_UINT32);
}

function int32(v: unknown, name: string): number {
  return integer(v, name, -2147483648, 2147483647);
}

// A JSON number is range-checked as the double JSON.parse made of it: 1e300 or 9223372036854775808 are refused,
// never wrapped into int64. (Beyond 2^53 a number has already lost digits in JSON.parse; OTLP/JSON sends strings.)
function int64(v: unknown, name: string): Int64 {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) fail(`expected a 64-bit integer, got ${v}`, name);
    if (Number.isSafeInteger(v)) return v;
    if (v < -TWO_63 || v >= TWO_63) fail(`${v} is outside the int64 range`, name);
    return BigInt(v);
  }
  if (typeof v !== 'string' || !/^-?[0-9]{1,20}$/.test(v)) fail(`expected a 64-bit integer (decimal string or number), got ${describe(v)}`, name);
  const n = Number(v);
  if (Number.isSafeInteger(n)) return n;
  const b = BigInt(v);
  if (b < INT64_MIN || b > INT64_MAX) fail(`${v} is outside the int64 range`, name);
  return b;
}

// Counts are numbers in the model (exact below 2^53, like the protobuf decoder's); beyond uint64 they are refused.
function count(v: unknown, name: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
    if (v >= TWO_64) fail(`${v} is outside the uint64 range`, name);
    return v;
  }
  if (typeof v === 'string' && /^[0-9]{1,20}$/.test(v)) {
    if (v.length === 20 && BigInt(v) > UINT64_MAX) fail(`${v} is outside the uint64 range`, name);
    return Number(v);
  }
  return fail(`expected an unsigned 64-bit integer, got ${describe(v)}`, name);
}

function double(v: unknown, name: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return fail(`expected a number, got ${describe(v)}`, name);
}

function optionalDouble(v: unknown, name: string): number | undefined {
  return v === undefined || v === null ? undefined : double(v, name);
}

function time(o: Json, name: string): [number, number] {
  const v = o[name];
  if (v === undefined || v === null) return [0, 0];
  if (typeof v !== 'string' && typeof v !== 'number') fail(`expected a decimal string of nanoseconds, got ${describe(v)}`, name);
  return splitNanos(v, name);
}

function id(v: unknown, name: string, size: number, emptyAllowed: boolean): string {
  const s = str(v, name);
  if (s.length === 0 && emptyAllowed) return '';
  if (s.length !== size * 2) fail(`expected ${size * 2} hex characters${emptyAllowed ? ' or none' : ''}, got ${s.length}`, name);
  for (let i = 0; i < s.length; i++) {
    if (hexDigit(s.charCodeAt(i)) < 0) fail(`not hex: ${JSON.stringify(s)}`, name);
  }
  return s.toLowerCase();
}

function each<T>(v: unknown, name: string, decode: (item: unknown) => T): T[] {
  const items = list(v, name);
  const out: T[] = new Array<T>(items.length);
  for (let i = 0; i < items.length; i++) {
    try {
      out[i] = decode(items[i]);
    } catch (err) {
      rethrowWithin(err, `${name}[${i}]`);
    }
  }
  return out;
}

function nested<T>(name: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    return rethrowWithin(err, name);
  }
}

/** Decodes an OTLP/JSON AnyValue object. */
export function anyValueFromJson(v: unknown, depth = 0): AnyValue {
  if (depth > MAX_VALUE_DEPTH) fail(`attribute values nested deeper than ${MAX_VALUE_DEPTH} levels`);
  const o = object(v, '');
  if (o.stringValue != null) return { type: 'string', value: str(o.stringValue, 'stringValue') };
  if (o.boolValue != null) return { type: 'bool', value: bool(o.boolValue, 'boolValue') };
  if (o.intValue != null) return { type: 'int', value: int64(o.intValue, 'intValue') };
  if (o.doubleValue != null) return { type: 'double', value: double(o.doubleValue, 'doubleValue') };
  if (o.arrayValue != null) {
    const a = object(o.arrayValue, 'arrayValue');
    return { type: 'array', value: nested('arrayValue', () => each(a.values, 'values', (x) => anyValueFromJson(x, depth + 1))) };
  }
  if (o.kvlistValue != null) {
    const kv = object(o.kvlistValue, 'kvlistValue');
    return { type: 'kvlist', value: nested('kvlistValue', () => each(kv.values, 'values', (x) => attributeFromJson(x, depth + 1))) };
  }
  if (o.bytesValue != null) {
    const s = str(o.bytesValue, 'bytesValue');
    if (!BASE64.test(s)) fail('expected base64', 'bytesValue');
    return { type: 'bytes', value: new Uint8Array(Buffer.from(s, 'base64')) };
  }
  return { type: 'empty', value: null };
}

function attributeFromJson(v: unknown, depth = 0): Attribute {
  const o = object(v, '');
  const key = str(o.key, 'key');
  const value = o.value == null ? ({ type: 'empty', value: null } as AnyValue) : nested('value', () => anyValueFromJson(o.value, depth));
  return { key, type: value.type, value: value.value } as Attribute;
}

function attributes(v: unknown, name = 'attributes'): Attribute[] {
  return each(v, name, (x) => attributeFromJson(x));
}

function resourceFromJson(group: Json): Resource {
  const o = optionalObject(group.resource, 'resource');
  const resource: Resource = { attributes: [], droppedAttributesCount: 0, entityRefs: [], schemaUrl: str(group.schemaUrl, 'schemaUrl') };
  if (o !== undefined) {
    nested('resource', () => {
      resource.attributes = attributes(o.attributes);
      resource.droppedAttributesCount = uint32(o.droppedAttributesCount, 'droppedAttributesCount');
      resource.entityRefs = each(o.entityRefs, 'entityRefs', (x): EntityRef => {
        const e = object(x, '');
        return {
          schemaUrl: str(e.schemaUrl, 'schemaUrl'),
          type: str(e.type, 'type'),
          idKeys: each(e.idKeys, 'idKeys', (k) => str(k, '')),
          descriptionKeys: each(e.descriptionKeys, 'descriptionKeys', (k) => str(k, '')),
        };
      });
    });
  }
  return resource;
}

function scopeFromJson(group: Json): Scope {
  const o = optionalObject(group.scope, 'scope');
  const scope: Scope = { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: str(group.schemaUrl, 'schemaUrl') };
  if (o !== undefined) {
    nested('scope', () => {
      scope.name = str(o.name, 'name');
      scope.version = str(o.version, 'version');
      scope.attributes = attributes(o.attributes);
      scope.droppedAttributesCount = uint32(o.droppedAttributesCount, 'droppedAttributesCount');
    });
  }
  return scope;
}

// Walks request -> resource groups -> scope groups -> items, calling `item` for every item.
function walk(
  input: unknown, resourceKey: string, scopeKey: string, itemsKey: string,
  item: (o: Json, resource: Resource, scope: Scope) => void,
): void {
  const request = object(parseBody(input), '');
  each(request[resourceKey], resourceKey, (rv) => {
    const rg = object(rv, '');
    const resource = resourceFromJson(rg);
    each(rg[scopeKey], scopeKey, (sv) => {
      const sg = object(sv, '');
      const scope = scopeFromJson(sg);
      each(sg[itemsKey], itemsKey, (x) => item(object(x, ''), resource, scope));
    });
  });
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest (text, bytes or parsed) into spans. */
export function decodeTracesJson(input: unknown): Span[] {
  const spans: Span[] = [];
  walk(input, 'resourceSpans', 'scopeSpans', 'spans', (o, resource, scope) => {
    const [startTimeMs, startTimeNanos] = time(o, 'startTimeUnixNano');
    const [endTimeMs, endTimeNanos] = time(o, 'endTimeUnixNano');
    const status = optionalObject(o.status, 'status');
    spans.push({
      resource, scope,
      traceId: id(o.traceId, 'traceId', 16, false),
      spanId: id(o.spanId, 'spanId', 8, false),
      traceState: str(o.traceState, 'traceState'),
      parentSpanId: id(o.parentSpanId, 'parentSpanId', 8, true),
      flags: uint32(o.flags, 'flags'),
      name: str(o.name, 'name'),
      kind: int32(o.kind, 'kind'),
      startTimeMs, startTimeNanos, endTimeMs, endTimeNanos,
      attributes: attributes(o.attributes),
      droppedAttributesCount: uint32(o.droppedAttributesCount, 'droppedAttributesCount'),
      events: each(o.events, 'events', (x): SpanEvent => {
        const e = object(x, '');
        const [timeMs, timeNanos] = time(e, 'timeUnixNano');
        return { timeMs, timeNanos, name: str(e.name, 'name'), attributes: attributes(e.attributes), droppedAttributesCount: uint32(e.droppedAttributesCount, 'droppedAttributesCount') };
      }),
      droppedEventsCount: uint32(o.droppedEventsCount, 'droppedEventsCount'),
      links: each(o.links, 'links', (x): SpanLink => {
        const l = object(x, '');
        return {
          traceId: id(l.traceId, 'traceId', 16, false), spanId: id(l.spanId, 'spanId', 8, false), traceState: str(l.traceState, 'traceState'),
          attributes: attributes(l.attributes), droppedAttributesCount: uint32(l.droppedAttributesCount, 'droppedAttributesCount'), flags: uint32(l.flags, 'flags'),
        };
      }),
      droppedLinksCount: uint32(o.droppedLinksCount, 'droppedLinksCount'),
      statusCode: status === undefined ? 0 : nested('status', () => int32(status.code, 'code')),
      statusMessage: status === undefined ? '' : nested('status', () => str(status.message, 'message')),
    });
  });
  return spans;
}

/** Decodes an OTLP/JSON ExportLogsServiceRequest (text, bytes or parsed) into log records. */
export function decodeLogsJson(input: unknown): LogRecord[] {
  const records: LogRecord[] = [];
  walk(input, 'resourceLogs', 'scopeLogs', 'logRecords', (o, resource, scope) => {
    const [timeMs, timeNanos] = time(o, 'timeUnixNano');
    const [observedTimeMs, observedTimeNanos] = time(o, 'observedTimeUnixNano');
    records.push({
      resource, scope, timeMs, timeNanos, observedTimeMs, observedTimeNanos,
      severityNumber: int32(o.severityNumber, 'severityNumber'),
      severityText: str(o.severityText, 'severityText'),
      body: o.body == null ? undefined : nested('body', () => anyValueFromJson(o.body)),
      attributes: attributes(o.attributes),
      droppedAttributesCount: uint32(o.droppedAttributesCount, 'droppedAttributesCount'),
      flags: uint32(o.flags, 'flags'),
      traceId: id(o.traceId, 'traceId', 16, true),
      spanId: id(o.spanId, 'spanId', 8, true),
      eventName: str(o.eventName, 'eventName'),
    });
  });
  return records;
}

const DATA_KEYS: MetricType[] = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

/** Decodes an OTLP/JSON ExportMetricsServiceRequest (text, bytes or parsed) into data points. */
export function decodeMetricsJson(input: unknown): MetricPoint[] {
  const points: MetricPoint[] = [];
  walk(input, 'resourceMetrics', 'scopeMetrics', 'metrics', (o, resource, scope) => {
    const type = DATA_KEYS.find((k) => o[k] != null);
    if (type === undefined) return; // a metric without data carries no points
    const data = object(o[type], type);
    const metric: Metric = {
      name: str(o.name, 'name'), description: str(o.description, 'description'), unit: str(o.unit, 'unit'), type,
      aggregationTemporality: type === 'gauge' || type === 'summary' ? 0 : nested(type, () => int32(data.aggregationTemporality, 'aggregationTemporality')),
      isMonotonic: type === 'sum' ? nested(type, () => bool(data.isMonotonic, 'isMonotonic')) : false,
      metadata: attributes(o.metadata, 'metadata'),
    };
    nested(type, () => each(data.dataPoints, 'dataPoints', (x) => points.push(pointFromJson(object(x, ''), resource, scope, metric))));
  });
  return points;
}

function pointFromJson(o: Json, resource: Resource, scope: Scope, metric: Metric): MetricPoint {
  const [startTimeMs, startTimeNanos] = time(o, 'startTimeUnixNano');
  const [timeMs, timeNanos] = time(o, 'timeUnixNano');
  const base = {
    resource, scope, metric, attributes: attributes(o.attributes), startTimeMs, startTimeNanos, timeMs, timeNanos, flags: uint32(o.flags, 'flags'),
  };
  switch (metric.type) {
    case 'gauge':
    case 'sum': {
      const [valueType, value] = numberValue(o);
      return { type: metric.type, ...base, valueType, value, exemplars: exemplars(o) };
    }
    case 'histogram':
      return {
        type: 'histogram', ...base, count: count(o.count, 'count'), sum: optionalDouble(o.sum, 'sum'),
        bucketCounts: each(o.bucketCounts, 'bucketCounts', (c) => count(c, '')),
        explicitBounds: each(o.explicitBounds, 'explicitBounds', (b) => double(b, '')),
        exemplars: exemplars(o), min: optionalDouble(o.min, 'min'), max: optionalDouble(o.max, 'max'),
      };
    case 'exponentialHistogram':
      return {
        type: 'exponentialHistogram', ...base, count: count(o.count, 'count'), sum: optionalDouble(o.sum, 'sum'), scale: int32(o.scale, 'scale'),
        zeroCount: count(o.zeroCount, 'zeroCount'), positive: buckets(o.positive, 'positive'), negative: buckets(o.negative, 'negative'),
        exemplars: exemplars(o), min: optionalDouble(o.min, 'min'), max: optionalDouble(o.max, 'max'), zeroThreshold: double(o.zeroThreshold, 'zeroThreshold'),
      };
    case 'summary':
      return {
        type: 'summary', ...base, count: count(o.count, 'count'), sum: double(o.sum, 'sum'),
        quantileValues: each(o.quantileValues, 'quantileValues', (x) => {
          const q = object(x, '');
          return { quantile: double(q.quantile, 'quantile'), value: double(q.value, 'value') };
        }),
      };
  }
}

function numberValue(o: Json): [NumberValueType, number | bigint] {
  if (o.asDouble != null) return ['double', double(o.asDouble, 'asDouble')];
  if (o.asInt != null) return ['int', int64(o.asInt, 'asInt')];
  return ['none', 0];
}

function buckets(v: unknown, name: string): ExponentialBuckets {
  const o = optionalObject(v, name);
  if (o === undefined) return { offset: 0, bucketCounts: [] };
  return nested(name, () => ({ offset: int32(o.offset, 'offset'), bucketCounts: each(o.bucketCounts, 'bucketCounts', (c) => count(c, '')) }));
}

function exemplars(o: Json): Exemplar[] {
  return each(o.exemplars, 'exemplars', (x) => {
    const e = object(x, '');
    const [timeMs, timeNanos] = time(e, 'timeUnixNano');
    const [valueType, value] = numberValue(e);
    return {
      filteredAttributes: attributes(e.filteredAttributes, 'filteredAttributes'), timeMs, timeNanos, valueType, value,
      spanId: id(e.spanId, 'spanId', 8, true), traceId: id(e.traceId, 'traceId', 16, true),
    };
  });
}
