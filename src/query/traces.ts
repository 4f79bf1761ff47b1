// Trace queries over the local store, per tenant: a trace by id, searches by tag conditions, durations and time,
// tag names and values, services, operations and dependencies. Dialects (Tempo, Jaeger) translate their parameters
// to these and format the answers; fan-out (peers.ts) merges the answers of several replicas.
import type { ServiceEdge, TraceSummary } from '../operators/traces/model.ts';
import { decodeTraceValue } from '../operators/traces/traceRecord.ts';
import type { Span } from '../otlp/index.ts';
import { satisfies, type CandidateFormula } from './traceql/index.ts';
import { parseIndexKey } from '../operators/traces/indexRecord.ts';
import { invertedStart, keyText, prefixEnd, summaryOf, type QueryStore, type StoredBlock, type StoredSummary } from './store.ts';

type Key = (string | number)[];

/** A tag condition: any of `fields` (index fields: resource.<k>, span.<k>, name, status, kind) has `value`. */
export interface TagCondition {
  fields: string[];
  value: string;
}

/** A search: the postings formula holds, the duration and the trace's start are within bounds; newest first. */
export interface TraceSearch {
  /** What a match must have in the index (TraceQL's candidates, or conditionsFormula); default: anything. */
  formula?: CandidateFormula;
  minDurationNanos?: number;
  maxDurationNanos?: number;
  /** Inclusive bounds on the trace's start, ns since the epoch. */
  startNanos?: bigint;
  endNanos?: bigint;
  limit: number;
  /** Further test on each candidate (TraceQL on the decoded trace); the search reads the trace only then. */
  matches?: (spans: Span[], summary: TraceSummary) => boolean;
  /** Skip candidates of blocks whose duration ranges exclude the bounds (default true; false: the unpruned oracle). */
  prune?: boolean;
}

/** What a search read (Tempo's search metrics), and what block pruning saved. */
export interface SearchStats {
  /** Candidate traces whose summaries were read. */
  inspectedTraces: number;
  /** Spans and bytes of the traces decoded for `matches`. */
  inspectedSpans: number;
  inspectedBytes: number;
  /** Block records consulted for pruning. */
  blocks: number;
  /** Candidate keys skipped because their block cannot hold a match. */
  prunedCandidates: number;
}

/** A search's matches (newest first) and what it read. */
export interface SearchFound {
  traces: TraceSummary[];
  stats: SearchStats;
}

/** Bounds a block's ranges are compared with. */
export interface DurationBounds {
  minDurationNanos?: number;
  maxDurationNanos?: number;
}

/**
 * Whether no trace found through segment `seq` of `block` can be within `bounds`: the block record must be current
 * (it counts the segment: the trace index writes a block record again after late segments) and its duration range
 * outside the bounds. A trace's summaries only grow (a later fragment's summary covers the earlier ones, and its
 * duration is at least theirs), and a block's range covers the latest summary of each of its traces; so a block whose
 * shortest trace is longer than the maximum holds no match through any summary. The minimum is only safe to prune
 * with when the caller scans every summary's own key (`everySummaryKeyed`): a trace whose late fragment moved its
 * start into an earlier block is short in this block but may be long there.
 */
export function blockExcludes(block: StoredBlock | undefined, seq: number, bounds: DurationBounds, everySummaryKeyed: boolean): boolean {
  if (block === undefined || block.segments === undefined || seq >= block.segments) return false;
  if (bounds.maxDurationNanos !== undefined && block.minDurationNanos > bounds.maxDurationNanos) return true;
  return everySummaryKeyed && bounds.minDurationNanos !== undefined && block.maxDurationNanos < bounds.minDurationNanos;
}

/** An operation of a service: a span name and its kind. */
export interface Operation {
  name: string;
  kind: string;
}

/** Most candidate traces one search or dependency scan looks at: bounded work per request. */
export const MAX_SCANNED_TRACES = 200_000;

// Most candidate keys one search skips by pruning (cheap, but bounded like the traces it reads).
const PRUNED_KEYS_LIMIT = 10 * MAX_SCANNED_TRACES;

/** Newest first, then by trace id: the order of every search answer. */
export function newestFirst(a: TraceSummary, b: TraceSummary): number {
  if (a.startUnixNano !== b.startUnixNano) return a.startUnixNano > b.startUnixNano ? -1 : 1;
  return a.traceId < b.traceId ? -1 : a.traceId > b.traceId ? 1 : 0;
}

