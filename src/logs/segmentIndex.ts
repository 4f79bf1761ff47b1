// The full-text index of one log segment (the rows of one log block): term → postings, where a posting list is the
// ascending ordinals of the rows holding the term and, for body terms, the term's positions in each row's body
// (for phrases). Field terms index exact values without positions under `${field}\u0000${value}`: service,
// trace_id, span_id, severity (the number as text), attr.<key> (record attributes) and resource.<key>.
// Empty service, trace and span ids are not indexed (they mean absent); attribute values are, even when empty.
// Not indexed (such rows are found by scanning blocks instead): field values and attribute keys longer than
// MAX_FIELD_VALUE_LENGTH, body tokens longer than MAX_TOKEN_LENGTH (UTF-16 units), keys or tokens holding U+0000
// (a token would read as a field term). A lone surrogate in a term is indexed as U+FFFD, as UTF-8 reads it back.
//
// Index bytes (encodeSegmentIndex):
//   version byte (1) · rows · term count · per term, in ascending order (JavaScript string order):
//   shared × 2 + packed · rest length · rest · postings length · postings
//   where `shared` is how many bytes of the previous term's UTF-8 this one starts with, and the rest of its UTF-8
//   follows — packed two hex digits a byte when it is lowercase hex of even length (trace and span ids, numbers).
// Postings (decodePostings; the query service stores each term's postings as one value):
//   doc count × 2 + (1 when positions follow) · first ordinal, then each gap − 1 ·
//   when positions follow, per ordinal: first position × 2 + (1 when more follow) · when more: their count − 1 and
//   each gap − 1 (most terms occur once in a row: one varint for them)
// All integers are LEB128 varints; gaps − 1 make ordinals and positions strictly ascending by construction.
// (JavaScript string order is UTF-16 order: it differs from UTF-8 byte order only between U+E000–U+FFFF and
// characters beyond U+FFFF; a store keyed by the bytes sorts them itself.)
//
// Searching a segment: decodePostings gives a term's ordinals as a Uint32Array; AND is `intersect` (smallest lists
// first — postingsDocCount reads a list's size from its first varint), OR `union`, NOT `difference` against the
// AND of the rest (or against all ordinals); a phrase is `phraseMatches` over its terms' postings, which decodes
// positions only for the rows holding every term. Ordinals then pick rows from the block (decodeLogBlockRows).
import { Reader, resourceSets, Writer } from './codecInternals.ts';
import type { LogRow } from './model.ts';

export const SEGMENT_INDEX_VERSION = 1;

/** Field values (and attribute keys) longer than this are not indexed as field terms. */
export const MAX_FIELD_VALUE_LENGTH = 256;

/** Body tokens longer than this are not indexed. */
export const MAX_TOKEN_LENGTH = 512;

// The longest term's UTF-8: `resource.` + key + U+0000 + value at 3 bytes a unit, rounded up. Decoding refuses longer
// terms, which bounds the term text a hostile index can make to ~320 bytes per input byte (a term takes ≥ 5).
const MAX_TERM_BYTES = 1600;

/** The tokenizer's shape (forEachToken in tokenize.ts): calls `fn` per token with its position in the text. */
export type Tokenize = (text: string, fn: (term: string, position: number) => void) => void;

/** A segment index or postings that cannot be read; the message names what is wrong. */
export class SegmentIndexError extends Error {
  override name = 'SegmentIndexError';
}

/** The postings of one term while building. */
export interface TermPostings {
  /** Row ordinals, ascending, each once. */
  readonly ordinals: number[];
  /** Body terms: how many positions each ordinal has in `positions`; null for field terms. */
  readonly counts: number[] | null;
  /** Body terms: the positions of every ordinal, one after another (sorted and deduplicated when encoded). */
  readonly positions: number[] | null;
}

