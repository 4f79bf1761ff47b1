// Quantiles of gauge values through DDSketch (@datadog/sketches-js) at 1 % relative accuracy. The library
// gives the logarithmic bucket mapping, the bucket stores and the quantile lookup; two things are done here:
// - merging: the library's `DDSketch.merge` (2.1.1) merges only the positive store and drops the other
//   side's negative buckets while adding their count (DataDog/sketches-js#22), so sketches are merged by
//   adding both stores' buckets into a fresh sketch (pinned by a test in gauge.test.ts);
// - the changelog encoding: `fromProto` sizes a dense array from whatever bucket keys the bytes name and
//   drops min/max, so the buckets are written as (key, count) runs with keys bounded by the mapping.
// Sketches are treated as immutable: `add` and `merge` build a new one (aggregates must not change once
// emitted). Counts are integers, so merging is exact, associative and commutative.
import { DDSketch } from '@datadog/sketches-js';
import type { ByteReader, ByteWriter } from './bytes.ts';

/** Relative accuracy of every sketch: a quantile is within 1 % of the value of the exact rank's point. */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

/** A DDSketch that is never mutated after it is built. */
export type QuantileSketch = DDSketch;

// Keys the 1 % logarithmic mapping gives to finite doubles lie within about ±35,460 (probed in the tests);
// a key beyond this bound in changelog bytes is garbage, and the bound caps the dense array it needs.
const MAX_SKETCH_KEY = 36_000;

/** A bucket of a sketch: `sign` 1 for the positive store, -1 for the negative one (key of |value|). */
export interface SketchBucket {
  readonly sign: 1 | -1;
  readonly key: number;
  readonly count: number;
}

export function emptySketch(): QuantileSketch {
  return new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
}

/** The sketch plus one value. Non-finite values are not sketched (they have no bucket). */
export function sketchAdd(sketch: QuantileSketch, value: number): QuantileSketch {
  if (!Number.isFinite(value)) return sketch;
  const next = sketchCopy(sketch);
  next.accept(value);
  return next;
}

/**
 * A new sketch with the same buckets: the stores' bins copied as arrays (DenseStore.copy), not re-added bucket by
 * bucket. Everything a sketch is read by — its buckets, counts and quantiles — is the same as a sketchMerge with an
 * empty sketch would give; only the dense arrays' layout may differ, which nothing reads.
 */
function sketchCopy(sketch: QuantileSketch): QuantileSketch {
  const out = emptySketch();
  if (sketch.store.count > 0) out.store.copy(sketch.store);
  if (sketch.negativeStore.count > 0) out.negativeStore.copy(sketch.negativeStore);
  out.zeroCount = sketch.zeroCount;
  out.count = out.store.count + out.negativeStore.count + out.zeroCount;
  return out;
}

/** A new sketch holding the buckets of both. */
export function sketchMerge(left: QuantileSketch, right: QuantileSketch): QuantileSketch {
  const out = emptySketch();
  for (const from of [left, right]) {
    for (const b of sketchBuckets(from)) addBucket(out, b);
    out.zeroCount += from.zeroCount;
  }
  out.count = out.store.count + out.negativeStore.count + out.zeroCount;
  return out;
}

/** The value at quantile q ∈ [0, 1] (of the point at rank ⌊q·(n−1)⌋, within 1 %); NaN when empty. */
export function sketchQuantile(sketch: QuantileSketch, q: number): number {
  return sketch.getValueAtQuantile(q);
}

/** Non-empty buckets, negative store first, each store by increasing key. */
export function sketchBuckets(sketch: QuantileSketch): SketchBucket[] {
  const out: SketchBucket[] = [];
  for (const [sign, store] of [[-1, sketch.negativeStore], [1, sketch.store]] as const) {
    store.bins.forEach((count, index) => {
      if (count > 0) out.push({ sign, key: index + store.offset, count });
    });
  }
  return out;
}

export function writeSketch(out: ByteWriter, sketch: QuantileSketch): void {
  out.uvarint(sketch.zeroCount);
  const buckets = sketchBuckets(sketch);
  out.uvarint(buckets.length);
  for (const b of buckets) {
    out.int(b.sign * (b.key + MAX_SKETCH_KEY + 1)); // sign and key in one zigzag varint, never 0
    out.uvarint(b.count);
  }
}

export function readSketch(input: ByteReader): QuantileSketch {
  const sketch = emptySketch();
  sketch.zeroCount = input.uvarint();
  const n = input.length(2 * (2 * MAX_SKETCH_KEY + 1), 2);
  for (let i = 0; i < n; i++) {
    const signedKey = input.intIn(-(2 * MAX_SKETCH_KEY + 1), 2 * MAX_SKETCH_KEY + 1, 'sketch key');
    if (signedKey === 0) throw input.error('sketch key 0');
    const count = input.uvarint();
    if (count === 0) throw input.error('empty sketch bucket');
    addBucket(sketch, { sign: signedKey > 0 ? 1 : -1, key: Math.abs(signedKey) - MAX_SKETCH_KEY - 1, count });
  }
  sketch.count = sketch.store.count + sketch.negativeStore.count + sketch.zeroCount;
  if (!Number.isSafeInteger(sketch.count)) throw input.error('sketch count above 2^53');
  return sketch;
}

function addBucket(sketch: QuantileSketch, b: SketchBucket): void {
  (b.sign > 0 ? sketch.store : sketch.negativeStore).add(b.key, b.count);
}