/** Searches and look-ups of one store. */
export class TraceQueries {
  private readonly store: QueryStore;

  constructor(store: QueryStore) {
    this.store = store;
  }

  /** The spans of a trace (every fragment), or undefined when the store has none. */
  traceById(tenant: string, traceId: string): Span[] | undefined {
    return this.readTrace(tenant, traceId)?.spans;
  }

  // The trace's spans and the stored bytes read for them.
  private readTrace(tenant: string, traceId: string): { spans: Span[]; bytes: number } | undefined {
    const prefix = [tenant, traceId];
    const spans: Span[] = [];
    let found = false;
    let bytes = 0;
    for (const { value } of this.store.traces.getRange({ start: prefix, end: prefixEnd(prefix) })) {
      found = true;
      bytes += value.length;
      spans.push(...decodeTraceValue(value));
    }
    return found ? { spans: dedupeSpans(spans), bytes } : undefined;
  }

  /** A trace's summary: of the segments indexing it, the one with the most spans (late fragments merge into it). */
  summary(tenant: string, traceId: string): TraceSummary | undefined {
    const best = this.bestStored(tenant, traceId);
    return best === undefined ? undefined : summaryOf(best.summary);
  }

  private stored(tenant: string, traceId: string): { seg: string; summary: StoredSummary }[] {
    const prefix = [tenant, traceId];
    return [...this.store.summaries.getRange({ start: prefix, end: prefixEnd(prefix) })].map(({ key, value }) => ({ seg: String(key[2]), summary: value }));
  }

  private bestStored(tenant: string, traceId: string): { seg: string; summary: StoredSummary } | undefined {
    let best: { seg: string; summary: StoredSummary } | undefined;
    for (const entry of this.stored(tenant, traceId)) if (best === undefined || entry.summary.spans > best.summary.spans) best = entry;
    return best;
  }

  /** Traces matching `q`, newest first, at most `q.limit`, and what the search read. */
  search(tenant: string, q: TraceSearch): SearchFound {
    const stats: SearchStats = { inspectedTraces: 0, inspectedSpans: 0, inspectedBytes: 0, blocks: 0, prunedCandidates: 0 };
    const formula = clean(q.formula ?? { op: 'all' });
    // Older segments of a trace whose start a late fragment moved earlier are keyed up to the tenant's shift later.
    const newest = q.endNanos === undefined ? undefined : invertedStart(q.endNanos + BigInt(this.store.startShifts.get([tenant]) ?? 0));
    const oldest = q.startNanos === undefined ? undefined : invertedStart(q.startNanos);
    // Every match has one of the cover's postings: scanning them (newest first) finds every match.
    const cover = this.cover(tenant, formula);
    // Candidate keys end in [..., traceId, seg]; `recent` keys every summary, postings only the segments that post.
    const candidates =
      cover === 'all'
        ? (this.store.recent.getKeys(rangeOf([tenant], newest, oldest)) as Iterable<Key>)
        : mergeByKey(cover.map((t) => this.store.postings.getKeys(rangeOf([tenant, t.field, t.value], newest, oldest))));
    const excluded = q.prune === false ? undefined : this.blockPruner(tenant, q, cover === 'all', stats);
    const seen = new Set<string>();
    const found: TraceSummary[] = [];
    for (const key of candidates) {
      const traceId = String(key[key.length - 2]);
      if (seen.has(traceId)) continue;
      // Not marked seen: the trace may still match through a summary in another block.
      if (excluded?.(String(key[key.length - 1]))) {
        // Skipped keys cost a map look-up each, but the work per request stays bounded.
        if (++stats.prunedCandidates > PRUNED_KEYS_LIMIT) break;
        continue;
      }
      seen.add(traceId);
      if (seen.size > MAX_SCANNED_TRACES) break;
      const entries = this.stored(tenant, traceId);
      if (entries.length === 0) continue;
      stats.inspectedTraces++;
      let best = entries[0];
      for (const e of entries) if (e.summary.spans > best.summary.spans) best = e;
      const summary = summaryOf(best.summary);
      if (q.minDurationNanos !== undefined && summary.durationNanos < q.minDurationNanos) continue;
      if (q.maxDurationNanos !== undefined && summary.durationNanos > q.maxDurationNanos) continue;
      if (q.startNanos !== undefined && summary.startUnixNano < q.startNanos) continue;
      if (q.endNanos !== undefined && summary.startUnixNano > q.endNanos) continue;
      if (cover !== 'all' || formula.op !== 'all') {
        if (!satisfies(formula, (field, value) => this.hasPosting(tenant, traceId, entries, field, value))) continue;
      }
      if (q.matches) {
        const trace = this.readTrace(tenant, traceId);
        if (trace === undefined) continue;
        stats.inspectedSpans += trace.spans.length;
        stats.inspectedBytes += trace.bytes;
        if (!q.matches(trace.spans, summary)) continue;
      }
      found.push(summary);
      if (found.length >= q.limit) break;
    }
    return { traces: found.sort(newestFirst), stats };
  }

