// Protobuf decoding of the shared OTLP messages: KeyValue, AnyValue, Resource, InstrumentationScope, and the
// request -> ResourceX -> ScopeX envelope every signal wraps its records in.
import { rethrowWithin } from './errors.ts';
import { bytesToHex } from './hex.ts';
import type { AnyValue, Attribute, EntityRef, Resource, Scope } from './model.ts';
import { expectEnd, ProtoReader, skipUnknown } from './protoReader.ts';
import { decodeUtf8 } from './utf8.ts';

/** Deepest AnyValue nesting accepted (arrays in maps in arrays...), so hostile input cannot exhaust the stack. */
export const MAX_VALUE_DEPTH = 32;

const KEY_VALUE_FIELDS: Record<number, string> = { 1: 'key', 2: 'value' };
const ANY_VALUE_FIELDS: Record<number, string> = {
  1: 'stringValue', 2: 'boolValue', 3: 'intValue', 4: 'doubleValue', 5: 'arrayValue', 6: 'kvlistValue', 7: 'bytesValue',
};
const LIST_FIELDS: Record<number, string> = { 1: 'values' };
const RESOURCE_FIELDS: Record<number, string> = { 1: 'attributes', 2: 'droppedAttributesCount', 3: 'entityRefs' };
const SCOPE_FIELDS: Record<number, string> = { 1: 'name', 2: 'version', 3: 'attributes', 4: 'droppedAttributesCount' };
const ENTITY_REF_FIELDS: Record<number, string> = { 1: 'schemaUrl', 2: 'type', 3: 'idKeys', 4: 'descriptionKeys' };

/** Reads a length-delimited string field. */
export function readString(r: ProtoReader, limit: number): string {
  const end = r.lengthEnd(limit);
  const s = decodeUtf8(r.buf, r.pos, end);
  r.pos = end;
  return s;
}

/** Reads an id field (bytes) as lowercase hex; `sizes` lists the accepted byte lengths. */
export function readId(r: ProtoReader, limit: number, name: string, size: number, emptyAllowed: boolean): string {
  const at = r.pos;
  const end = r.lengthEnd(limit);
  const n = end - r.pos;
  if (n !== size && !(n === 0 && emptyAllowed)) {
    r.fail(`expected ${emptyAllowed ? `0 or ${size}` : size} bytes, got ${n}`, at, name);
  }
  const hex = n === 0 ? '' : bytesToHex(r.buf, r.pos, n);
  r.pos = end;
  return hex;
}

/** Reads a signed 64-bit varint as an Int64 (number when safe, bigint otherwise). */
export function readInt64(r: ProtoReader): number | bigint {
  r.varint64();
  return int64Of(r.lo, r.hi);
}

/** The Int64 whose two's-complement halves are lo and hi. */
export function int64Of(lo: number, hi: number): number | bigint {
  const h = hi | 0;
  if (h >= -0x200000 && h < 0x200000) {
    const n = h * 4294967296 + lo;
    if (Number.isSafeInteger(n)) return n;
  }
  return BigInt(h) * 4294967296n + BigInt(lo);
}

// AnyValue is decoded into these two slots so a KeyValue becomes one object ({key, type, value}),
// not two; callers read them right after decodeValueParts returns.
let valueType: AnyValue['type'] = 'empty';
let valueValue: unknown = null;

