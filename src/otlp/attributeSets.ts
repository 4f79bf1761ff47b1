// Attribute sets by their raw bytes: the data points of a metrics request repeat a small number of attribute sets
// (the same few KeyValue messages, byte for byte, in every request of a source), so a point's attributes are
// decoded once per distinct run of bytes and copied from then on. Used by decodeMetricPointsWithIds (seriesId.ts),
// whose series id cache needs the set numbers; plain decodeMetrics decodes attributes as before.
//
// A run is a point's consecutive attributes fields (the usual wire layout: encoders write a repeated field's
// elements together). A known run is found by an FNV-style hash of its bytes and a byte compare, and its
// attributes are rebuilt as fresh objects from a private template, so every point still owns its Attribute
// objects (mutating one point's attributes changes no other point, nor the cache). Only runs whose values are
// strings, booleans, numbers or empty are kept: their values are immutable. Anything else — other value types,
// oversized runs, bytes that do not parse as a run — takes the plain decoding path, which also raises the same
// errors at the same paths as before.
//
// Each kept run has a number (its attribute set) that stays unique within a generation: seriesId.ts keys its
// series id cache by (metric prefix, attribute set), since equal run bytes decode to equal attributes. The
// cache is bounded; when it fills up it starts over with a new generation.
import { pushAttribute } from './decodeCommon.ts';
import type { Attribute } from './model.ts';
import type { ProtoReader } from './protoReader.ts';

/** Attribute set of a point without attributes. */
export const NO_ATTRIBUTES = 0;
/** A point whose attributes are not one cached run (several runs, or a run that is not kept). */
export const NO_SET = -1;

const MAX_RUN_BYTES = 1024;
const MAX_RUN_ATTRIBUTES = 64;
const DEFAULT_MAX_SETS = 1 << 16;
const DEFAULT_MAX_BYTES = 8 << 20;
const INITIAL_SLOTS = 1 << 10;
const INITIAL_BYTES = 64 << 10;

let maxSets = DEFAULT_MAX_SETS;
let maxBytes = DEFAULT_MAX_BYTES;

// Open addressing with linear probing; a slot holds set number + 0 (0 = empty), at most half the slots are used.
let slots = new Int32Array(INITIAL_SLOTS);
// Per set (index = set number; set 0 is the empty set and never stored): hash, where its bytes are in `arena`, and
// the attributes to copy.
let hashes = new Int32Array(INITIAL_SLOTS / 2 + 1);
let offsets = new Int32Array(INITIAL_SLOTS / 2 + 1);
let lengths = new Int32Array(INITIAL_SLOTS / 2 + 1);
let templates: Attribute[][] = [[]];
let arena = new Uint8Array(INITIAL_BYTES);
let arenaUsed = 0;
let sets = 0;
let gen = 0;

/** The cache's generation: set numbers of different generations are unrelated. */
export function attributeSetGeneration(): number {
  return gen;
}

/** Empties the cache (a new generation); tests pass smaller limits to exercise the starting over (maxSets 0: keep nothing). */
export function resetAttributeSets(limits?: { maxSets?: number; maxBytes?: number }): void {
  maxSets = limits?.maxSets ?? DEFAULT_MAX_SETS;
  maxBytes = limits?.maxBytes ?? DEFAULT_MAX_BYTES;
  clear();
}

function clear(): void {
  slots = new Int32Array(INITIAL_SLOTS);
  hashes = new Int32Array(INITIAL_SLOTS / 2 + 1);
  offsets = new Int32Array(INITIAL_SLOTS / 2 + 1);
  lengths = new Int32Array(INITIAL_SLOTS / 2 + 1);
  templates = [[]];
  arena = new Uint8Array(Math.min(INITIAL_BYTES, maxBytes));
  arenaUsed = 0;
  sets = 0;
  gen++;
}

/**
 * Reads the attributes field whose tag (one byte, `tag`) is at `tagAt` — r.pos is just past it — together with the
 * same fields directly after it, appending their attributes to `attributes`; `name` labels errors. Returns the run's
 * attribute set when `attributes` was empty and the run is cached, NO_SET otherwise. Leaves r.pos after the run.
 */
