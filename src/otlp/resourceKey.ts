// The Kafka key of metrics and logs records: a 16-byte hash of the resource attributes, computed exactly
// as the OpenTelemetry Collector kafka exporter does with partition_{metrics,logs}_by_resource_attributes
// (see /work/shared/COLLECTOR-KAFKA.md):
//
//   canonical bytes: attributes sorted bytewise by key; each entry is F4 + key bytes + value, a value being
//     string F7+UTF-8 | true F8 | false F9 | int FA+int64 LE | double FB+IEEE-754 LE | bytes F6+raw |
//     empty F5 | map FC + entries (sorted the same way) + FD | array FE + elements + FF. No lengths.
//   key: XXH64(canonical, seed 0) LE ‖ XXH64(canonical + F3, seed 0) LE; no attributes -> 16 zero bytes.
//
// Two entry points: from raw protobuf bytes (the gateway's hot path: no string decoding, and the exact
// bytes the collector would hash, even for invalid UTF-8) and from decoded attributes (JSON bodies).
import xxhash from 'xxhash-wasm';
import { rethrowWithin } from './errors.ts';
import type { AnyValue, Attribute } from './model.ts';
import { expectEnd, type ProtoReader, skipUnknown } from './protoReader.ts';
import { tooManyAttributes } from './requestLimits.ts';

const hasher = await xxhash();

const ENTRY = 0xf4;
const EMPTY = 0xf5;
const BYTES = 0xf6;
const STRING = 0xf7;
const TRUE = 0xf8;
const FALSE = 0xf9;
const INT = 0xfa;
const DOUBLE = 0xfb;
const MAP_START = 0xfc;
const MAP_END = 0xfd;
const ARRAY_START = 0xfe;
const ARRAY_END = 0xff;
const SECOND_HASH_SUFFIX = 0xf3;

const KEY_VALUE_FIELDS: Record<number, string> = { 1: 'key', 2: 'value' };
const ANY_VALUE_FIELDS: Record<number, string> = {
  1: 'stringValue', 2: 'boolValue', 3: 'intValue', 4: 'doubleValue', 5: 'arrayValue', 6: 'kvlistValue', 7: 'bytesValue',
};
const MAX_DEPTH = 32;

/** Appends bytes to a growable array (canonical encodings are small). */
export class ByteSink {
  buf = Buffer.allocUnsafe(256);
  length = 0;

