// Log search over the store: a plan (plan.ts) is evaluated segment by segment, newest segment first, on the postings
// of its terms; the hits come out newest first. A segment's rows are sorted by time, so its matches are read from
// the last ordinal down, and the search stops once it holds `limit` hits and the next segment's newest record is
// older than the last of them. Blocks are decoded once and kept in a small cache.
import { decodeLogBlock } from '../../logs/block.ts';
import type { LogRow } from '../../logs/model.ts';
import { decodePostings, difference, intersect, phraseMatches, union, type Postings } from '../../logs/segmentIndex.ts';
import { BadParameter } from '../routes/route.ts';
import { keyText, MAX_KEY_TEXT } from '../store.ts';
import type { Plan, TermSet } from './plan.ts';
import { invertedTime, timeOfInverted, type LogStore, type SegmentKey, type StoredLogSegment } from './store.ts';

/** Terms a prefix, fuzzy or regex leaf may stand for at most. */
export const MAX_EXPANDED_TERMS = 10_000;

/** A matching record and where it is. */
export interface LogHit {
  row: LogRow;
  /** `<block start>/<partition>/<seq>/<ordinal>`: unique and stable while the segment is. */
  id: string;
  /** A page that ended at this hit continues after it with this cursor. */
  cursor: SearchCursor;
}

/** Where a page ended: hits after it are older (or equally old and earlier in the order). */
export interface SearchCursor {
  timeMs: number;
  timeNanos: number;
  /** The segment's sort key and the row's ordinal. */
  segment: string;
  ordinal: number;
}

export interface SearchOptions {
  tenant: string;
  /** Inclusive, ms. */
  startMs: number;
  /** Inclusive, ms. */
  endMs: number;
  limit: number;
  after?: SearchCursor;
}

export interface SearchResult {
  hits: LogHit[];
  /** Set when there may be more hits: pass it back as `after`. */
  next?: SearchCursor;
  /** Segments evaluated and rows decoded (for metrics and the response's stats). */
  segmentsScanned: number;
}

/** A candidate segment: its sort key (newest first) and place. */
interface Candidate {
  sort: string;
  inv: string;
  at: SegmentKey;
}

type Ordinals = Uint32Array | number[];

/** A leaf whose terms are known: the index terms it stands for. */
type Resolved =
  | { op: 'all' }
  | { op: 'none' }
  | { op: 'terms'; field: string; values: string[] }
  | { op: 'phrase'; terms: string[] }
  | { op: 'and'; items: Resolved[] }
  | { op: 'or'; items: Resolved[] }
  | { op: 'not'; item: Resolved };

const BLOCK_CACHE = 256;

/** Hit order: newest first; equal times by segment, then ordinal, both descending. */
function before(a: { timeMs: number; timeNanos: number; segment: string; ordinal: number }, b: { timeMs: number; timeNanos: number; segment: string; ordinal: number }): boolean {
  if (a.timeMs !== b.timeMs) return a.timeMs > b.timeMs;
  if (a.timeNanos !== b.timeNanos) return a.timeNanos > b.timeNanos;
  if (a.segment !== b.segment) return a.segment > b.segment;
  return a.ordinal > b.ordinal;
}

const segmentName = (at: SegmentKey) => `${at[1]}/${at[2]}/${at[3]}`;

/** Searches of one store. */
export class LogSearch {
  private readonly logs: LogStore;
  private readonly blocks = new Map<string, LogRow[]>();

  constructor(logs: LogStore) {
    this.logs = logs;
  }

  /** The rows of a segment (decoded once, cached); undefined when its block has not arrived (or is gone). */
  rows(at: SegmentKey): LogRow[] | undefined {
    const id = at.join('/');
    const cached = this.blocks.get(id);
    if (cached !== undefined) {
      // Most recently used last.
      this.blocks.delete(id);
      this.blocks.set(id, cached);
      return cached;
    }
    const bytes = this.logs.blocks.getBinary(at);
    if (bytes === undefined) return undefined;
    const rows = decodeLogBlock(Buffer.from(bytes));
    this.blocks.set(id, rows);
    if (this.blocks.size > BLOCK_CACHE) this.blocks.delete(this.blocks.keys().next().value!);
    return rows;
  }