function decodeValueParts(r: ProtoReader, end: number, depth: number): void {
  if (depth > MAX_VALUE_DEPTH) r.fail(`attribute values nested deeper than ${MAX_VALUE_DEPTH} levels`);
  let type: AnyValue['type'] = 'empty';
  let value: unknown = null;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 10: // string_value = 1
        type = 'string';
        value = readString(r, end);
        break;
      case 16: // bool_value = 2
        type = 'bool';
        value = r.bool();
        break;
      case 24: // int_value = 3
        type = 'int';
        value = readInt64(r);
        break;
      case 33: // double_value = 4
        type = 'double';
        value = r.double();
        break;
      case 42: {
        // array_value = 5
        const e = r.lengthEnd(end);
        try {
          value = decodeArrayValue(r, e, depth);
        } catch (err) {
          rethrowWithin(err, 'arrayValue');
        }
        type = 'array';
        break;
      }
      case 50: {
        // kvlist_value = 6
        const e = r.lengthEnd(end);
        try {
          value = decodeKeyValueList(r, e, depth);
        } catch (err) {
          rethrowWithin(err, 'kvlistValue');
        }
        type = 'kvlist';
        break;
      }
      case 58: {
        // bytes_value = 7; copied so the record does not pin the whole request buffer
        const e = r.lengthEnd(end);
        value = new Uint8Array(r.buf.subarray(r.pos, e));
        r.pos = e;
        type = 'bytes';
        break;
      }
      default:
        skipUnknown(r, tag, tagAt, end, ANY_VALUE_FIELDS);
    }
  }
  expectEnd(r, end);
  valueType = type;
  valueValue = value;
}

function decodeArrayValue(r: ProtoReader, end: number, depth: number): AnyValue[] {
  const values: AnyValue[] = [];
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 10) {
      const e = r.lengthEnd(end);
      try {
        decodeValueParts(r, e, depth + 1);
      } catch (err) {
        rethrowWithin(err, `values[${values.length}]`);
      }
      values.push({ type: valueType, value: valueValue } as AnyValue);
    } else skipUnknown(r, tag, tagAt, end, LIST_FIELDS);
  }
  expectEnd(r, end);
  return values;
}

function decodeKeyValueList(r: ProtoReader, end: number, depth: number): Attribute[] {
  const values: Attribute[] = [];
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 10) {
      const e = r.lengthEnd(end);
      try {
        values.push(decodeKeyValue(r, e, depth + 1));
      } catch (err) {
        rethrowWithin(err, `values[${values.length}]`);
      }
    } else skipUnknown(r, tag, tagAt, end, LIST_FIELDS);
  }
  expectEnd(r, end);
  return values;
}

/** Decodes an AnyValue message occupying [r.pos, end). */
export function decodeAnyValue(r: ProtoReader, end: number, depth = 0): AnyValue {
  decodeValueParts(r, end, depth);
  return { type: valueType, value: valueValue } as AnyValue;
}

function decodeKeyValue(r: ProtoReader, end: number, depth: number): Attribute {
  let key = '';
  let type: AnyValue['type'] = 'empty';
  let value: unknown = null;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 10) key = readString(r, end);
    else if (tag === 18) {
      const e = r.lengthEnd(end);
      try {
        decodeValueParts(r, e, depth);
      } catch (err) {
        rethrowWithin(err, 'value');
      }
      type = valueType;
      value = valueValue;
    } else skipUnknown(r, tag, tagAt, end, KEY_VALUE_FIELDS);
  }
  expectEnd(r, end);
  return { key, type, value } as Attribute;
}

/** Decodes one repeated KeyValue element (tag already read) and appends it; `name` labels errors. */
export function pushAttribute(r: ProtoReader, limit: number, attributes: Attribute[], name: string): void {
  const e = r.lengthEnd(limit);
  try {
    attributes.push(decodeKeyValue(r, e, 0));
  } catch (err) {
    rethrowWithin(err, `${name}[${attributes.length}]`);
  }
}

/** Decodes one repeated message element (tag already read) with `decode` and appends it; `name` labels errors. */
export function pushMessage<T>(r: ProtoReader, limit: number, list: T[], name: string, decode: (r: ProtoReader, end: number) => T): void {
  const e = r.lengthEnd(limit);
  try {
    list.push(decode(r, e));
  } catch (err) {
    rethrowWithin(err, `${name}[${list.length}]`);
  }
}

