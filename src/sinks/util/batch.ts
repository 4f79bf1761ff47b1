// Splitting a checkpoint's rows into requests of bounded size.
import type { BatchLimits } from './contract.ts';

export const DEFAULT_LIMITS: BatchLimits = { maxRows: 1_000, maxBytes: 1 << 20 };

/** A cheap size estimate of a row: strings by length, numbers 8 bytes, nested values 16; plus the field names. */
export function estimateRowBytes(row: unknown): number {
  if (row === null || typeof row !== 'object') return valueBytes(row);
  let n = 2;
  for (const [k, v] of Object.entries(row)) n += k.length + valueBytes(v);
  return n;
}

function valueBytes(v: unknown): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v === 'number' || typeof v === 'bigint') return 8;
  if (v instanceof Uint8Array) return v.length;
  if (v !== null && typeof v === 'object') return 16;
  return 1;
}

/** Consecutive batches of at most `maxRows` rows and `maxBytes` estimated bytes (a larger row goes alone), in order. */
export function splitBatches<Row>(rows: Row[], limits: BatchLimits, sizeOf: (row: Row) => number = estimateRowBytes): Row[][] {
  const batches: Row[][] = [];
  let current: Row[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = sizeOf(row);
    if (current.length > 0 && (current.length >= limits.maxRows || bytes + size > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The last row per key: an upsert of the same key twice keeps the later row, so what is left can go in any order. */
export function lastPerKey<Row>(rows: Row[], key: (row: Row) => string): Row[] {
  const byKey = new Map<string, Row>();
  for (const row of rows) byKey.set(key(row), row);
  return byKey.size === rows.length ? rows : [...byKey.values()];
}