  /** The newest `limit` records matching `plan` in the time range, after `after`. */
  search(plan: Plan, o: SearchOptions): SearchResult {
    const resolved = this.resolve(plan, o.tenant);
    const hits: Array<{ row: LogRow; segment: string; ordinal: number; at: SegmentKey }> = [];
    let segmentsScanned = 0;
    let more = false;
    for (const c of this.candidates(resolved, o)) {
      const newest = timeOfInverted(c.inv);
      if (newest < o.startMs) break;
      if (hits.length >= o.limit) {
        // Every later segment's newest record is no newer than this one's.
        if (newest < hits[hits.length - 1].row.timeMs) {
          more = true;
          break;
        }
      }
      const meta = this.logs.segments.get(c.at);
      if (meta === undefined || meta.minTimeMs > o.endMs) continue;
      const matched = this.evaluate(resolved, o.tenant, c, meta);
      if (matched.length === 0) continue;
      const rows = this.rows(c.at);
      if (rows === undefined) continue;
      segmentsScanned++;
      for (let i = matched.length - 1; i >= 0; i--) {
        const ordinal = matched[i];
        const row = rows[ordinal];
        if (row === undefined || row.timeMs > o.endMs) continue;
        if (row.timeMs < o.startMs) break;
        const hit = { row, segment: c.sort, ordinal, at: c.at, timeMs: row.timeMs, timeNanos: row.timeNanos };
        if (o.after !== undefined && !before(o.after, hit)) continue;
        if (hits.length >= o.limit && !before(hit, { ...hits[hits.length - 1], timeMs: hits[hits.length - 1].row.timeMs, timeNanos: hits[hits.length - 1].row.timeNanos })) {
          more = true;
          break;
        }
        insertSorted(hits, hit);
        if (hits.length > o.limit) {
          hits.pop();
          more = true;
        }
      }
    }
    const last = hits[hits.length - 1];
    return {
      hits: hits.map((h) => ({ row: h.row, id: `${segmentName(h.at)}/${h.ordinal}`, cursor: { timeMs: h.row.timeMs, timeNanos: h.row.timeNanos, segment: h.segment, ordinal: h.ordinal } })),
      ...(more && last !== undefined ? { next: { timeMs: last.row.timeMs, timeNanos: last.row.timeNanos, segment: last.segment, ordinal: last.ordinal } } : {}),
      segmentsScanned,
    };
  }

  /** Every row matching `plan` in the time range, segment by segment (newest segment first), up to `maxSegments`. */
  *scan(plan: Plan, o: Omit<SearchOptions, 'limit' | 'after'>, maxSegments = Number.POSITIVE_INFINITY): Generator<{ rows: LogRow[]; ordinals: Ordinals; meta: StoredLogSegment } | { truncated: true }> {
    const resolved = this.resolve(plan, o.tenant);
    let scanned = 0;
    for (const c of this.candidates(resolved, { ...o, limit: 0 })) {
      if (timeOfInverted(c.inv) < o.startMs) return;
      const meta = this.logs.segments.get(c.at);
      if (meta === undefined || meta.minTimeMs > o.endMs) continue;
      if (scanned++ >= maxSegments) {
        yield { truncated: true };
        return;
      }
      const ordinals = this.evaluate(resolved, o.tenant, c, meta);
      if (ordinals.length === 0) continue;
      const rows = this.rows(c.at);
      if (rows !== undefined) yield { rows, ordinals, meta };
    }
  }

