// Shared benchmark reporting: a readable table, then one JSON line, also written to bench/results/<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchResult {
  metric: string;
  value: number;
  unit: string;
}

/** Median of a non-empty list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Value at quantile q (0..1) of a list, nearest-rank. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** Prints the table and the closing JSON line, and writes bench/results/<bench>.json. */
export function report(bench: string, results: BenchResult[]): void {
  const width = Math.max(...results.map((r) => r.metric.length), 6);
  console.log(`\n${bench}`);
  for (const r of results) {
    const value = Number.isInteger(r.value) ? r.value.toLocaleString('en-US') : r.value.toLocaleString('en-US', { maximumFractionDigits: 3 });
    console.log(`  ${r.metric.padEnd(width)}  ${value.padStart(14)} ${r.unit}`);
  }
  const json = JSON.stringify({ bench, results });
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', `${bench}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, json + '\n');
  console.log(json);
}
