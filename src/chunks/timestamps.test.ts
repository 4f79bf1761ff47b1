import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter } from './bits.ts';
import { MAX_ABS_TIMESTAMP, planTimestamps, readTimestamps, writeTimestamps } from './timestamps.ts';

const T0 = 1_750_000_000_000;

function roundTrip(ts: number[], variant?: 'buckets' | 'packed'): { encoding: string; packed: boolean; bits: number } {
  const plan = planTimestamps(ts, variant);
  const w = new BitWriter();
  writeTimestamps(w, ts, plan);
  const bits = w.bitLength;
  const out = new Float64Array(ts.length);
  readTimestamps(new BitReader(w.finish()), out, plan);
  expect([...out]).toEqual(ts);
  return { encoding: plan.encoding, packed: plan.packed !== undefined, bits };
}

const anyTimestamps = fc.oneof(
  fc.array(fc.integer({ min: -MAX_ABS_TIMESTAMP, max: MAX_ABS_TIMESTAMP }), { maxLength: 200 }),
  fc.array(fc.integer({ min: -50, max: 15_050 }), { maxLength: 200 }).map((steps) => {
    let t = T0;
    return steps.map((s) => (t += s));
  }),
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 200 }).map((xs) => xs.map((x) => T0 + x * 1000)),
);

describe('timestamps', () => {
  it('round-trip with delta-of-delta buckets and with packed delta-of-deltas', () => {
    fc.assert(
      fc.property(anyTimestamps, (ts) => {
        roundTrip(ts, 'buckets');
        roundTrip(ts, 'packed');
        roundTrip(ts);
      }),
      { numRuns: 300 },
    );
  });

  it('take no body bits when the step is constant, and the common power-of-ten unit', () => {
    const ts = Array.from({ length: 480 }, (_, i) => T0 + i * 15_000);
    expect(roundTrip(ts)).toEqual({ encoding: 'regular', packed: false, bits: 0 });
    expect(planTimestamps(ts).unitExp).toBe(3);
    expect(planTimestamps([T0 + 10, T0 + 130]).unitExp).toBe(1);
    expect(planTimestamps([T0 + 7]).unitExp).toBe(0);
  });

  it('pack scrape jitter tighter than the buckets', () => {
    let seed = 7;
    const jitter = (): number => (seed = (seed * 48271) % 2147483647) % 20;
    const ts = Array.from({ length: 480 }, (_, i) => T0 + i * 15_000 + jitter());
    const auto = roundTrip(ts);
    const buckets = roundTrip(ts, 'buckets');
    expect(auto.packed).toBe(true);
    expect(auto.bits).toBeLessThan(buckets.bits * 0.7);
  });
});
