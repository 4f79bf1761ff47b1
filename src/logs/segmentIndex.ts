// The full-text index of one log segment (the rows of one log block): term → postings, where a posting list is the
// ascending ordinals of the rows holding the term and, for body terms, the term's positions in each row's body
// (for phrases). Field terms index exact values without positions under `${field}\u0000${value}`: service,
// trace_id, span_id, severity (the number as text), attr.<key> (record attributes) and resource.<key>.
// Empty service, trace and span ids are not indexed (they mean absent); attribute values are, even when empty.
// A field value or key longer than MAX_FIELD_VALUE_LENGTH UTF-16 units is not indexed (such values are found by
// scanning blocks instead); neither is a key holding U+0000, nor a body token holding it (it would read as a field).
//
// Index bytes (encodeSegmentIndex):
//   version byte (1) · rows · term count · per term, in ascending order (JavaScript string order):
//   bytes shared with the previous term's UTF-8 · the rest's length and bytes · postings length · postings
// Postings (decodePostings; the query service stores each term's postings as one value):
//   doc count × 2 + (1 when positions follow) · first ordinal, then each gap − 1 ·
//   when positions follow, per ordinal: count − 1 · first position, then each gap − 1
// All integers are LEB128 varints; gaps − 1 make ordinals and positions strictly ascending by construction.
import { Reader, Writer } from './codecInternals.ts';
import type { LogRow } from './model.ts';

export const SEGMENT_INDEX_VERSION = 1;

/** Field values (and attribute keys) longer than this are not indexed as field terms. */
export const MAX_FIELD_VALUE_LENGTH = 256;

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
  /** Body terms: the positions of every ordinal, one after another, ascending within an ordinal. */
  readonly positions: number[] | null;
}