  // Whether a candidate from segment `seg` can be skipped: its block record (read once per block) excludes the
  // duration bounds. Time bounds need no block ranges: the candidate keys are ordered by start and the scan reads
  // only the keys in range. undefined: no duration bounds, nothing to prune.
  private blockPruner(tenant: string, bounds: DurationBounds, everySummaryKeyed: boolean, stats: SearchStats): ((seg: string) => boolean) | undefined {
    if (bounds.minDurationNanos === undefined && bounds.maxDurationNanos === undefined) return undefined;
    const blocks = new Map<string, StoredBlock | undefined>();
    const bySegment = new Map<string, boolean>();
    return (seg) => {
      let skip = bySegment.get(seg);
      if (skip !== undefined) return skip;
      skip = false;
      try {
        const place = parseIndexKey(seg);
        if (place.entry !== 'block') {
          const id = `${place.blockStart}/${place.partition}`;
          if (!blocks.has(id)) {
            blocks.set(id, this.store.blocks.get([tenant, place.blockStart, place.partition]));
            stats.blocks++;
          }
          skip = blockExcludes(blocks.get(id), place.entry, bounds, everySummaryKeyed);
        }
      } catch {
        // A segment key the store holds always parses; if not, read the candidate.
      }
      bySegment.set(seg, skip);
      return skip;
    };
  }

  // Postings at least one of which every trace satisfying `f` has ('all': no such set); for `and`, the cheapest arm.
  private cover(tenant: string, f: CandidateFormula): Term[] | 'all' {
    switch (f.op) {
      case 'all':
        return 'all';
      case 'term':
        return [{ field: f.field, value: f.value }];
      case 'or': {
        const terms: Term[] = [];
        for (const arg of f.args) {
          const c = this.cover(tenant, arg);
          if (c === 'all') return 'all';
          terms.push(...c);
        }
        return terms;
      }
      case 'and': {
        let best: Term[] | 'all' = 'all';
        let bestCost = Infinity;
        for (const arg of f.args) {
          const c = this.cover(tenant, arg);
          if (c === 'all') continue;
          const cost = c.reduce((n, t) => n + (this.store.tagValues.get([tenant, t.field, t.value]) ?? 0), 0);
          if (cost < bestCost) [best, bestCost] = [c, cost];
        }
        return best;
      }
    }
  }

  private hasPosting(tenant: string, traceId: string, entries: { seg: string; summary: StoredSummary }[], field: string, value: string): boolean {
    for (const { seg, summary } of entries) {
      if (this.store.postings.get([tenant, field, value, invertedStart(summary.start), traceId, seg]) !== undefined) return true;
    }
    return false;
  }

  /** Index fields with at least one value (resource.<k>, span.<k>, name, status, kind). */
  tagFields(tenant: string): string[] {
    const fields: string[] = [];
    let start: Key = [tenant];
    const end = prefixEnd([tenant]);
    for (;;) {
      const next = [...this.store.tagValues.getKeys({ start, end, limit: 1 })][0] as Key | undefined;
      if (next === undefined) break;
      const field = String(next[1]);
      fields.push(field);
      // Skip the field's values: one seek per field.
      start = prefixEnd([tenant, field]);
    }
    return fields;
  }

  /** Distinct values of any of `fields`, sorted, at most `limit`. */
  tagValues(tenant: string, fields: string[], limit: number): string[] {
    const values = new Set<string>();
    for (const field of fields) {
      const prefix = [tenant, keyText(field)];
      for (const key of this.store.tagValues.getKeys({ start: prefix, end: prefixEnd(prefix) })) {
        values.add(String((key as Key)[2]));
        if (values.size >= limit) break;
      }
    }
    return [...values].sort().slice(0, limit);
  }

