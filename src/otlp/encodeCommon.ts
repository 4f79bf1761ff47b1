// Protobuf encoding of the shared OTLP messages, plus grouping of flat records back into the tree.
import type { AnyValue, Attribute, EntityRef, Resource, Scope } from './model.ts';
import type { ProtoWriter } from './protoWriter.ts';
import { loOf, hiOf } from './time.ts';

/** Writes `field` as an AnyValue message. */
export function writeAnyValueField(w: ProtoWriter, field: number, v: AnyValue): void {
  w.tag(field, 2);
  const start = w.fork();
  writeAnyValueBody(w, v);
  w.join(start);
}

function writeAnyValueBody(w: ProtoWriter, v: AnyValue): void {
  // Members of a oneof are written even when they hold the default value (presence is the point).
  switch (v.type) {
    case 'string':
      w.tag(1, 2);
      w.string(v.value);
      break;
    case 'bool':
      w.tag(2, 0);
      w.uint32(v.value ? 1 : 0);
      break;
    case 'int':
      w.tag(3, 0);
      w.splitInt64(v.value);
      w.varint64(w.lo, w.hi);
      break;
    case 'double':
      w.tag(4, 1);
      w.double(v.value);
      break;
    case 'array': {
      w.tag(5, 2);
      const start = w.fork();
      for (const item of v.value) writeAnyValueField(w, 1, item);
      w.join(start);
      break;
    }
    case 'kvlist': {
      w.tag(6, 2);
      const start = w.fork();
      writeAttributes(w, 1, v.value);
      w.join(start);
      break;
    }
    case 'bytes':
      w.tag(7, 2);
      w.bytes(v.value);
      break;
    case 'empty':
      break;
  }
}

/** Writes each attribute as a KeyValue message in repeated field `field`. */
export function writeAttributes(w: ProtoWriter, field: number, attributes: readonly Attribute[]): void {
  for (const a of attributes) {
    w.tag(field, 2);
    const start = w.fork();
    if (a.key !== '') {
      w.tag(1, 2);
      w.string(a.key);
    }
    writeAnyValueField(w, 2, a);
    w.join(start);
  }
}

/** Writes a string field unless it is empty (proto3 default). */
export function writeStringField(w: ProtoWriter, field: number, s: string): void {
  if (s === '') return;
  w.tag(field, 2);
  w.string(s);
}

/** Writes a uint32 / enum varint field unless it is 0. */
export function writeVarintField(w: ProtoWriter, field: number, v: number): void {
  if (v === 0) return;
  w.tag(field, 0);
  w.int32(v);
}

/** Writes a fixed64 timestamp field from its (ms, nanos) pair unless it is 0. */
export function writeTimeField(w: ProtoWriter, field: number, ms: number, nanos: number): void {
  if (ms === 0 && nanos === 0) return;
  w.tag(field, 1);
  w.fixed64(loOf(ms, nanos), hiOf(ms, nanos));
}

/** Writes a fixed64 count field unless it is 0. */
export function writeCountField(w: ProtoWriter, field: number, count: number): void {
  if (count === 0) return;
  w.tag(field, 1);
  writeCount(w, count);
}

/** Writes a count as 8 little-endian bytes. */
export function writeCount(w: ProtoWriter, count: number): void {
  const lo = count % 4294967296;
  w.fixed64(lo, (count - lo) / 4294967296);
}

/** Writes a double field unless it is +0 (proto3 default; -0 is kept). */
export function writeDoubleField(w: ProtoWriter, field: number, v: number): void {
  if (v === 0 && !Object.is(v, -0)) return;
  w.tag(field, 1);
  w.double(v);
}

/** Writes an id (hex) as a bytes field unless it is empty. */
export function writeIdField(w: ProtoWriter, field: number, hex: string): void {
  if (hex === '') return;
  w.tag(field, 2);
  w.hexBytes(hex);
}

/** Writes `field` as a Resource message (skipped when every field is default). */
export function writeResourceField(w: ProtoWriter, field: number, resource: Resource): void {
  if (resource.attributes.length === 0 && resource.droppedAttributesCount === 0 && resource.entityRefs.length === 0) return;
  w.tag(field, 2);
  const start = w.fork();
  writeAttributes(w, 1, resource.attributes);
  writeVarintField(w, 2, resource.droppedAttributesCount);
  for (const ref of resource.entityRefs) writeEntityRef(w, ref);
  w.join(start);
}

function writeEntityRef(w: ProtoWriter, ref: EntityRef): void {
  w.tag(3, 2);
  const start = w.fork();
  writeStringField(w, 1, ref.schemaUrl);
  writeStringField(w, 2, ref.type);
  for (const k of ref.idKeys) {
    w.tag(3, 2);
    w.string(k);
  }
  for (const k of ref.descriptionKeys) {
    w.tag(4, 2);
    w.string(k);
  }
  w.join(start);
}

/** Writes `field` as an InstrumentationScope message (skipped when every field is default). */
export function writeScopeField(w: ProtoWriter, field: number, scope: Scope): void {
  if (scope.name === '' && scope.version === '' && scope.attributes.length === 0 && scope.droppedAttributesCount === 0) return;
  w.tag(field, 2);
  const start = w.fork();
  writeStringField(w, 1, scope.name);
  writeStringField(w, 2, scope.version);
  writeAttributes(w, 3, scope.attributes);
  writeVarintField(w, 4, scope.droppedAttributesCount);
  w.join(start);
}

/**
 * Writes the envelope of an Export*ServiceRequest for `records`, grouped by Resource and Scope: ResourceX (field 1)
 * { resource = 1, ScopeX (field 2) { scope = 1, items = 2 written by `writeItems`, schema_url = 3 }, schema_url = 3 }.
 * The field numbers are the same for every signal.
 */
export function writeRequest<T extends { resource: Resource; scope: Scope }>(
  w: ProtoWriter, records: readonly T[], writeItems: (items: readonly T[]) => void,
): void {
  for (const [resource, scopes] of groupByResourceAndScope(records)) {
    w.tag(1, 2);
    const rs = w.fork();
    writeResourceField(w, 1, resource);
    for (const [scope, list] of scopes) {
      w.tag(2, 2);
      const ss = w.fork();
      writeScopeField(w, 1, scope);
      writeItems(list);
      writeStringField(w, 3, scope.schemaUrl);
      w.join(ss);
    }
    writeStringField(w, 3, resource.schemaUrl);
    w.join(rs);
  }
}

/** Records grouped back into the OTLP tree: resource -> scope -> records, in first-seen order. */
export type ResourceGroups<T> = Map<Resource, Map<Scope, T[]>>;

/** Groups flat records by their Resource and Scope objects (identity), keeping first-seen order. */
export function groupByResourceAndScope<T extends { resource: Resource; scope: Scope }>(records: readonly T[]): ResourceGroups<T> {
  const groups: ResourceGroups<T> = new Map();
  for (const record of records) {
    let scopes = groups.get(record.resource);
    if (scopes === undefined) {
      scopes = new Map();
      groups.set(record.resource, scopes);
    }
    let list = scopes.get(record.scope);
    if (list === undefined) {
      list = [];
      scopes.set(record.scope, list);
    }
    list.push(record);
  }
  return groups;
}