/** A segment's terms as built by buildSegmentIndex. Every key is well formed UTF-16 (no lone surrogate). */
export interface SegmentIndex {
  readonly rows: number;
  /** Body term → postings with positions. Keys hold no U+0000. */
  readonly text: ReadonlyMap<string, TermPostings>;
  /** Field name (service, attr.<key>, …; no U+0000) → value → postings without positions. */
  readonly fields: ReadonlyMap<string, ReadonlyMap<string, TermPostings>>;
  /**
   * Fields with about one row per value (trace_id, span_id): each indexed row's value and ordinal, ordinals
   * ascending; grouped by value when encoded. Building a map entry per value was most of the build time.
   */
  readonly sparseFields: ReadonlyMap<string, SparseField>;
}

/** The values of a sparse field, row by row. */
export interface SparseField {
  readonly values: string[];
  readonly ordinals: number[];
}

/** The key of a field term. */
export function fieldTerm(field: string, value: string): string {
  return `${field}\u0000${value}`;
}

class Entry implements TermPostings {
  readonly ordinals: number[] = [];
  readonly counts: number[] | null;
  readonly positions: number[] | null;
  lastPosition = -1;
  /** Some ordinal's positions came out of order (or repeated): sorted when encoded. */
  unsorted = false;

  constructor(positional: boolean) {
    this.counts = positional ? [] : null;
    this.positions = positional ? [] : null;
  }
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** A term as it will read back from UTF-8 (a lone surrogate becomes U+FFFD), so encoded terms stay distinct. */
function wellFormed(term: string): string {
  return SURROGATE.test(term) ? Buffer.from(term, 'utf8').toString('utf8') : term;
}

/** The entry of `key` in `map`, made on first use, under its well-formed spelling (a miss leads here each time). */
function entryOf(map: Map<string, Entry>, key: string, positional: boolean): Entry {
  const clean = wellFormed(key);
  let e = map.get(clean);
  if (e === undefined) {
    e = new Entry(positional);
    map.set(clean, e);
  }
  return e;
}

function addOrdinal(e: Entry, ordinal: number): void {
  const ordinals = e.ordinals;
  if (ordinals.length === 0 || ordinals[ordinals.length - 1] !== ordinal) ordinals.push(ordinal);
}

/** Adds `ordinal` to the entry of `value` in `values` (values too long are not indexed). */
function addField(values: Map<string, Entry>, value: string, ordinal: number): void {
  if (value.length > MAX_FIELD_VALUE_LENGTH) return;
  addOrdinal(values.get(value) ?? entryOf(values, value, false), ordinal);
}

function addSparse(field: SparseField, value: string, ordinal: number): void {
  if (value === '' || value.length > MAX_FIELD_VALUE_LENGTH) return;
  field.values.push(wellFormed(value));
  field.ordinals.push(ordinal);
}

/** Body terms with positions and field terms of `rows` (ordinal = index in `rows`). */
export function buildSegmentIndex(rows: readonly LogRow[], tokenize: Tokenize): SegmentIndex {
  const text = new Map<string, Entry>();
  const fields = new Map<string, Map<string, Entry>>();
  const fieldValues = (field: string): Map<string, Entry> => {
    const name = wellFormed(field);
    let values = fields.get(name);
    if (values === undefined) fields.set(name, (values = new Map()));
    return values;
  };
  const services = fieldValues('service');
  const severityValues = fieldValues('severity');
  const severities = new Map<number, Entry>();
  const traceIds: SparseField = { values: [], ordinals: [] };
  const spanIds: SparseField = { values: [], ordinals: [] };
  // Attribute key → its field's values (null: the key is not indexed), without building `attr.${key}` per row.
  const attributeFields = new Map<string, Map<string, Entry> | null>();
  const fieldOfKey = (byKey: Map<string, Map<string, Entry> | null>, prefix: string, key: string): Map<string, Entry> | null => {
    let values = byKey.get(key);
    if (values === undefined) {
      values = key.length > MAX_FIELD_VALUE_LENGTH || key.includes('\u0000') ? null : fieldValues(prefix + key);
      byKey.set(key, values);
    }
    return values;
  };
  let ordinal = 0;

  const onToken = (term: string, position: number): void => {
    let e = text.get(term);
    if (e === undefined) {
      if (term.length > MAX_TOKEN_LENGTH || term.includes('\u0000')) return;
      e = entryOf(text, term, true);
    }
    if (position >>> 0 !== position) throw new RangeError(`segment index: token position ${position} is not a 32-bit unsigned integer`);
    const ordinals = e.ordinals;
    const last = ordinals.length - 1;
    if (last < 0 || ordinals[last] !== ordinal) {
      ordinals.push(ordinal);
      e.counts!.push(1);
    } else {
      if (position <= e.lastPosition) {
        if (position === e.lastPosition) return;
        e.unsorted = true;
      }
      e.counts![last]++;
    }
    e.positions!.push(position);
    e.lastPosition = position;
  };

  // Resource attributes are the same for every row of a resource: their entries are found once per distinct set.
  const resources = resourceSets(rows);
  const resourceFields = new Map<string, Map<string, Entry> | null>();
  const resourceEntries: Entry[][] = resources.sets.map((set) => {
    const out: Entry[] = [];
    for (const [k, v] of set) {
      const values = fieldOfKey(resourceFields, 'resource.', k);
      if (values !== null && v.length <= MAX_FIELD_VALUE_LENGTH) out.push(values.get(v) ?? entryOf(values, v, false));
    }
    return out;
  });

  for (; ordinal < rows.length; ordinal++) {
    const row = rows[ordinal];
    tokenize(row.body, onToken);
    if (row.service !== '') addField(services, row.service, ordinal);
    addSparse(traceIds, row.traceId, ordinal);
    addSparse(spanIds, row.spanId, ordinal);
    let severity = severities.get(row.severityNumber);
    if (severity === undefined) severities.set(row.severityNumber, (severity = entryOf(severityValues, String(row.severityNumber), false)));
    addOrdinal(severity, ordinal);
    const attributes = row.attributes;
    for (let i = 0; i < attributes.length; i++) {
      const values = fieldOfKey(attributeFields, 'attr.', attributes[i][0]);
      if (values !== null) addField(values, attributes[i][1], ordinal);
    }
    const entries = resourceEntries[resources.ids[ordinal]];
    for (let i = 0; i < entries.length; i++) addOrdinal(entries[i], ordinal);
  }
  for (const [name, values] of fields) if (values.size === 0) fields.delete(name);
  const sparseFields = new Map<string, SparseField>();
  if (traceIds.values.length > 0) sparseFields.set('trace_id', traceIds);
  if (spanIds.values.length > 0) sparseFields.set('span_id', spanIds);
  return { rows: rows.length, text, fields, sparseFields };
}

/** A growable byte buffer for one term's UTF-8. */
class TermBytes {
  bytes = Buffer.allocUnsafe(256);
  length = 0;

