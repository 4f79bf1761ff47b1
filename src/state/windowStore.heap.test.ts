// Measures memory per open window: a short string key and a numeric summary aggregate ({count, sum, min, max}),
// as a one-minute rollup of many series holds them, with the aggregate kept as an object per window (no serde
// layout) and packed into the store's Float64Array (a serde with `float64Layout`, as `summarySerde` has). Memory
// is the V8 heap plus ArrayBuffer contents, where the store's typed-array columns live. Reports the figures; the
// bounds asserted are loose on purpose (V8 layouts move between versions).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { jsonSerde } from './serde.ts';
import type { Serde } from './serde.ts';
import { inMemoryWindowStore } from './windowStore.ts';
import { summarySerde } from '../operators/aggregators.ts';

interface NumericSummary {
  count: number;
  sum: number;
  min: number;
  max: number;
}

// The layout summarySerde (src/operators) has; the bytes are not used here.
const packedSummarySerde: Serde<NumericSummary> = { ...jsonSerde<NumericSummary>(), float64Layout: summarySerde.float64Layout };

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

function memoryUsed(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function measurePerWindow(entries: number, aggregateSerde: Serde<NumericSummary> | undefined): number {
  const gc = exposeGc();
  const base = Date.UTC(2024, 0, 1);
  gc();
  gc();
  const before = memoryUsed();
  const store = inMemoryWindowStore<string, NumericSummary>({ name: 'rollup-1m', aggregateSerde });
  for (let i = 0; i < entries; i++) {
    const value = 0.5 + i;
    store.put(seriesKey(i), base, base + 60_000, { count: 1, sum: value, min: value, max: value });
  }
  store.drainChanges(); // a checkpoint happened: pending changes no longer count
  gc();
  gc();
  const after = memoryUsed();
  expect(store.size).toBe(entries);
  // Keys are created inside the measured span: the store is what keeps them alive.
  return (after - before) / entries;
}

describe('window store memory per entry', () => {
  it('stays under the 300-byte budget per open window with a numeric summary, as objects or packed', () => {
    const objects = measurePerWindow(200_000, undefined);
    const packed = measurePerWindow(200_000, packedSummarySerde);
    console.log(`window store: ${objects.toFixed(1)} bytes per open window with the summary as an object, ${packed.toFixed(1)} packed (key + aggregate)`);
    expect(objects).toBeGreaterThan(0);
    expect(packed).toBeGreaterThan(0);
    // Measured on Node 22 (200,000 windows, columns a third larger than needed at this size): ≈230 as objects
    // (key string ≈32, Map entry ≈40, columns ≈50, summary object ≈100 with its boxed doubles), ≈160 packed (the
    // summary as 32 bytes of a Float64Array). The bounds only catch a layout regression and leave room for other
    // V8 versions.
    expect(objects).toBeLessThan(400);
    expect(packed).toBeLessThan(260);
  });
});