  /** Segments overlapping the range, newest first: segments (meta) only, without evaluating anything. */
  *segmentsInRange(tenant: string, startMs: number, endMs: number): Generator<{ at: SegmentKey; meta: StoredLogSegment }> {
    for (const key of this.logs.byTime.getKeys({ start: [tenant, invertedTime(Number.MAX_SAFE_INTEGER)], end: [tenant, `${invertedTime(startMs)}\x01`] })) {
      const [, , bs, p, seq] = key as [string, string, number, number, number];
      const at: SegmentKey = [tenant, bs, p, seq];
      const meta = this.logs.segments.get(at);
      if (meta === undefined || meta.minTimeMs > endMs || meta.maxTimeMs < startMs) continue;
      yield { at, meta };
    }
  }

  // --- resolving leaves into index terms ---

  private resolve(plan: Plan, tenant: string): Resolved {
    switch (plan.op) {
      case 'all':
      case 'none':
        return plan;
      case 'terms':
        return { op: 'terms', field: plan.field, values: this.expand(tenant, plan.field, plan.terms) };
      case 'phrase':
        return plan.terms.length === 0 ? { op: 'all' } : { op: 'phrase', terms: [...plan.terms] };
      case 'and':
        return { op: 'and', items: plan.items.map((p) => this.resolve(p, tenant)) };
      case 'or':
        return { op: 'or', items: plan.items.map((p) => this.resolve(p, tenant)) };
      case 'not':
        return { op: 'not', item: this.resolve(plan.item, tenant) };
    }
  }

  /** The dictionary terms of `field` a term set stands for. */
  private expand(tenant: string, rawField: string, set: TermSet): string[] {
    const field = keyText(rawField);
    if (set.kind === 'exact') return set.values.map(keyText).filter((v) => v.length <= MAX_KEY_TEXT);
    const prefix = set.prefix ?? '';
    const out: string[] = [];
    const range = { start: [tenant, field, prefix], end: [tenant, field, `${prefix}\uffff`] };
    for (const key of this.logs.terms.getKeys(range)) {
      const term = (key as [string, string, string])[2];
      if (set.kind === 'scan' && !set.test(term)) continue;
      out.push(term);
      if (out.length > MAX_EXPANDED_TERMS) {
        const what = set.kind === 'prefix' ? `prefix "${prefix}*"` : set.describe;
        throw new BadParameter('q', `${what} matches more than ${MAX_EXPANDED_TERMS} terms; make it more specific`);
      }
    }
    return out;
  }

  // --- candidate segments ---