/** Fills `resource` from a Resource message occupying [r.pos, end). */
export function decodeResourceInto(r: ProtoReader, end: number, resource: Resource): void {
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 10: // attributes = 1
        pushAttribute(r, end, resource.attributes, 'attributes');
        break;
      case 16: // dropped_attributes_count = 2
        resource.droppedAttributesCount = r.uint32();
        break;
      case 26: // entity_refs = 3
        pushMessage(r, end, resource.entityRefs, 'entityRefs', decodeEntityRef);
        break;
      default:
        skipUnknown(r, tag, tagAt, end, RESOURCE_FIELDS);
    }
  }
  expectEnd(r, end);
}

function decodeEntityRef(r: ProtoReader, end: number): EntityRef {
  const ref: EntityRef = { schemaUrl: '', type: '', idKeys: [], descriptionKeys: [] };
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 10:
        ref.schemaUrl = readString(r, end);
        break;
      case 18:
        ref.type = readString(r, end);
        break;
      case 26:
        ref.idKeys.push(readString(r, end));
        break;
      case 34:
        ref.descriptionKeys.push(readString(r, end));
        break;
      default:
        skipUnknown(r, tag, tagAt, end, ENTITY_REF_FIELDS);
    }
  }
  expectEnd(r, end);
  return ref;
}

/** Fills `scope` from an InstrumentationScope message occupying [r.pos, end). */
export function decodeScopeInto(r: ProtoReader, end: number, scope: Scope): void {
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 10: // name = 1
        scope.name = readString(r, end);
        break;
      case 18: // version = 2
        scope.version = readString(r, end);
        break;
      case 26: // attributes = 3
        pushAttribute(r, end, scope.attributes, 'attributes');
        break;
      case 32: // dropped_attributes_count = 4
        scope.droppedAttributesCount = r.uint32();
        break;
      default:
        skipUnknown(r, tag, tagAt, end, SCOPE_FIELDS);
    }
  }
  expectEnd(r, end);
}

/** A fresh Resource with every field at its default. */
export function emptyResource(): Resource {
  return { attributes: [], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
}

/** A fresh Scope with every field at its default. */
export function emptyScope(): Scope {
  return { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
}

/**
 * One signal's envelope: Export*ServiceRequest { resource_x = 1 } -> ResourceX { resource = 1, scope_x = 2,
 * schema_url = 3 } -> ScopeX { scope = 1, items = 2, schema_url = 3 }. The field numbers are the same in every
 * signal; only the names (used in error paths) differ.
 */
export interface Envelope {
  /** e.g. `resourceSpans` */
  readonly resources: string;
  /** e.g. `scopeSpans` */
  readonly scopes: string;
  /** e.g. `spans` */
  readonly items: string;
  // Field names by number at each level, for skipUnknown.
  readonly requestFields: Readonly<Record<number, string>>;
  readonly resourceFields: Readonly<Record<number, string>>;
  readonly scopeFields: Readonly<Record<number, string>>;
}

function envelope(resources: string, scopes: string, items: string): Envelope {
  return {
    resources, scopes, items,
    requestFields: { 1: resources },
    resourceFields: { 1: 'resource', 2: scopes, 3: 'schemaUrl' },
    scopeFields: { 1: 'scope', 2: items, 3: 'schemaUrl' },
  };
}

/** ExportTraceServiceRequest -> ResourceSpans -> ScopeSpans -> Span. */
export const TRACES_ENVELOPE = envelope('resourceSpans', 'scopeSpans', 'spans');
/** ExportMetricsServiceRequest -> ResourceMetrics -> ScopeMetrics -> Metric. */
export const METRICS_ENVELOPE = envelope('resourceMetrics', 'scopeMetrics', 'metrics');
/** ExportLogsServiceRequest -> ResourceLogs -> ScopeLogs -> LogRecord. */
export const LOGS_ENVELOPE = envelope('resourceLogs', 'scopeLogs', 'logRecords');

/** Decodes one leaf message (a span, a log record, a metric) occupying [r.pos, end) and appends its records to `out`. */
export type LeafDecoder<T> = (r: ProtoReader, end: number, resource: Resource, scope: Scope, out: T[]) => void;

/**
 * Calls `each` with the field start and end of every ResourceX (field 1) at the top level of a request, skipping
 * unknown fields; errors thrown by `each` get `resources[i]` prefixed to their path.
 */
export function forEachResource(r: ProtoReader, requestFields: Readonly<Record<number, string>>, each: (fieldAt: number, end: number) => void): void {
  const end = r.length;
  let index = 0;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 10) {
      const e = r.lengthEnd(end);
      try {
        each(tagAt, e);
      } catch (err) {
        rethrowWithin(err, `${requestFields[1]}[${index}]`);
      }
      index++;
    } else skipUnknown(r, tag, tagAt, end, requestFields);
  }
}

