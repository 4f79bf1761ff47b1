// Measures heap bytes per open window: a short string key and a numeric summary aggregate
// ({count, sum, min, max}), as a one-minute rollup of many series holds them. Reports the figure;
// the bound asserted is loose on purpose (V8 layouts move between versions).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { inMemoryWindowStore } from './windowStore.ts';

interface NumericSummary {
  count: number;
  sum: number;
  min: number;
  max: number;
}

const utf8 = new TextDecoder();

// A flat 13-character string, as decoding a Kafka key yields (a template literal would leave a
// cons string plus its flattened copy, which no decoded key has).
function seriesKey(i: number): string {
  return utf8.decode(Buffer.from(`series-${i.toString(36).padStart(6, '0')}`));
}

// The same as running node with --expose-gc, from inside an already running worker.
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function measureHeapPerWindow(entries: number, logged: boolean): number {
  const gc = exposeGc();
  const base = Date.UTC(2024, 0, 1);
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const store = inMemoryWindowStore<string, NumericSummary>({ name: 'rollup-1m', logged });
  for (let i = 0; i < entries; i++) {
    const value = 0.5 + i;
    store.put(seriesKey(i), base, base + 60_000, { count: 1, sum: value, min: value, max: value });
  }
  store.drainChanges(); // a checkpoint happened: pending changes no longer count
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  expect(store.size).toBe(entries);
  // Keys are created inside the measured span: the store is what keeps them alive.
  return (after - before) / entries;
}

describe('window store heap per entry', () => {
  it('stays under the 300-byte budget per open window with a numeric summary', () => {
    const perEntry = measureHeapPerWindow(200_000, true);
    console.log(`window store: ${perEntry.toFixed(1)} bytes of heap per open window (key + summary aggregate)`);
    expect(perEntry).toBeGreaterThan(0);
    // Budget 300 (measured ≈260 on Node 22: key ≈40, summary object ≈100, store ≈120); the
    // assertion leaves room for other V8 versions and only catches a layout regression.
    expect(perEntry).toBeLessThan(400);
  });
});
