import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { count, last, lastValueSerde, max, min, sum, summary, summarySerde } from './aggregators.ts';
import type { Aggregator } from './aggregators.ts';
import type { Float64Layout } from '../state/index.ts';

const id = (x: number) => x;

function fold<A>(aggregator: Aggregator<number, A>, values: number[]): A {
  return values.reduce((acc, value, index) => aggregator.add(acc, value, index), aggregator.init());
}

describe('aggregators', () => {
  it('count, sum, min, max and summary fold values', () => {
    const values = [3, -1, 7, 2];
    expect(fold(count(), values)).toBe(4);
    expect(fold(sum(id), values)).toBe(11);
    expect(fold(min(id), values)).toBe(-1);
    expect(fold(max(id), values)).toBe(7);
    expect(fold(summary(id), values)).toEqual({ count: 4, sum: 11, min: -1, max: 7 });
    expect(fold(summary(id), [])).toEqual({ count: 0, sum: 0, min: Infinity, max: -Infinity });
  });

  it('last keeps the value with the latest event time, not the latest arrival', () => {
    const gauge = last(id);
    let acc = gauge.add(gauge.init(), 1, 100);
    acc = gauge.add(acc, 2, 50);
    expect(acc).toEqual({ timestamp: 100, value: 1 });
    acc = gauge.add(acc, 3, 100);
    expect(acc).toEqual({ timestamp: 100, value: 3 });
  });

  it('merging the folds of two halves equals folding the whole (property)', () => {
    const aggregators: Array<Aggregator<number, unknown>> = [count(), sum(id), min(id), max(id), summary(id)];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 })), fc.nat(), (values, cutSeed) => {
        const cut = cutSeed % (values.length + 1);
        for (const aggregator of aggregators) {
          const merged = aggregator.merge?.(fold(aggregator, values.slice(0, cut)), fold(aggregator, values.slice(cut)));
          expect(merged).toEqual(fold(aggregator, values));
        }
      }),
    );
  });

  it('does not mutate the aggregate it is given', () => {
    const agg = summary(id);
    const before = agg.init();
    const after = agg.add(before, 5, 0);
    expect(before).toEqual({ count: 0, sum: 0, min: Infinity, max: -Infinity });
    expect(after).not.toBe(before);
  });

  it('encodes numeric aggregates compactly and round-trips them', () => {
    const value = { count: 3, sum: 1.5, min: -2, max: 4 };
    expect(summarySerde.serialize(value).length).toBe(25);
    expect(summarySerde.deserialize(summarySerde.serialize(value))).toEqual(value);
    expect(summarySerde.deserialize(summarySerde.serialize({ count: 0, sum: 0, min: Infinity, max: -Infinity }))).toEqual({
      count: 0,
      sum: 0,
      min: Infinity,
      max: -Infinity,
    });
    expect(lastValueSerde.deserialize(lastValueSerde.serialize({ timestamp: 5, value: 0.25 }))).toEqual({ timestamp: 5, value: 0.25 });
    expect(count().serde?.serialize(5).length).toBe(1);
  });

  it('keeps every aggregate exactly through its Float64 layout (what a window store packs)', () => {
    const roundTrip = <A>(layout: Float64Layout<A> | undefined, value: A, at: number): A => {
      const lanes = new Float64Array(at + layout!.lanes + 1);
      layout!.write(value, lanes, at);
      return layout!.read(lanes, at);
    };
    const at = fc.nat(5);
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.double(), fc.double(), fc.double(), at, (n, sum, min, max, i) => {
        expect(roundTrip(summarySerde.float64Layout, { count: n, sum, min, max }, i)).toEqual({ count: n, sum, min, max });
      }),
    );
    fc.assert(
      fc.property(fc.double(), fc.double(), at, (timestamp, value, i) => {
        expect(roundTrip(lastValueSerde.float64Layout, { timestamp, value }, i)).toEqual({ timestamp, value });
      }),
    );
    fc.assert(
      fc.property(fc.double(), fc.maxSafeNat(), at, (x, n, i) => {
        for (const aggregator of [sum(id), min(id), max(id)]) expect(roundTrip(aggregator.serde?.float64Layout, x, i)).toBe(x);
        expect(roundTrip(count().serde?.float64Layout, n, i)).toBe(n);
      }),
    );
  });
});
