// Helpers for the metric aggregators' property tests: brute-force exact sums, random partial splits and
// random merge groupings.
import fc from 'fast-check';

/**
 * Doubles that are m · 2^-k (|m| < 2^53, 0 ≤ k ≤ 60), from tiny to huge magnitudes, so naive float sums
 * round differently by order while `bruteForceSum` stays exact.
 */
export const testDouble: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.tuple(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.integer({ min: 0, max: 60 })).map(([m, k]) => m / 2 ** k),
);

/** The correctly rounded sum of finite doubles (not too close to the subnormal range), computed with bigints. */
export function bruteForceSum(values: readonly number[]): number {
  // Every finite double is an integer multiple of 2^-1074; sum those integers exactly.
  let total = 0n;
  const view = new DataView(new ArrayBuffer(8));
  for (const v of values) {
    view.setFloat64(0, v);
    const bits = view.getBigUint64(0);
    const exponent = Number((bits >> 52n) & 0x7ffn);
    const fraction = bits & 0xfffffffffffffn;
    const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
    const scaled = mantissa << BigInt(Math.max(exponent, 1) - 1);
    total += bits >> 63n ? -scaled : scaled;
  }
  // Keep 60 significant bits plus a sticky bit, so Number() rounds exactly as a direct rounding would.
  const magnitude = total < 0n ? -total : total;
  const shift = Math.max(0, magnitude.toString(2).length - 60);
  let kept = magnitude >> BigInt(shift);
  if (shift > 0 && (magnitude & ((1n << BigInt(shift)) - 1n)) !== 0n) kept |= 1n;
  const rounded = Number(kept) * 2 ** (shift - 1074);
  return total < 0n ? -rounded : rounded;
}

/** Splits items into consecutive (possibly empty) runs at the given cut seeds. */
export function splitRuns<T>(items: readonly T[], cutSeeds: readonly number[]): T[][] {
  const cuts = cutSeeds.map((c) => c % (items.length + 1)).sort((a, b) => a - b);
  const runs: T[][] = [];
  let from = 0;
  for (const cut of cuts) {
    runs.push(items.slice(from, cut));
    from = cut;
  }
  runs.push(items.slice(from));
  return runs;
}

/** Merges partials in their order but in a random grouping (a random binary tree over the sequence). */
export function mergeInRandomGrouping<A>(parts: readonly A[], merge: (left: A, right: A) => A, choices: readonly number[]): A {
  let next = 0;
  const pick = (n: number) => (choices.length === 0 ? 0 : choices[next++ % choices.length] % n);
  const tree = (from: number, to: number): A => {
    if (to - from === 1) return parts[from];
    const split = from + 1 + pick(to - from - 1);
    return merge(tree(from, split), tree(split, to));
  };
  return tree(0, parts.length);
}

/** A permutation of items chosen by the seeds. */
export function permute<T>(items: readonly T[], seeds: readonly number[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (seeds.length === 0 ? 0 : seeds[i % seeds.length]) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Cut seeds and grouping choices for a rollup property. */
export const rollupShape = fc.record({ cuts: fc.array(fc.nat(), { maxLength: 8 }), choices: fc.array(fc.nat(), { maxLength: 16 }) });