  set(prefix: Buffer, value: string): void {
    const need = prefix.length + value.length * 3;
    if (need > this.bytes.length) this.bytes = Buffer.allocUnsafe(need * 2);
    prefix.copy(this.bytes, 0);
    this.length = prefix.length + this.bytes.write(value, prefix.length, 'utf8');
  }
}

function isLowerHexBytes(bytes: Buffer, from: number, to: number): boolean {
  if ((to - from) % 2 !== 0 || to === from) return false;
  for (let i = from; i < to; i++) {
    const c = bytes[i];
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

const EMPTY = Buffer.alloc(0);

/** The index's bytes: terms in ascending order, front-coded, each with its postings. */
export function encodeSegmentIndex(index: SegmentIndex): Buffer {
  // Every key of a field sorts between `${field}\u0000` and the next field's (U+0000 is the least unit and no field
  // name holds it), so sorting body terms, field names and each field's values apart and merging gives the order
  // without building and sorting every key.
  const text = [...index.text.keys()].sort();
  const fields = [...new Set([...index.fields.keys(), ...index.sparseFields.keys()])].map((f) => `${f}\u0000`).sort();
  const termsOut = new Writer(64 + index.text.size * 16);
  const postings = new Writer(256);
  let current = new TermBytes();
  let previous = new TermBytes();
  let count = 0;

  const writeTerm = (prefix: Buffer, value: string, p: TermPostings | number): void => {
    current.set(prefix, value);
    if (current.length > MAX_TERM_BYTES) throw new RangeError(`segment index: a term of ${current.length} bytes is longer than ${MAX_TERM_BYTES}`);
    const bytes = current.bytes;
    const end = current.length;
    const limit = Math.min(end, previous.length);
    let shared = 0;
    while (shared < limit && bytes[shared] === previous.bytes[shared]) shared++;
    // Share one byte less when that makes a hex rest even (ids differ from their neighbours at any digit).
    if ((end - shared) % 2 === 1 && shared > 0 && isLowerHexBytes(bytes, shared - 1, end)) shared--;
    const packed = isLowerHexBytes(bytes, shared, end);
    termsOut.uvarint(shared * 2 + (packed ? 1 : 0));
    if (packed) {
      termsOut.uvarint((end - shared) / 2);
      termsOut.packHex(bytes, shared, end);
    } else {
      termsOut.uvarint(end - shared);
      termsOut.raw(bytes.subarray(shared, end));
    }
    const single = typeof p === 'number' ? p : p.positions === null && p.ordinals.length === 1 ? p.ordinals[0] : -1;
    if (single >= 0 && single < 0x4000) {
      // Most terms are ids of one row: their postings (header 2, the ordinal) written in place.
      const o = single;
      termsOut.uvarint(o < 0x80 ? 2 : 3);
      termsOut.byte(2);
      termsOut.uvarint(o);
    } else {
      postings.reset();
      writePostings(postings, typeof p === 'number' ? { ordinals: [p], counts: null, positions: null } : p);
      termsOut.uvarint(postings.length);
      termsOut.raw(postings.bytes());
    }
    [previous, current] = [current, previous];
    count++;
  };

  let t = 0;
  for (const field of fields) {
    for (; t < text.length && text[t] < field; t++) writeTerm(EMPTY, text[t], index.text.get(text[t])!);
    const name = field.slice(0, -1);
    const prefix = Buffer.from(field, 'utf8');
    const values = index.fields.get(name);
    const sparse = index.sparseFields.get(name);
    const merged = sparse === undefined ? values : mergeSparse(sparse, values);
    if (merged === undefined) continue;
    for (const value of [...merged.keys()].sort()) writeTerm(prefix, value, merged.get(value)!);
  }
  for (; t < text.length; t++) writeTerm(EMPTY, text[t], index.text.get(text[t])!);

  const out = new Writer(16 + termsOut.length);
  out.byte(SEGMENT_INDEX_VERSION);
  out.uvarint(index.rows);
  out.uvarint(count);
  out.raw(termsOut.bytes());
  return Buffer.from(out.bytes());
}

/**
 * A sparse field's values as postings (with those of a field of the same name, if any); a value of one row maps to
 * just its ordinal (no postings object for each of thousands of ids).
 */
function mergeSparse(sparse: SparseField, values: ReadonlyMap<string, TermPostings> | undefined): Map<string, TermPostings | number> {
  const out = new Map<string, TermPostings | number>();
  const { values: sparseValues, ordinals } = sparse;
  for (let i = 0; i < sparseValues.length; i++) {
    const value = sparseValues[i];
    const o = ordinals[i];
    const p = out.get(value);
    if (p === undefined) out.set(value, o);
    else if (typeof p === 'number') {
      if (p !== o) out.set(value, { ordinals: [p, o], counts: null, positions: null });
    } else if (p.ordinals[p.ordinals.length - 1] !== o) p.ordinals.push(o);
  }
  if (values !== undefined) {
    for (const [value, p] of values) {
      const q = out.get(value);
      if (q === undefined) out.set(value, p);
      else out.set(value, { ordinals: [...union(typeof q === 'number' ? [q] : q.ordinals, p.ordinals)], counts: null, positions: null });
    }
  }
  return out;
}

function writePostings(out: Writer, e: TermPostings): void {
  const { ordinals, counts, positions } = e;
  out.uvarint(ordinals.length * 2 + (positions === null ? 0 : 1));
  let previous = -1;
  for (const o of ordinals) {
    out.uvarint(o - previous - 1);
    previous = o;
  }
  if (positions === null || counts === null) return;
  const unsorted = e instanceof Entry ? e.unsorted : true;
  let at = 0;
  for (let i = 0; i < ordinals.length; i++) {
    const count = counts[i];
    let list: ArrayLike<number> = positions;
    let from = at;
    let to = at + count;
    if (unsorted) {
      const sorted = [...new Set(positions.slice(at, at + count))].sort((a, b) => a - b);
      list = sorted;
      from = 0;
      to = sorted.length;
    }
    const more = to - from - 1;
    let last = list[from];
    out.uvarint(last * 2 + (more > 0 ? 1 : 0));
    if (more > 0) {
      out.uvarint(more - 1);
      for (let j = from + 1; j < to; j++) {
        out.uvarint(list[j] - last - 1);
        last = list[j];
      }
    }
    at += count;
  }
}

function indexError(message: string): SegmentIndexError {
  return new SegmentIndexError(`segment index: ${message}`);
}

function postingsError(message: string): SegmentIndexError {
  return new SegmentIndexError(`postings: ${message}`);
}

/**
 * Every term of an index with its postings, in the index's (ascending) order. The whole index is checked before
 * this returns, postings included, so a store never keeps part of a bad index. Postings are views into `bytes`.
 */
export function decodeSegmentIndex(bytes: Uint8Array): Array<[term: string, postings: Buffer]> {
  const input = new Reader(bytes, indexError);
  const version = input.byte();
  if (version !== SEGMENT_INDEX_VERSION) throw input.error(`unknown format version ${version}`);
  const rows = input.uvarint();
  // A term takes at least 3 bytes (shared, rest length, postings length) and its postings 2 more.
  const count = input.count('term count', 5);
  const out = new Array<[string, Buffer]>(count);
  let term = Buffer.allocUnsafe(MAX_TERM_BYTES);
  let previousTerm = Buffer.allocUnsafe(MAX_TERM_BYTES);
  let previousLength = 0;
  let previous: string | undefined;
  for (let t = 0; t < count; t++) {
    const head = input.uvarintAtMost(previousLength * 2 + 1, 'shared prefix × 2 + packed');
    const shared = Math.floor(head / 2);
    const packed = head % 2 === 1;
    const restBytes = input.uvarint();
    const length = shared + (packed ? restBytes * 2 : restBytes);
    if (length > MAX_TERM_BYTES) throw input.error(`term of ${length} bytes is longer than ${MAX_TERM_BYTES}`);
    const rest = input.bytes(restBytes, 'term');
    previousTerm.copy(term, 0, 0, shared);
    if (packed) term.write(rest.toString('hex'), shared, 'latin1');
    else rest.copy(term, shared);
    const text = term.toString('utf8', 0, length);
    if (previous !== undefined && !(text > previous)) throw input.error(`term ${JSON.stringify(text)} not after ${JSON.stringify(previous)}`);
    const postings = input.bytes(input.uvarint(), 'postings');
    try {
      checkPostings(postings, rows);
    } catch (err) {
      throw input.error(`term ${JSON.stringify(text)}: ${(err as Error).message}`);
    }
    out[t] = [text, postings];
    [previousTerm, term] = [term, previousTerm];
    previousLength = length;
    previous = text;
  }
  input.done();
  return out;
}

/** Walks postings without keeping them: throws unless they are well formed with every ordinal below `rows`. */
function checkPostings(bytes: Buffer, rows: number): void {
  const input = new Reader(bytes, postingsError);
  const header = input.uvarint();
  const docs = Math.floor(header / 2);
  if (docs === 0 || docs > input.left) throw input.error(`doc count ${docs} is 0 or exceeds the bytes left`);
  let ordinal = -1;
  for (let i = 0; i < docs; i++) ordinal += input.uvarint() + 1;
  if (ordinal >= rows) throw input.error(`ordinal ${ordinal} not below the segment's ${rows} rows`);
  if (header % 2 === 1) for (let i = 0; i < docs; i++) readPositions(input, null);
  input.done();
}

/** Reads (and checks) one ordinal's positions; returns them when `keep`, else null. */
function readPositions(input: Reader, keep: true | null): Uint32Array | null {
  const head = input.uvarint();
  let position = Math.floor(head / 2);
  const n = head % 2 === 1 ? input.uvarint() + 2 : 1;
  if (n - 1 > input.left) throw input.error(`position count ${n} exceeds the bytes left`);
  const out = keep ? new Uint32Array(n) : null;
  if (out !== null) out[0] = position;
  for (let j = 1; j < n; j++) {
    position += input.uvarint() + 1;
    if (out !== null) out[j] = position;
  }
  if (position > 0xffffffff) throw input.error(`position ${position} above 2^32`);
  return out;
}

/** The number of rows in a term's postings, from their first varint (for ordering AND operands by size). */
export function postingsDocCount(postings: Uint8Array): number {
  return Math.floor(new Reader(postings, postingsError).uvarint() / 2);
}

/** A term's decoded postings: ordinals at once, positions per ordinal on demand (only phrases need them). */
export interface Postings {
  /** Row ordinals, ascending. */
  readonly ordinals: Uint32Array;
  /** Body terms have positions; field terms do not. */
  readonly hasPositions: boolean;
  /** The positions (ascending) of the term in the row at `ordinals[i]`; empty for a field term. */
  positions(i: number): Uint32Array;
}

const NO_POSITIONS = new Uint32Array(0);

class DecodedPostings implements Postings {
  readonly ordinals: Uint32Array;
  readonly hasPositions: boolean;
  private readonly input: Reader;
  private readonly positionsStart: number;
  /** Byte offset of each ordinal's positions, found on the first call of `positions`. */
  private starts: Uint32Array | null = null;

  constructor(bytes: Uint8Array) {
    const input = new Reader(bytes, postingsError);
    const header = input.uvarint();
    const docs = Math.floor(header / 2);
    if (docs === 0 || docs > input.left) throw input.error(`doc count ${docs} is 0 or exceeds the bytes left`);
    const ordinals = new Uint32Array(docs);
    let ordinal = -1;
    for (let i = 0; i < docs; i++) {
      ordinal += input.uvarint() + 1;
      if (ordinal > 0xffffffff) throw input.error(`ordinal ${ordinal} above 2^32`);
      ordinals[i] = ordinal;
    }
    this.ordinals = ordinals;
    this.hasPositions = header % 2 === 1;
    if (!this.hasPositions) input.done();
    this.input = input;
    this.positionsStart = input.at;
  }

  positions(i: number): Uint32Array {
    if (!this.hasPositions) return NO_POSITIONS;
    if (!(i >= 0 && i < this.ordinals.length)) throw new RangeError(`postings: no ordinal at index ${i}`);
    const starts = this.starts ?? this.findStarts();
    const input = this.input;
    input.at = starts[i];
    return readPositions(input, true)!;
  }

  private findStarts(): Uint32Array {
    const input = this.input;
    input.at = this.positionsStart;
    const starts = new Uint32Array(this.ordinals.length);
    for (let i = 0; i < starts.length; i++) {
      starts[i] = input.at;
      readPositions(input, null);
    }
    input.done();
    this.starts = starts;
    return starts;
  }
}

/**
 * A term's postings (as decodeSegmentIndex gives them). Ordinals are decoded at once; positions lazily, the first
 * call walking them once to find where each ordinal's start (and checking them).
 */
export function decodePostings(postings: Uint8Array): Postings {
  return new DecodedPostings(postings);
}

/** Ordinals in both ascending lists (gallops through the longer one when the sizes differ a lot). */
export function intersect(a: ArrayLike<number>, b: ArrayLike<number>): Uint32Array {
  if (a.length > b.length) [a, b] = [b, a];
  const out = new Uint32Array(a.length);
  let n = 0;
  if (a.length * 16 < b.length) {
    let lo = 0;
    for (let i = 0; i < a.length && lo < b.length; i++) {
      const x = a[i];
      // Gallop then binary-search for the first b[j] >= x.
      let step = 1;
      let hi = lo;
      while (hi < b.length && b[hi] < x) {
        lo = hi + 1;
        hi += step;
        step *= 2;
      }
      hi = Math.min(hi, b.length);
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (b[mid] < x) lo = mid + 1;
        else hi = mid;
      }
      if (lo < b.length && b[lo] === x) out[n++] = x;
    }
  } else {
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const x = a[i];
      const y = b[j];
      if (x < y) i++;
      else if (y < x) j++;
      else {
        out[n++] = x;
        i++;
        j++;
      }
    }
  }
  return out.subarray(0, n);
}

/** Ordinals in either ascending list. */
export function union(a: ArrayLike<number>, b: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x < y) {
      out[n++] = x;
      i++;
    } else if (y < x) {
      out[n++] = y;
      j++;
    } else {
      out[n++] = x;
      i++;
      j++;
    }
  }
  while (i < a.length) out[n++] = a[i++];
  while (j < b.length) out[n++] = b[j++];
  return out.subarray(0, n);
}