/**
 * `forEachResource` for work done in slices (the gateway's planners): `each` may be a generator that yields, the walk
 * yields after every resource and moves past it, and errors get `resources[i]` prefixed to their path as well.
 */
export function* forEachResourceInSlices(r: ProtoReader, requestFields: Readonly<Record<number, string>>, each: (fieldAt: number, end: number) => Generator<void, void, void> | void): Generator<void, void, void> {
  const end = r.length;
  let index = 0;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 10) {
      const e = r.lengthEnd(end);
      try {
        const slices = each(tagAt, e);
        if (slices) yield* slices;
      } catch (err) {
        rethrowWithin(err, `${requestFields[1]}[${index}]`);
      }
      r.pos = e;
      index++;
      yield;
    } else skipUnknown(r, tag, tagAt, end, requestFields);
  }
}

/** Decodes Export*ServiceRequest bytes shaped like `env` into flat records, `leaf` decoding each leaf message. */
export function decodeRequest<T>(bytes: Uint8Array, env: Envelope, leaf: LeafDecoder<T>): T[] {
  const r = new ProtoReader(bytes);
  const out: T[] = [];
  forEachResource(r, env.requestFields, (_, end) => decodeResourceLevel(r, end, env, leaf, out));
  return out;
}

function decodeResourceLevel<T>(r: ProtoReader, end: number, env: Envelope, leaf: LeafDecoder<T>, out: T[]): void {
  // Created first and filled when its field arrives: fields may come in any order on the wire.
  const resource = emptyResource();
  let index = 0;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 10: {
        const e = r.lengthEnd(end);
        try {
          decodeResourceInto(r, e, resource);
        } catch (err) {
          rethrowWithin(err, 'resource');
        }
        break;
      }
      case 18: {
        const e = r.lengthEnd(end);
        try {
          decodeScopeLevel(r, e, env, leaf, resource, out);
        } catch (err) {
          rethrowWithin(err, `${env.scopes}[${index}]`);
        }
        index++;
        break;
      }
      case 26:
        resource.schemaUrl = readString(r, end);
        break;
      default:
        skipUnknown(r, tag, tagAt, end, env.resourceFields);
    }
  }
  expectEnd(r, end);
}

function decodeScopeLevel<T>(r: ProtoReader, end: number, env: Envelope, leaf: LeafDecoder<T>, resource: Resource, out: T[]): void {
  const scope = emptyScope();
  let index = 0;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 10: {
        const e = r.lengthEnd(end);
        try {
          decodeScopeInto(r, e, scope);
        } catch (err) {
          rethrowWithin(err, 'scope');
        }
        break;
      }
      case 18: {
        const e = r.lengthEnd(end);
        try {
          leaf(r, e, resource, scope, out);
        } catch (err) {
          rethrowWithin(err, `${env.items}[${index}]`);
        }
        index++;
        break;
      }
      case 26:
        scope.schemaUrl = readString(r, end);
        break;
      default:
        skipUnknown(r, tag, tagAt, end, env.scopeFields);
    }
  }
  expectEnd(r, end);
}