export function readAttributeRun(r: ProtoReader, tagAt: number, end: number, tag: number, attributes: Attribute[], name: string): number {
  const buf = r.buf;
  // Find the run: fields with this one-byte tag whose lengths stay within the message. Anything odd ends it; the
  // plain path then reads the odd field and fails or not exactly as it always did.
  let p = tagAt;
  let count = 0;
  while (p < end && buf[p] === tag && count < MAX_RUN_ATTRIBUTES) {
    let q = p + 1;
    let len = 0;
    let shift = 0;
    let c = 0x80;
    // At most 4 bytes (lengths below 2^28); a longer length prefix ends the run.
    while (c >= 0x80 && shift < 28 && q < end) {
      c = buf[q++];
      len += (c & 0x7f) * 2 ** shift;
      shift += 7;
    }
    if (c >= 0x80 || q + len > end) break;
    p = q + len;
    count++;
  }
  const length = p - tagAt;
  if (count === 0 || length > MAX_RUN_BYTES) {
    pushAttribute(r, end, attributes, name);
    return NO_SET;
  }
  const first = attributes.length;
  const runEnd = p;

  let h = length;
  for (let i = tagAt; i < runEnd; i++) h = Math.imul(h ^ buf[i], 16777619);
  h ^= h >>> 15;
  let mask = slots.length - 1;
  let slot = h & mask;
  for (let s = slots[slot]; s !== 0; s = slots[slot]) {
    if (hashes[s] === h && lengths[s] === length && sameBytes(buf, tagAt, offsets[s], length)) {
      const template = templates[s];
      for (let i = 0; i < template.length; i++) {
        const a = template[i];
        attributes.push({ key: a.key, type: a.type, value: a.value } as Attribute);
      }
      r.pos = runEnd;
      return first === 0 ? s : NO_SET;
    }
    slot = (slot + 1) & mask;
  }

  // Not seen yet: the plain path, field by field (each tag is the one byte at the start of the field).
  r.pos = tagAt;
  while (r.pos < runEnd) {
    r.pos++;
    pushAttribute(r, end, attributes, name);
  }
  const template: Attribute[] = [];
  for (let i = first; i < attributes.length; i++) {
    const a = attributes[i];
    const t = a.type;
    if (t !== 'string' && t !== 'int' && t !== 'double' && t !== 'bool' && t !== 'empty') return NO_SET;
    template.push({ key: a.key, type: t, value: a.value } as Attribute);
  }

  if (length > maxBytes || maxSets === 0) return NO_SET;
  if (sets + 1 > maxSets || arenaUsed + length > maxBytes) {
    clear();
    mask = slots.length - 1;
    slot = h & mask;
  }
  const set = sets + 1;
  if (set * 2 > slots.length) {
    grow();
    mask = slots.length - 1;
    slot = h & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
  }
  if (arenaUsed + length > arena.length) {
    const next = new Uint8Array(Math.min(maxBytes, Math.max(arena.length * 2, arenaUsed + length)));
    next.set(arena.subarray(0, arenaUsed));
    arena = next;
  }
  arena.set(buf.subarray(tagAt, runEnd), arenaUsed);
  if (set >= hashes.length) {
    hashes = grown(hashes);
    offsets = grown(offsets);
    lengths = grown(lengths);
  }
  hashes[set] = h;
  offsets[set] = arenaUsed;
  lengths[set] = length;
  templates.push(template);
  arenaUsed += length;
  sets = set;
  slots[slot] = set;
  return first === 0 ? set : NO_SET;
}

function sameBytes(buf: Uint8Array, at: number, offset: number, length: number): boolean {
  const a = arena;
  for (let i = 0; i < length; i++) if (buf[at + i] !== a[offset + i]) return false;
  return true;
}

function grown(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const next = new Int32Array(a.length * 2);
  next.set(a);
  return next;
}

// Doubles the slot table and places every set again.
function grow(): void {
  const next = new Int32Array(slots.length * 2);
  const mask = next.length - 1;
  for (let s = 1; s <= sets; s++) {
    let slot = hashes[s] & mask;
    while (next[slot] !== 0) slot = (slot + 1) & mask;
    next[slot] = s;
  }
  slots = next;
}