  /** Services of the tenant's indexed traces. */
  services(tenant: string): string[] {
    return [...this.store.services.getKeys({ start: [tenant], end: prefixEnd([tenant]) })].map((k) => String((k as Key)[1]));
  }

  /** Span names and kinds of a service. */
  operations(tenant: string, service: string): Operation[] {
    const prefix = [tenant, keyText(service)];
    return [...this.store.operations.getKeys({ start: prefix, end: prefixEnd(prefix) })].map((k) => ({ name: String((k as Key)[2]), kind: String((k as Key)[3]) }));
  }

  /** Calls between services summed over the traces that started in [start, end] (the service graph of the summaries). */
  dependencies(tenant: string, startNanos: bigint, endNanos: bigint): ServiceEdge[] {
    const calls = new Map<string, ServiceEdge>();
    const seen = new Set<string>();
    for (const traceId of traceIds(this.store.recent.getKeys(rangeOf([tenant], invertedStart(endNanos), invertedStart(startNanos))), 2)) {
      if (seen.has(traceId)) continue;
      seen.add(traceId);
      if (seen.size > MAX_SCANNED_TRACES) break;
      const best = this.bestStored(tenant, traceId);
      if (best === undefined) continue;
      for (const e of best.summary.edges) {
        const id = `${e.parent}\0${e.child}`;
        const known = calls.get(id);
        if (known) known.calls += e.calls;
        else calls.set(id, { ...e });
      }
    }
    return [...calls.values()].sort((a, b) => (a.parent === b.parent ? (a.child < b.child ? -1 : 1) : a.parent < b.parent ? -1 : 1));
  }
}

/** Spans once each (by span id), in their order. */
export function dedupeSpans(spans: Span[]): Span[] {
  const seen = new Set<string>();
  return spans.filter((s) => {
    if (seen.has(s.spanId)) return false;
    seen.add(s.spanId);
    return true;
  });
}

interface Term {
  field: string;
  value: string;
}

/** Tag conditions as a postings formula: every condition, each by any of its fields. */
export function conditionsFormula(conditions: TagCondition[]): CandidateFormula {
  if (conditions.length === 0) return { op: 'all' };
  return { op: 'and', args: conditions.map((c) => ({ op: 'or', args: c.fields.map((field) => ({ op: 'term', field, value: c.value })) })) };
}

// Terms as key elements (no '\0'); a term too long to be a key can never be found.
function clean(f: CandidateFormula): CandidateFormula {
  switch (f.op) {
    case 'all':
      return f;
    case 'term':
      return { op: 'term', field: keyText(f.field), value: keyText(f.value) };
    default:
      return { op: f.op, args: f.args.map(clean) };
  }
}

// Keys under `prefix` whose next element (an inverted start) lies in [newest, oldest].
function rangeOf(prefix: Key, newest: string | undefined, oldest: string | undefined): { start: Key; end: Key } {
  return { start: newest === undefined ? prefix : [...prefix, newest], end: prefixEnd(oldest === undefined ? prefix : [...prefix, oldest]) };
}

function* traceIds(keys: Iterable<unknown>, at: number): Iterable<string> {
  for (const key of keys) yield String((key as Key)[at]);
}

// Merges key iterators of the same shape ([..., inv, traceId, seg] after a common-length prefix) in (inv, traceId) order.
function* mergeByKey(sources: Iterable<unknown>[]): Iterable<Key> {
  if (sources.length === 1) {
    yield* sources[0] as Iterable<Key>;
    return;
  }
  const iterators = sources.map((s) => (s as Iterable<Key>)[Symbol.iterator]());
  const heads = iterators.map((it) => it.next());
  const order = (k: Key) => `${String(k[3])}\0${String(k[4])}`;
  try {
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        if (heads[i].done) continue;
        if (best < 0 || order(heads[i].value as Key) < order(heads[best].value as Key)) best = i;
      }
      if (best < 0) return;
      yield heads[best].value as Key;
      heads[best] = iterators[best].next();
    }
  } finally {
    // Stopped early (the limit was reached): close the cursors.
    for (const it of iterators) it.return?.();
  }
}