  /** Segments that may hold a match, newest first. */
  private candidates(plan: Resolved, o: Omit<SearchOptions, 'after'>): Iterable<Candidate> {
    const set = this.candidateSet(plan, o.tenant);
    if (set === 'all') return this.allSegments(o.tenant);
    return [...set.values()].sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0));
  }

  private *allSegments(tenant: string): Generator<Candidate> {
    // From the newest: a segment whose newest record is past the range's end may still hold older rows in it.
    for (const key of this.logs.byTime.getKeys({ start: [tenant], end: [`${tenant}\x01`] })) {
      const [, inv, bs, p, seq] = key as [string, string, number, number, number];
      yield candidate(tenant, inv, bs, p, seq);
    }
  }

  private candidateSet(plan: Resolved, tenant: string): Map<string, Candidate> | 'all' {
    switch (plan.op) {
      case 'all':
      case 'not':
        return 'all';
      case 'none':
        return new Map();
      case 'terms': {
        const out = new Map<string, Candidate>();
        for (const value of plan.values) this.segmentsOf(tenant, plan.field, value, out);
        return out;
      }
      case 'phrase': {
        let smallest: Map<string, Candidate> | undefined;
        for (const term of new Set(plan.terms)) {
          const m = this.segmentsOf(tenant, '', term, new Map());
          if (smallest === undefined || m.size < smallest.size) smallest = m;
        }
        return smallest ?? new Map();
      }
      case 'and': {
        let smallest: Map<string, Candidate> | 'all' = 'all';
        for (const item of plan.items) {
          const m = this.candidateSet(item, tenant);
          if (m !== 'all' && (smallest === 'all' || m.size < smallest.size)) smallest = m;
        }
        return smallest;
      }
      case 'or': {
        const out = new Map<string, Candidate>();
        for (const item of plan.items) {
          const m = this.candidateSet(item, tenant);
          if (m === 'all') return 'all';
          for (const [k, v] of m) out.set(k, v);
        }
        return out;
      }
    }
  }

  private segmentsOf(tenant: string, field: string, value: string, into: Map<string, Candidate>): Map<string, Candidate> {
    for (const key of this.logs.postings.getKeys({ start: [tenant, field, value], end: [tenant, field, `${value}\x01`] })) {
      const k = key as [string, string, string, string, number, number, number];
      // A longer term that starts with `value` sorts inside the range too: keep exact ones only.
      if (k[2] !== value) continue;
      const c = candidate(tenant, k[3], k[4], k[5], k[6]);
      into.set(c.sort, c);
    }
    return into;
  }

  // --- evaluating a plan on one segment ---

  private evaluate(plan: Resolved, tenant: string, c: Candidate, meta: StoredLogSegment): Ordinals {
    switch (plan.op) {
      case 'all':
        return range(meta.records);
      case 'none':
        return [];
      case 'terms': {
        let out: Ordinals = [];
        for (const value of plan.values) {
          const p = this.postings(tenant, plan.field, value, c);
          if (p !== undefined) out = out.length === 0 ? p.ordinals : union(out, p.ordinals);
        }
        return out;
      }
      case 'phrase':
        return this.phrase(plan.terms, tenant, c);
      case 'and': {
        // Cheapest first: leaves before subtrees, a not last (it needs the others' result to subtract from).
        let out: Ordinals | undefined;
        const nots: Resolved[] = [];
        for (const item of plan.items) {
          if (item.op === 'not') {
            nots.push(item.item);
            continue;
          }
          const next = this.evaluate(item, tenant, c, meta);
          out = out === undefined ? next : intersect(out, next);
          if (out.length === 0) return out;
        }
        out ??= range(meta.records);
        for (const item of nots) {
          out = difference(out, this.evaluate(item, tenant, c, meta));
          if (out.length === 0) return out;
        }
        return out;
      }
      case 'or': {
        let out: Ordinals = [];
        for (const item of plan.items) out = union(out, this.evaluate(item, tenant, c, meta));
        return out;
      }
      case 'not':
        return difference(range(meta.records), this.evaluate(plan.item, tenant, c, meta));
    }
  }

  private postings(tenant: string, field: string, value: string, c: Candidate): Postings | undefined {
    const bytes = this.logs.postings.getBinary([tenant, field, value, c.inv, ...c.at.slice(1)]);
    return bytes === undefined ? undefined : decodePostings(bytes);
  }

  /** Rows whose body holds `terms` at consecutive positions. */
  private phrase(terms: readonly string[], tenant: string, c: Candidate): Ordinals {
    const lists: Postings[] = [];
    for (const term of terms) {
      const p = this.postings(tenant, '', term, c);
      if (p === undefined) return [];
      lists.push(p);
    }
    return phraseMatches(lists);
  }
}

function candidate(tenant: string, inv: string, bs: number, p: number, seq: number): Candidate {
  // The sort key orders newest first, then by block, partition and segment (fixed width, so text order works).
  const sort = `${inv}/${String(bs).padStart(16, '0')}/${String(p).padStart(6, '0')}/${String(seq).padStart(10, '0')}`;
  return { sort, inv, at: [tenant, bs, p, seq] };
}

function insertSorted<T extends { row: LogRow; segment: string; ordinal: number }>(hits: T[], hit: T): void {
  const key = (h: T) => ({ timeMs: h.row.timeMs, timeNanos: h.row.timeNanos, segment: h.segment, ordinal: h.ordinal });
  let lo = 0;
  let hi = hits.length;
  const k = key(hit);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(key(hits[mid]), k)) lo = mid + 1;
    else hi = mid;
  }
  hits.splice(lo, 0, hit);
}

function range(n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