  push(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  append(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Appends a string's UTF-8 bytes (exactly `Buffer.from(s, 'utf8')`, lone surrogates as U+FFFD). */
  utf8(s: string): void {
    this.room(s.length * 3);
    this.length += this.buf.write(s, this.length, 'utf8');
  }

  room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

// The key of every resource without attributes: one shared buffer, not one allocation per record (keys are never written).
const NO_ATTRIBUTES_KEY = Buffer.alloc(16);

/** The 16-byte key hash of canonical attribute bytes (16 zero bytes for no attributes). */
export function hashCanonical(canonical: Uint8Array): Buffer {
  if (canonical.length === 0) return NO_ATTRIBUTES_KEY;
  const key = Buffer.allocUnsafe(16); // both halves are written below
  key.writeBigUInt64LE(hasher.h64Raw(canonical, 0n), 0);
  const extended = Buffer.allocUnsafe(canonical.length + 1);
  extended.set(canonical, 0);
  extended[canonical.length] = SECOND_HASH_SUFFIX;
  key.writeBigUInt64LE(hasher.h64Raw(extended, 0n), 8);
  return key;
}

/**
 * `hashCanonical` of the sink's bytes, written into `out` at 0..15, without copying: the sink keeps the second
 * hash's F3 suffix past its length. The sink's contents are unchanged.
 */
export function hashSinkInto(sink: ByteSink, out: Uint8Array): void {
  const length = sink.length;
  if (length === 0) {
    out.fill(0, 0, 16);
    return;
  }
  sink.room(1);
  const buf = sink.buf;
  const first = hasher.h64Raw(buf.subarray(0, length), 0n);
  buf[length] = SECOND_HASH_SUFFIX;
  const second = hasher.h64Raw(buf.subarray(0, length + 1), 0n);
  if (LITTLE_ENDIAN) {
    // A BigUint64Array store takes the bigint without the arithmetic writeBigUInt64LE does (~20x faster).
    words[0] = first;
    words[1] = second;
    out.set(wordBytes, 0);
  } else {
    const view = Buffer.from(out.buffer, out.byteOffset, 16);
    view.writeBigUInt64LE(first, 0);
    view.writeBigUInt64LE(second, 8);
  }
}

const words = new BigUint64Array(2);
const wordBytes = new Uint8Array(words.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---- from decoded attributes ----

/** Canonical bytes of decoded attributes (the collector's encoding, above). */
export function canonicalAttributes(attributes: readonly Attribute[]): Buffer {
  const sink = new ByteSink();
  writeEntries(sink, attributes);
  return sink.bytes();
}

/** The collector's 16-byte resource key for decoded resource attributes. */
export function resourceKey(attributes: readonly Attribute[]): Buffer {
  return hashCanonical(canonicalAttributes(attributes));
}

/** Appends the canonical bytes of decoded attributes to `sink` (what `canonicalAttributes` returns). */
export function writeCanonicalAttributes(sink: ByteSink, attributes: readonly Attribute[]): void {
  writeEntries(sink, attributes);
}

// Set by compareKeys when two keys cannot be ordered from their UTF-16 code units alone.
let undecided = false;

/**
 * Orders two keys as their UTF-8 bytes compare, from the strings themselves: below U+D800 the order of UTF-16 code
 * units is the order of the UTF-8 bytes. Anything else (surrogates, U+E000 and up at the first difference, or a
 * shorter key ending in a high surrogate) sets `undecided` and returns 0; the caller then compares bytes.
 */
function compareKeyStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    undecided = true;
    return 0;
  }
  // One key is a prefix of the other; its UTF-8 bytes are a prefix of the other's unless it ends in a high surrogate.
  const last = n > 0 ? (a.length < b.length ? a : b).charCodeAt(n - 1) : 0;
  if (last >= 0xd800 && last <= 0xdbff) {
    undecided = true;
    return 0;
  }
  return a.length - b.length;
}

function writeEntries(sink: ByteSink, attributes: readonly Attribute[]): void {
  // Already in canonical order (common: SDKs and collectors often sort), nothing to sort.
  let ordered = true;
  undecided = false;
  for (let i = 1; i < attributes.length; i++) {
    if (compareKeyStrings(attributes[i - 1].key, attributes[i].key) > 0 || undecided) {
      ordered = false;
      break;
    }
  }
  if (ordered) {
    for (let i = 0; i < attributes.length; i++) writeEntry(sink, attributes[i]);
    return;
  }
  // A stable sort, like the byte comparison below, so equal keys keep their order either way.
  undecided = false;
  const sorted = attributes.slice().sort((a, b) => compareKeyStrings(a.key, b.key));
  if (!undecided) {
    for (let i = 0; i < sorted.length; i++) writeEntry(sink, sorted[i]);
    return;
  }
  const entries = attributes.map((a) => ({ key: Buffer.from(a.key, 'utf8'), value: a as AnyValue }));
  entries.sort((a, b) => Buffer.compare(a.key, b.key));
  for (const e of entries) {
    sink.push(ENTRY);
    sink.append(e.key);
    writeValue(sink, e.value);
  }
}

function writeEntry(sink: ByteSink, a: Attribute): void {
  sink.push(ENTRY);
  sink.utf8(a.key);
  writeValue(sink, a);
}

function writeValue(sink: ByteSink, v: AnyValue): void {
  switch (v.type) {
    case 'string':
      sink.push(STRING);
      sink.utf8(v.value);
      break;
    case 'bool':
      sink.push(v.value ? TRUE : FALSE);
      break;
    case 'int': {
      sink.push(INT);
      sink.room(8);
      sink.buf.writeBigInt64LE(BigInt(v.value), sink.length);
      sink.length += 8;
      break;
    }
    case 'double': {
      sink.push(DOUBLE);
      sink.room(8);
      sink.buf.writeDoubleLE(v.value, sink.length);
      sink.length += 8;
      break;
    }
    case 'bytes':
      sink.push(BYTES);
      sink.append(v.value);
      break;
    case 'empty':
      sink.push(EMPTY);
      break;
    case 'kvlist':
      sink.push(MAP_START);
      writeEntries(sink, v.value);
      sink.push(MAP_END);
      break;
    case 'array':
      sink.push(ARRAY_START);
      for (const item of v.value) writeValue(sink, item);
      sink.push(ARRAY_END);
      break;
  }
}

// ---- from raw protobuf bytes ----

interface RawEntry {
  keyStart: number;
  keyEnd: number;
  valueStart: number; // -1: no value field
  valueEnd: number;
}

/**
 * Appends the [start, end) ranges of the attribute KeyValue messages of a Resource message occupying
 * [r.pos, end) to `ranges` (a resource field seen twice merges, so its attributes add up). Leaves r.pos at `end`.
 * Throws RequestLimitError once `ranges` would hold more than `maxAttributes`.
 */
export function collectResourceAttributes(r: ProtoReader, end: number, ranges: Array<[number, number]>, maxAttributes = Infinity): void {
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 10) {
      const e = r.lengthEnd(end);
      if (ranges.length >= maxAttributes) throw tooManyAttributes(maxAttributes);
      ranges.push([r.pos, e]);
      r.pos = e;
    } else if (tag === 16) r.varint64(); // dropped_attributes_count: not part of the key
    else if (tag === 26) r.pos = r.lengthEnd(end); // entity_refs: not part of the key
    else skipUnknown(r, tag, tagAt, end, { 1: 'attributes', 2: 'droppedAttributesCount', 3: 'entityRefs' });
  }
  expectEnd(r, end);
}

