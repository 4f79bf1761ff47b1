// Changelog encodings of every metric aggregate: round trips of random aggregates, and garbage or damaged
// bytes fail with a RangeError that names the aggregate — never a loop or an unbounded allocation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Serde } from '../../state/index.ts';
import { addExponentialHistogramPoint, emptyExponentialHistogram, exponentialHistogramSerde } from './exponentialHistogram.ts';
import { addGaugePoint, emptyGauge, gaugeResult, gaugeSerde } from './gauge.ts';
import type { NumberPointFields } from './gauge.ts';
import { addHistogramPoint, emptyHistogram, histogramResult, histogramSerde } from './histogram.ts';
import { sketchBuckets } from './quantileSketch.ts';
import {
  addCumulativePoint,
  addDeltaPoint,
  addUpDownPoint,
  cumulativeSumResult,
  cumulativeSumSerde,
  deltaSumSerde,
  emptyCumulativeSum,
  emptyDeltaSum,
  emptyUpDownSum,
  upDownSumSerde,
} from './sum.ts';
import { exactValue } from './exactSum.ts';
import { addSummaryPoint, emptySummaryPoints, summaryPointSerde } from './summary.ts';
import { testDouble } from './testing.ts';

const numberPoints = fc.array(
  fc.record({ timeMs: fc.integer({ min: -5, max: 1e12 }), timeNanos: fc.integer({ min: 0, max: 999_999 }), value: fc.oneof(testDouble, fc.constantFrom(Infinity, -Infinity, NaN, -0)), startTimeMs: fc.constantFrom(0, 7) }),
  { maxLength: 30 },
).map((ps) => ps.map((p): NumberPointFields => ({ ...p, startTimeNanos: 0, flags: 0 })));

/** A serde case: random aggregates, and how to compare them (their read value). */
interface Case<A> {
  name: string;
  serde: Serde<A>;
  aggregates: fc.Arbitrary<A>;
  view: (a: A) => unknown;
}

/** Erases a case's aggregate type so all cases fit one table. */
function caseOf<A>(c: Case<A>): Case<unknown> {
  return c as unknown as Case<unknown>;
}

