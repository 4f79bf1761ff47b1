// The log part of the query service's LMDB store (src/query/store.ts): what it materialized from otlp.logs.blocks
// and the log segments of otlp.index. A segment is `[t, blockStart, partition, seq]` (t = tenant, '' without one);
// `inv` is its newest record's time inverted, so ranges read newest first.
//
//   logBlocks    [t, bs, p, seq]                       → the otlp.logs.blocks value (a compressed block of rows)
//   logSegments  [t, bs, p, seq]                       → StoredLogSegment (times, counts, patterns)
//   logByTime    [t, inv, bs, p, seq]                  → 1 (every segment, newest first)
//   logPostings  [t, field, term, inv, bs, p, seq]     → the term's postings in the segment (field '' for body terms)
//   logTerms     [t, field, term]                      → segments holding the term (the dictionary: prefix, fuzzy, regex, label values)
//   logFields    [t, field]                            → terms of the field (label names)
//   logSegmentTerms [t, bs, p, seq]                    → the segment's terms (to undo its postings when it is replaced or tombstoned)
import type { Database, RootDatabase } from 'lmdb';
import type { LogCount, LogPattern } from '../../logs/indexRecord.ts';

export type SegmentKey = [string, number, number, number];
type Key = (string | number)[];

export interface StoredLogSegment {
  records: number;
  minTimeMs: number;
  maxTimeMs: number;
  counts: LogCount[];
  patterns: LogPattern[];
}

export interface LogStore {
  readonly blocks: Database<Buffer, Key>;
  readonly segments: Database<StoredLogSegment, Key>;
  readonly byTime: Database<number, Key>;
  readonly postings: Database<Buffer, Key>;
  readonly terms: Database<number, Key>;
  readonly fields: Database<number, Key>;
  readonly segmentTerms: Database<Buffer, Key>;
}

export function openLogStore(root: RootDatabase): LogStore {
  return {
    blocks: root.openDB<Buffer, Key>({ name: 'logBlocks', encoding: 'binary' }),
    segments: root.openDB<StoredLogSegment, Key>({ name: 'logSegments', encoding: 'msgpack' }),
    byTime: root.openDB<number, Key>({ name: 'logByTime', encoding: 'msgpack' }),
    postings: root.openDB<Buffer, Key>({ name: 'logPostings', encoding: 'binary' }),
    terms: root.openDB<number, Key>({ name: 'logTerms', encoding: 'msgpack' }),
    fields: root.openDB<number, Key>({ name: 'logFields', encoding: 'msgpack' }),
    segmentTerms: root.openDB<Buffer, Key>({ name: 'logSegmentTerms', encoding: 'binary' }),
  };
}

const NEWEST = 2 ** 53 - 1;

/** A segment's newest record time as a key element that sorts newest first. */
export function invertedTime(maxTimeMs: number): string {
  return (NEWEST - Math.max(0, Math.min(NEWEST, maxTimeMs))).toString(16).padStart(14, '0');
}

/** The time an inverted key element stands for. */
export function timeOfInverted(inv: string): number {
  return NEWEST - parseInt(inv, 16);
}

/** Field and term of an index term (`<field>\0<value>` for field terms, the term itself for body terms). */
export function splitTerm(term: string): [field: string, value: string] {
  const at = term.indexOf('\0');
  return at < 0 ? ['', term] : [term.slice(0, at), term.slice(at + 1)];
}