/** Ordinals of the ascending list `a` not in `b`. */
export function difference(a: ArrayLike<number>, b: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(a.length);
  let j = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    while (j < b.length && b[j] < x) j++;
    if (j >= b.length || b[j] !== x) out[n++] = x;
  }
  return out.subarray(0, n);
}

/**
 * The ordinals (ascending) of the rows where the terms occur one after another: terms[0] at some position p,
 * terms[1] at p + 1, and so on. Every term must have positions (a body term).
 */
export function phraseMatches(terms: readonly Postings[]): Uint32Array {
  if (terms.length === 0) return new Uint32Array(0);
  for (const t of terms) if (!t.hasPositions) throw new RangeError('phraseMatches: a phrase term without positions (a field term)');
  let candidates: Uint32Array = terms[0].ordinals;
  for (let k = 1; k < terms.length; k++) candidates = intersect(candidates, terms[k].ordinals);
  const out = new Uint32Array(candidates.length);
  let n = 0;
  // One cursor per term into its ordinals: candidates ascend, so each only moves forward.
  const cursors = new Uint32Array(terms.length);
  const lists = new Array<Uint32Array>(terms.length);
  for (const ordinal of candidates) {
    for (let k = 0; k < terms.length; k++) {
      const ordinals = terms[k].ordinals;
      let c = cursors[k];
      while (ordinals[c] < ordinal) c++;
      cursors[k] = c;
      lists[k] = terms[k].positions(c);
    }
    if (consecutive(lists)) out[n++] = ordinal;
  }
  return out.subarray(0, n);
}

/** Whether some p has lists[k] holding p + k for every k (each list ascending). */
function consecutive(lists: Uint32Array[]): boolean {
  const at = new Uint32Array(lists.length);
  const first = lists[0];
  for (let i = 0; i < first.length; i++) {
    const p = first[i];
    let all = true;
    for (let k = 1; k < lists.length; k++) {
      const list = lists[k];
      let c = at[k];
      while (c < list.length && list[c] < p + k) c++;
      at[k] = c;
      if (c >= list.length) return false;
      if (list[c] !== p + k) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}