const cases: Case<unknown>[] = [
  caseOf({
    name: 'gauge',
    serde: gaugeSerde,
    aggregates: numberPoints.map((ps) => ps.reduce(addGaugePoint, emptyGauge)),
    view: (a: typeof emptyGauge) => ({ ...gaugeResult(a), buckets: sketchBuckets(a.sketch) }),
  }),
  caseOf({
    name: 'cumulative sum',
    serde: cumulativeSumSerde,
    aggregates: numberPoints.map((ps) => ps.reduce(addCumulativePoint, emptyCumulativeSum)),
    view: (a: typeof emptyCumulativeSum) => ({ ...cumulativeSumResult(a), runs: a.runs.length }),
  }),
  caseOf({
    name: 'delta sum',
    serde: deltaSumSerde,
    aggregates: numberPoints.map((ps) => ps.reduce(addDeltaPoint, emptyDeltaSum)),
    view: (a: typeof emptyDeltaSum) => ({ ...a, sum: exactValue(a.sum) }),
  }),
  caseOf({ name: 'up-down sum', serde: upDownSumSerde, aggregates: numberPoints.map((ps) => ps.reduce(addUpDownPoint, emptyUpDownSum)), view: (a) => a }),
  caseOf({
    name: 'histogram',
    serde: histogramSerde,
    aggregates: fc
      .array(fc.record({ bounds: fc.constantFrom<number[]>([1, 2], [0, 10, 100], []), counts: fc.array(fc.nat(50), { minLength: 4, maxLength: 4 }), timeMs: fc.nat(100), sum: fc.option(testDouble, { nil: undefined }), min: fc.option(testDouble, { nil: undefined }) }), { maxLength: 8 })
      .map((ps) =>
        ps.reduce((acc, p) => {
          const bucketCounts = p.counts.slice(0, p.bounds.length + 1);
          const count = bucketCounts.reduce((t, c) => t + c, 0);
          return addHistogramPoint(acc, { explicitBounds: p.bounds, bucketCounts, count, sum: p.sum, min: p.min, max: p.min, timeMs: p.timeMs, timeNanos: 0, flags: 0 });
        }, emptyHistogram),
      ),
    view: (a: typeof emptyHistogram) => ({ ...histogramResult(a), groups: a.groups.length }),
  }),
  caseOf({
    name: 'exponential histogram',
    serde: exponentialHistogramSerde,
    aggregates: fc
      .array(fc.record({ scale: fc.integer({ min: -10, max: 20 }), offset: fc.integer({ min: -1000, max: 1000 }), counts: fc.array(fc.nat(9), { maxLength: 200 }), zeroCount: fc.nat(3) }), { maxLength: 6 })
      .map((ps) =>
        ps.reduce((acc, p) => {
          const count = p.zeroCount + p.counts.reduce((t, c) => t + c, 0) * 2;
          const run = { offset: p.offset, bucketCounts: p.counts };
          return addExponentialHistogramPoint(acc, { scale: p.scale, zeroCount: p.zeroCount, zeroThreshold: 0, positive: run, negative: run, count, sum: count, min: undefined, max: 3, flags: 0 });
        }, emptyExponentialHistogram),
      ),
    view: (a: typeof emptyExponentialHistogram) => ({ ...a, sum: a.sum && exactValue(a.sum) }),
  }),
  caseOf({
    name: 'summary',
    serde: summaryPointSerde,
    aggregates: fc
      .array(fc.record({ timeMs: fc.nat(1e12), count: fc.nat(), sum: testDouble, quantileValues: fc.array(fc.record({ quantile: fc.double({ min: 0, max: 1, noNaN: true }), value: testDouble }), { maxLength: 5 }) }), { maxLength: 5 })
      .map((ps) => ps.reduce((acc, p) => addSummaryPoint(acc, { ...p, timeNanos: 0, startTimeMs: 1, startTimeNanos: 2, flags: 0 }), emptySummaryPoints)),
    view: (a) => a,
  }),
];

describe.each(cases)('$name serde', (c) => {
  it('round-trips random aggregates (same value, same bytes)', () => {
    fc.assert(
      fc.property(c.aggregates, (aggregate) => {
        const bytes = c.serde.serialize(aggregate);
        const back = c.serde.deserialize(bytes);
        expect(c.view(back)).toEqual(c.view(aggregate));
        expect(c.serde.serialize(back)).toEqual(bytes);
      }),
    );
  });

  it('garbage bytes throw a RangeError naming the aggregate, or decode to a value that re-encodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => decodeOrRangeError(c, bytes)),
    );
  });

  it('damaged encodings (truncated, a byte changed, bytes appended) throw a RangeError or decode', () => {
    fc.assert(
      fc.property(c.aggregates, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('truncate', 'flip', 'append'), (aggregate, at, byte, damage) => {
        const bytes = c.serde.serialize(aggregate);
        const i = at % bytes.length;
        const damaged = damage === 'truncate' ? bytes.slice(0, i) : damage === 'append' ? Uint8Array.of(...bytes, byte) : bytes.map((b, k) => (k === i ? byte : b));
        decodeOrRangeError(c, damaged);
        if (damage !== 'flip') expect(() => c.serde.deserialize(damaged)).toThrow(RangeError);
      }),
    );
  });

  it('a huge declared length fails at once instead of allocating', () => {
    // Format 1, then varints of 2^53 − 1 wherever a count or length is read.
    const huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f];
    const bytes = Uint8Array.of(1, ...huge, ...huge, ...huge, ...huge);
    expect(() => c.serde.deserialize(bytes)).toThrow(RangeError);
  });
});

function decodeOrRangeError(c: Case<unknown>, bytes: Uint8Array): void {
  let decoded: unknown;
  try {
    decoded = c.serde.deserialize(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toContain(c.name === 'up-down sum' ? 'up-down sum' : c.name);
    return;
  }
  c.serde.serialize(decoded);
}
