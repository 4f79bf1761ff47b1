// The query service's local store: one LMDB environment at --data-dir holding what the service materialized from
// otlp.traces, otlp.index and otlp.series, and the offsets it read up to (written in the same transaction as the
// data, so a restart resumes exactly where the store is). Keys are lmdb's ordered-binary arrays, compared element
// by element; a string never holds '\0' (lmdb's element delimiter), so `[...prefix, last + '\x01']` bounds every key
// that starts with `prefix`.
//
// Sub-databases (t = tenant, '' without one; seg = the otlp.index key of the segment an entry came from):
//   traces      [t, traceId, fragment]                        → the otlp.traces value as received (snappy OTLP)
//   summaries   [t, traceId, seg]                              → StoredSummary (a trace may sit in several segments)
//   recent      [t, invStart, traceId, seg]                    → duration ns (newest first: searches without tags)
//   postings    [t, field, value, invStart, traceId, seg]     → 1 (newest first per (field, value))
//   tagValues   [t, field, value]                              → postings count (tag names and values, selectivity)
//   services    [t, service]                                   → summaries count
//   operations  [t, service, span name, kind]                  → 1 (from the spans of otlp.traces)
//   blocks      [t, blockStart, partition]                     → StoredBlock (pruning by time and duration)
//   segments    otlp.index key                                 → StoredSegment (what the segment derived, to undo it)
//   offsets     [topic, partition]                             → next offset to read
//   startShifts [t]                                            → ns: how far a trace's start moved earlier at most
//                                                                 (a late fragment); searches widen time ranges by it
//   series:*    the Prometheus series catalog's own databases (prometheus/catalog.ts)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { TraceSummary } from '../operators/traces/model.ts';

type Key = (string | number)[];

/** A trace summary as stored (start as a decimal string: msgpack has no portable bigint). */
export interface StoredSummary extends Omit<TraceSummary, 'startUnixNano'> {
  start: string;
}

/** A segment's derived entries, enough to remove them exactly when the segment is replaced or tombstoned. */
export interface StoredSegment {
  tenant: string;
  traces: StoredSummary[];
  postings: { field: string; value: string; traces: number[] }[];
}

/** A block record's pruning facts. */
export interface StoredBlock {
  blockEnd: number;
  traces: number;
  /** Segments the block record counts (0 … segments − 1); absent in stores written before it was kept. */
  segments?: number;
  minDurationNanos: number;
  maxDurationNanos: number;
  minStart: string;
  maxStart: string;
  bloomBits: Uint8Array;
  bloomHashes: number;
}

/** Longest field or value (UTF-16 units) kept in a key; LMDB keys are limited to 1978 bytes. Longer ones are not indexed. */
export const MAX_KEY_TEXT = 480;

export interface QueryStore {
  readonly root: RootDatabase;
  readonly path: string;
  readonly traces: Database<Buffer, Key>;
  readonly summaries: Database<StoredSummary, Key>;
  readonly recent: Database<number, Key>;
  readonly postings: Database<number, Key>;
  readonly tagValues: Database<number, Key>;
  readonly services: Database<number, Key>;
  readonly operations: Database<number, Key>;
  readonly blocks: Database<StoredBlock, Key>;
  readonly segments: Database<StoredSegment, string>;
  readonly offsets: Database<string, Key>;
  readonly startShifts: Database<number, Key>;
  close(): Promise<void>;
  /** Bytes of the environment in use (pages × page size). */
  usedBytes(): number;
}

/** Opens (creating) the store in `dataDir`. */
export function openQueryStore(dataDir: string): QueryStore {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'store.mdb');
  // noSync off (durable commits) but one commit per fetched batch, so the cost is per batch, not per record.
  const root = open({ path, maxDbs: 32 });
  const db = <V, K extends Key | string = Key>(name: string, encoding: 'msgpack' | 'binary' = 'msgpack') => root.openDB<V, K>({ name, encoding });
  return {
    root,
    path,
    traces: db<Buffer>('traces', 'binary'),
    summaries: db<StoredSummary>('summaries'),
    recent: db<number>('recent'),
    postings: db<number>('postings'),
    tagValues: db<number>('tagValues'),
    services: db<number>('services'),
    operations: db<number>('operations'),
    blocks: db<StoredBlock>('blocks'),
    segments: db<StoredSegment, string>('segments'),
    offsets: db<string>('offsets'),
    startShifts: db<number>('startShifts'),
    close: () => root.close(),
    usedBytes: () => {
      const stats = root.getStats() as { pageSize: number; lastPageNumber: number };
      return (stats.lastPageNumber + 1) * stats.pageSize;
    },
  };
}

/** The upper bound of every key starting with `prefix` (exclusive). */
export function prefixEnd(prefix: Key): Key {
  const last = prefix[prefix.length - 1];
  return [...prefix.slice(0, -1), `${String(last)}\x01`];
}

/** Text safe as a key element: lmdb's ordered-binary uses '\0' as the element delimiter. */
export function keyText(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text;
}

const U64 = (1n << 64n) - 1n;

/** A start time (ns) as a fixed-width key element that sorts newest first. */
export function invertedStart(startUnixNano: bigint | string): string {
  const start = typeof startUnixNano === 'bigint' ? startUnixNano : BigInt(startUnixNano);
  const clamped = start < 0n ? 0n : start > U64 ? U64 : start;
  return (U64 - clamped).toString(16).padStart(16, '0');
}

/** A summary in its stored form. */
export function storedSummary(s: TraceSummary): StoredSummary {
  return {
    traceId: s.traceId,
    rootService: s.rootService,
    rootName: s.rootName,
    start: s.startUnixNano.toString(),
    durationNanos: s.durationNanos,
    spans: s.spans,
    errors: s.errors,
    services: s.services,
    edges: s.edges,
  };
}

/** A stored summary back in the model's form. */
export function summaryOf(s: StoredSummary): TraceSummary {
  const { start, ...rest } = s;
  return { ...rest, startUnixNano: BigInt(start) };
}
