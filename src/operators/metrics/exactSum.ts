// An exactly rounded, order-independent sum of doubles. Floating-point addition is not associative, so a
// plain running sum would make a 1h rollup merged from 1m partials differ in the last bits from the 1h sum
// of the raw points. Instead the sum is kept exactly, as non-overlapping doubles (Shewchuk's expansion),
// and rounded once when read: every grouping and order of the same values reads the same double.
import type { ByteReader, ByteWriter } from './bytes.ts';

/** The exact sum of finite values as non-overlapping doubles (smallest magnitude first), plus non-finite ones. */
export interface ExactSum {
  readonly partials: readonly number[];
  /** Sum of the non-finite inputs (and of overflows): 0, ±Infinity or NaN; it wins over the partials. */
  readonly special: number;
}

// An expansion of n non-overlapping doubles spans at most ~2098 bits, so it never has more than 40 partials.
const MAX_PARTIALS = 40;

export const emptyExactSum: ExactSum = { partials: [], special: 0 };

/** The sum plus one value. */
export function exactAdd(sum: ExactSum, value: number): ExactSum {
  if (!Number.isFinite(value)) return { partials: sum.partials, special: sum.special + value };
  const partials: number[] = [];
  let x = value;
  for (const p of sum.partials) {
    let y = p;
    if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
    const hi = x + y;
    if (!Number.isFinite(hi)) return { partials: [], special: sum.special + hi }; // overflow past ±1.8e308
    const lo = y - (hi - x); // exact error of hi (|x| ≥ |y|)
    if (lo !== 0) partials.push(lo);
    x = hi;
  }
  if (x !== 0) partials.push(x);
  return { partials, special: sum.special };
}

/** The sum of two exact sums (exact, so associative and commutative). */
export function exactMerge(left: ExactSum, right: ExactSum): ExactSum {
  let out: ExactSum = { partials: left.partials, special: left.special + right.special };
  for (const p of right.partials) out = exactAdd(out, p);
  return out;
}

/** The exact sum rounded to the nearest double (ties to even). */
export function exactValue(sum: ExactSum): number {
  if (sum.special !== 0 || Number.isNaN(sum.special)) return sum.special;
  const p = sum.partials;
  let i = p.length;
  if (i === 0) return 0;
  let hi = p[--i];
  let lo = 0;
  // Add from the largest down until the addition is inexact; the rest cannot change the rounding,
  // except to break a tie exactly halfway between two doubles, which the check below does.
  while (i > 0) {
    const x = hi;
    const y = p[--i];
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  if (i > 0 && ((lo < 0 && p[i - 1] < 0) || (lo > 0 && p[i - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

export function writeExactSum(out: ByteWriter, sum: ExactSum): void {
  out.float64(sum.special);
  out.uvarint(sum.partials.length);
  for (const p of sum.partials) out.float64(p);
}

export function readExactSum(input: ByteReader): ExactSum {
  const special = input.float64();
  const n = input.length(MAX_PARTIALS, 8);
  const partials: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = input.float64();
    if (!Number.isFinite(p) || p === 0) throw input.error('exact sum partial must be finite and non-zero');
    partials.push(p);
  }
  return { partials, special };
}