// Attributes (nested map entries and array elements included) the resource being encoded may still have; sorting
// them is the superlinear part of a key, so it is bounded.
let attributesLeft = Infinity;
let attributesMax = Infinity;

function countAttributes(n: number): void {
  attributesLeft -= n;
  if (attributesLeft < 0) throw tooManyAttributes(attributesMax);
}

/**
 * Canonical bytes of the raw KeyValue messages at `ranges` (as collected by collectResourceAttributes); throws
 * RequestLimitError when they hold more than `maxAttributes` attributes, nested ones included.
 */
export function canonicalFromRawKeyValues(r: ProtoReader, ranges: ReadonlyArray<readonly [number, number]>, maxAttributes = Infinity): Buffer {
  attributesMax = maxAttributes;
  attributesLeft = maxAttributes;
  countAttributes(ranges.length);
  const entries: RawEntry[] = [];
  for (let i = 0; i < ranges.length; i++) {
    r.pos = ranges[i][0];
    try {
      entries.push(readRawKeyValue(r, ranges[i][1]));
    } catch (err) {
      rethrowWithin(err, `attributes[${i}]`);
    }
  }
  const sink = new ByteSink();
  writeRawEntries(sink, r, entries, 0);
  return sink.bytes();
}

function readRawKeyValue(r: ProtoReader, end: number): RawEntry {
  const entry: RawEntry = { keyStart: 0, keyEnd: 0, valueStart: -1, valueEnd: -1 };
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    if (tag === 10) {
      const e = r.lengthEnd(end);
      entry.keyStart = r.pos;
      entry.keyEnd = e;
      r.pos = e;
    } else if (tag === 18) {
      const e = r.lengthEnd(end);
      entry.valueStart = r.pos;
      entry.valueEnd = e;
      r.pos = e;
    } else skipUnknown(r, tag, tagAt, end, KEY_VALUE_FIELDS);
  }
  expectEnd(r, end);
  return entry;
}

function compareKeys(buf: Buffer, a: RawEntry, b: RawEntry): number {
  // buf[a] compared with buf[b], without a subarray per comparison.
  return buf.compare(buf, b.keyStart, b.keyEnd, a.keyStart, a.keyEnd);
}