/** A segment's terms as built by buildSegmentIndex. */
export interface SegmentIndex {
  readonly rows: number;
  readonly terms: ReadonlyMap<string, TermPostings>;
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

/** Body terms with positions and field terms of `rows` (ordinal = index in `rows`). */
export function buildSegmentIndex(rows: readonly LogRow[], tokenize: Tokenize): SegmentIndex {
  const terms = new Map<string, Entry>();
  let ordinal = 0;

  const entry = (term: string, positional: boolean): Entry | undefined => {
    let e = terms.get(term);
    if (e !== undefined) return e;
    const key = wellFormed(term);
    e = terms.get(key);
    if (e === undefined) {
      e = new Entry(positional);
      terms.set(key, e);
    }
    if (key !== term) terms.set(term, e); // both spellings lead here; only `key` is encoded (see encode)
    return e;
  };

  const onToken = (term: string, position: number): void => {
    let e = terms.get(term);
    if (e === undefined) {
      if (term.includes('\u0000')) return;
      e = entry(term, true)!;
    }
    if (e.positions === null) return;
    if (position >>> 0 !== position) throw new RangeError(`segment index: token position ${position} is not a 32-bit unsigned integer`);
    const last = e.ordinals.length - 1;
    if (last < 0 || e.ordinals[last] !== ordinal) {
      e.ordinals.push(ordinal);
      e.counts!.push(1);
    } else {
      if (position <= e.lastPosition) {
        if (position === e.lastPosition) return;
        e.unsorted = true;
      }
      e.counts![last]++;
    }
    e.positions.push(position);
    e.lastPosition = position;
  };

  const onField = (field: string, value: string): void => {
    if (value.length > MAX_FIELD_VALUE_LENGTH) return;
    const e = entry(fieldTerm(field, value), false)!;
    const ordinals = e.ordinals;
    if (ordinals.length === 0 || ordinals[ordinals.length - 1] !== ordinal) ordinals.push(ordinal);
  };

  const onAttributes = (prefix: string, attributes: LogRow['attributes']): void => {
    for (const [k, v] of attributes) {
      if (k.length > MAX_FIELD_VALUE_LENGTH || k.includes('\u0000')) continue;
      onField(prefix + k, v);
    }
  };

  for (; ordinal < rows.length; ordinal++) {
    const row = rows[ordinal];
    tokenize(row.body, onToken);
    if (row.service !== '') onField('service', row.service);
    if (row.traceId !== '') onField('trace_id', row.traceId);
    if (row.spanId !== '') onField('span_id', row.spanId);
    onField('severity', String(row.severityNumber));
    onAttributes('attr.', row.attributes);
    onAttributes('resource.', row.resource);
  }
  return { rows: rows.length, terms };
}

/** The index's bytes: terms in ascending order, front-coded, each with its postings. */
export function encodeSegmentIndex(index: SegmentIndex): Buffer {
  // Ill-formed spellings map to the entry of their well-formed twin; only the well-formed key is written.
  const keys = [...index.terms.keys()].filter((k) => !SURROGATE.test(k) || wellFormed(k) === k).sort();
  const out = new Writer(64 + keys.length * 16);
  out.byte(SEGMENT_INDEX_VERSION);
  out.uvarint(index.rows);
  out.uvarint(keys.length);
  const postings = new Writer(256);
  let previous = Buffer.alloc(0);
  for (const key of keys) {
    const bytes = Buffer.from(key, 'utf8');
    const limit = Math.min(bytes.length, previous.length);
    let shared = 0;
    while (shared < limit && bytes[shared] === previous[shared]) shared++;
    out.uvarint(shared);
    out.uvarint(bytes.length - shared);
    out.raw(bytes.subarray(shared));
    previous = bytes;

    postings.reset();
    writePostings(postings, index.terms.get(key)!);
    out.uvarint(postings.length);
    out.raw(postings.bytes());
  }
  return Buffer.from(out.bytes());
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
    out.uvarint(to - from - 1);
    let last = -1;
    for (let j = from; j < to; j++) {
      out.uvarint(list[j] - last - 1);
      last = list[j];
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
  let previousBytes = Buffer.alloc(0);
  let previous: string | undefined;
  for (let t = 0; t < count; t++) {
    const shared = input.uvarintAtMost(previousBytes.length, 'shared prefix');
    const rest = input.bytes(input.uvarint(), 'term');
    const termBytes = Buffer.concat([previousBytes.subarray(0, shared), rest]);
    const term = termBytes.toString('utf8');
    if (previous !== undefined && !(term > previous)) throw input.error(`term ${JSON.stringify(term)} not after ${JSON.stringify(previous)}`);
    const postings = input.bytes(input.uvarint(), 'postings');
    try {
      checkPostings(postings, rows);
    } catch (err) {
      throw input.error(`term ${JSON.stringify(term)}: ${(err as Error).message}`);
    }
    out[t] = [term, postings];
    previousBytes = termBytes;
    previous = term;
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
  if (header % 2 === 1) {
    for (let i = 0; i < docs; i++) {
      const n = input.uvarint() + 1;
      if (n > input.left) throw input.error(`position count ${n} exceeds the bytes left`);
      let position = -1;
      for (let j = 0; j < n; j++) position += input.uvarint() + 1;
      if (position > 0xffffffff) throw input.error(`position ${position} above 2^32`);
    }
  }
  input.done();
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
    const n = input.uvarint() + 1;
    const out = new Uint32Array(n);
    let position = -1;
    for (let j = 0; j < n; j++) {
      position += input.uvarint() + 1;
      out[j] = position;
    }
    return out;
  }

  private findStarts(): Uint32Array {
    const input = this.input;
    input.at = this.positionsStart;
    const starts = new Uint32Array(this.ordinals.length);
    for (let i = 0; i < starts.length; i++) {
      starts[i] = input.at;
      const n = input.uvarint() + 1;
      if (n > input.left) throw input.error(`position count ${n} exceeds the bytes left`);
      let position = -1;
      for (let j = 0; j < n; j++) position += input.uvarint() + 1;
      if (position > 0xffffffff) throw input.error(`position ${position} above 2^32`);
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