function writeRawEntries(sink: ByteSink, r: ProtoReader, entries: RawEntry[], depth: number): void {
  const buf = r.buf;
  entries.sort((a, b) => compareKeys(buf, a, b));
  for (const e of entries) {
    sink.push(ENTRY);
    sink.append(buf.subarray(e.keyStart, e.keyEnd));
    if (e.valueStart < 0) sink.push(EMPTY);
    else {
      r.pos = e.valueStart;
      try {
        writeRawValue(sink, r, e.valueEnd, depth);
      } catch (err) {
        rethrowWithin(err, 'value');
      }
    }
  }
}

function writeRawValue(sink: ByteSink, r: ProtoReader, end: number, depth: number): void {
  if (depth > MAX_DEPTH) r.fail(`attribute values nested deeper than ${MAX_DEPTH} levels`);
  // A oneof keeps its last member, so find it first, then encode only that one.
  let lastTag = 0;
  let lastStart = 0;
  let lastEnd = 0;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    const valueAt = r.pos;
    switch (tag) {
      case 10:
      case 42:
      case 50:
      case 58: {
        const e = r.lengthEnd(end);
        lastStart = r.pos;
        r.pos = e;
        break;
      }
      case 16:
      case 24:
        lastStart = valueAt;
        r.varint64();
        break;
      case 33:
        lastStart = valueAt;
        r.double();
        break;
      default:
        skipUnknown(r, tag, tagAt, end, ANY_VALUE_FIELDS);
        continue;
    }
    lastTag = tag;
    lastEnd = r.pos;
  }
  expectEnd(r, end);
  const buf = r.buf;
  switch (lastTag) {
    case 0:
      sink.push(EMPTY);
      break;
    case 10:
      sink.push(STRING);
      sink.append(buf.subarray(lastStart, lastEnd));
      break;
    case 16:
      r.pos = lastStart;
      sink.push(r.bool() ? TRUE : FALSE);
      break;
    case 24: {
      r.pos = lastStart;
      r.varint64();
      sink.push(INT);
      sink.room(8);
      sink.buf.writeUInt32LE(r.lo, sink.length);
      sink.buf.writeUInt32LE(r.hi, sink.length + 4);
      sink.length += 8;
      break;
    }
    case 33:
      sink.push(DOUBLE);
      sink.append(buf.subarray(lastStart, lastEnd)); // already IEEE-754 little-endian on the wire
      break;
    case 58:
      sink.push(BYTES);
      sink.append(buf.subarray(lastStart, lastEnd));
      break;
    case 42: {
      sink.push(ARRAY_START);
      r.pos = lastStart;
      let i = 0;
      while (r.pos < lastEnd) {
        const tagAt = r.pos;
        const tag = r.uint32();
        if (tag === 10) {
          const e = r.lengthEnd(lastEnd);
          countAttributes(1);
          try {
            writeRawValue(sink, r, e, depth + 1);
          } catch (err) {
            rethrowWithin(err, `arrayValue.values[${i}]`);
          }
          i++;
        } else skipUnknown(r, tag, tagAt, lastEnd, { 1: 'values' });
      }
      sink.push(ARRAY_END);
      break;
    }
    case 50: {
      sink.push(MAP_START);
      r.pos = lastStart;
      const entries: RawEntry[] = [];
      while (r.pos < lastEnd) {
        const tagAt = r.pos;
        const tag = r.uint32();
        if (tag === 10) {
          const e = r.lengthEnd(lastEnd);
          countAttributes(1);
          try {
            entries.push(readRawKeyValue(r, e));
          } catch (err) {
            rethrowWithin(err, `kvlistValue.values[${entries.length}]`);
          }
        } else skipUnknown(r, tag, tagAt, lastEnd, { 1: 'values' });
      }
      try {
        writeRawEntries(sink, r, entries, depth + 1);
      } catch (err) {
        rethrowWithin(err, 'kvlistValue');
      }
      sink.push(MAP_END);
      break;
    }
  }
  r.pos = end;
}
