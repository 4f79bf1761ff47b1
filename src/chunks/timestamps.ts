// Timestamps of a chunk: integer milliseconds, scaled down by a common power-of-ten unit, then either
// `regular` (a constant non-negative step, no body at all) or delta-of-delta with signed buckets, an
// escape for any jump, so duplicate and decreasing timestamps round-trip too.
import { zigzag, unzigzag, type BitReader, type BitWriter } from './bits.ts';
import { ChunkError } from './errors.ts';
import { choosePacking, readPacked, writePacked, type Packing } from './integers.ts';

/** Largest |timestamp| in ms accepted: deltas stay below 2^51 and delta-of-deltas (zigzagged) below 2^53. */
export const MAX_ABS_TIMESTAMP = 2 ** 50 - 1;

/** Payload bits of the delta-of-delta buckets with prefixes 10, 110, 1110 (index = number of leading ones). */
const BUCKET_BITS = [0, 7, 12, 20];

export type TimestampEncoding = 'regular' | 'dod';

/** What the header records about the timestamps, and how the body encodes them. */
export interface TimestampPlan {
  encoding: TimestampEncoding;
  /** Power of ten dividing every timestamp (0..3: ms, 10 ms, 100 ms, s). */
  unitExp: number;
  minTime: number;
  maxTime: number;
  /** dod only: the delta-of-deltas as packed residuals (variant 1) instead of buckets (variant 0), when smaller. */
  packed?: { order: 1 | 2; residuals: Float64Array; firstDelta: number; base: number; packing: Packing };
  /** Reading a format-1 chunk: dod bodies have no variant bit and are always buckets. */
  bucketsOnly?: boolean;
}

/** Checks the timestamps and picks their encoding; throws RangeError naming the first bad one. */
export function planTimestamps(ts: ArrayLike<number>, dodVariant?: 'buckets' | 'packed'): TimestampPlan {
  const n = ts.length;
  if (n === 0) return { encoding: 'regular', unitExp: 0, minTime: 0, maxTime: 0 };
  let min = Infinity;
  let max = -Infinity;
  let unit = 1000; // largest power of ten (≤ 1000) dividing every timestamp seen so far
  let regular = n === 1 || ts[1] >= ts[0];
  const step = n > 1 ? ts[1] - ts[0] : 0;
  let prev = ts[0];
  for (let i = 0; i < n; i++) {
    const t = ts[i];
    if (!(Math.floor(t) === t && Math.abs(t) <= MAX_ABS_TIMESTAMP)) {
      throw new RangeError(`timestamp ${i} is ${t}: expected an integer number of ms with |t| < 2^50`);
    }
    if (t < min) min = t;
    if (t > max) max = t;
    // Multiply-and-floor instead of %, which is slow on doubles; exact for integers below 2^53.
    while (unit > 1 && t - Math.floor(t / unit) * unit !== 0) unit /= 10;
    if (regular && i > 0 && t - prev !== step) regular = false;
    prev = t;
  }
  const unitExp = unit === 1000 ? 3 : unit === 100 ? 2 : unit === 10 ? 1 : 0;
  if (regular) return { encoding: 'regular', unitExp, minTime: min, maxTime: max };
  return { encoding: 'dod', unitExp, minTime: min, maxTime: max, packed: planPacked(ts, unit, dodVariant) };
}

/**
 * Deltas (from the second timestamp on) or delta-of-deltas (from the third on), whichever sum smaller, minus
 * their minimum and packed — if that beats the buckets. Scrape jitter packs best as deltas.
 */
function planPacked(ts: ArrayLike<number>, unit: number, variant: 'buckets' | 'packed' | undefined): TimestampPlan['packed'] {
  const n = ts.length;
  if (variant === 'buckets' || n < 3) return undefined;
  const deltas = new Float64Array(n);
  const dods = new Float64Array(n);
  let bucketBits = 0;
  let minDelta = Infinity;
  let minDod = Infinity;
  let sumDelta = 0;
  let sumDod = 0;
  let prevDelta = 0;
  for (let i = 1; i < n; i++) {
    const delta = (ts[i] - ts[i - 1]) / unit;
    const dod = delta - prevDelta;
    prevDelta = delta;
    deltas[i] = delta;
    dods[i] = dod;
    if (delta < minDelta) minDelta = delta;
    sumDelta += delta;
    const z = zigzag(dod);
    bucketBits += z === 0 ? 1 : z < 0x80 ? 9 : z < 0x1000 ? 15 : z < 0x100000 ? 24 : 57;
    if (i >= 2) {
      if (dod < minDod) minDod = dod;
      sumDod += dod;
    }
  }
  const order = sumDelta - (n - 1) * minDelta <= sumDod - (n - 2) * minDod ? 1 : 2;
  const residuals = order === 1 ? deltas : dods;
  const base = order === 1 ? minDelta : minDod;
  for (let i = order; i < n; i++) residuals[i] -= base;
  const packing = choosePacking(residuals, order, n);
  if (variant !== 'packed' && packing.bits + 8 * 3 >= bucketBits) return undefined;
  return { order, residuals, firstDelta: deltas[1], base, packing };
}

/** Writes the body part of `dod` timestamps: the first one's offset from minTime, then one bucket per later one. */
export function writeTimestamps(w: BitWriter, ts: ArrayLike<number>, plan: TimestampPlan): void {
  if (plan.encoding === 'regular') return;
  const unit = 10 ** plan.unitExp;
  const n = ts.length;
  w.writeUvarint((ts[0] - plan.minTime) / unit);
  // Variant bit: 0 buckets, 1 packed residuals.
  const packed = plan.packed;
  w.writeBits(packed ? 1 : 0, 1);
  if (packed) {
    // Order bit: 0 deltas, 1 delta-of-deltas (after the first delta).
    w.writeBits(packed.order - 1, 1);
    if (packed.order === 2) w.writeSvarint(packed.firstDelta);
    w.writeSvarint(packed.base);
    writePacked(w, packed.residuals, packed.order, n, packed.packing);
    return;
  }
  let prev = ts[0] / unit;
  let prevDelta = 0;
  for (let i = 1; i < n; i++) {
    const t = ts[i] / unit;
    const delta = t - prev;
    const dod = delta - prevDelta;
    prev = t;
    prevDelta = delta;
    if (dod === 0) {
      w.writeBits(0, 1);
      continue;
    }
    const z = zigzag(dod);
    if (z < 0x80) w.writeBits(0b10_0000000 | z, 9);
    else if (z < 0x1000) w.writeBits(0b110_000000000000 | z, 15);
    else if (z < 0x100000) w.writeBits(0b1110_00000000000000000000 | z, 24);
    else {
      w.writeBits(0b1111, 4);
      w.writeBitsLong(z, 53);
    }
  }
}

/** Fills `out` with the timestamps (ms) of a chunk of out.length points. */
export function readTimestamps(r: BitReader, out: Float64Array, plan: TimestampPlan): void {
  const n = out.length;
  if (n === 0) return;
  const unit = 10 ** plan.unitExp;
  if (plan.encoding === 'regular') {
    const step = n > 1 ? (plan.maxTime - plan.minTime) / (n - 1) : 0;
    for (let i = 0; i < n; i++) out[i] = plan.minTime + i * step;
    return;
  }
  let t = plan.minTime / unit + r.readUvarint();
  out[0] = t * unit;
  let delta = 0;
  if (!plan.bucketsOnly && r.readBits(1) === 1) {
    if (n < 3) throw new ChunkError('format', `packed timestamps need at least 3 points, chunk has ${n}`);
    const order = r.readBits(1) + 1;
    if (order === 2) {
      delta = r.readSvarint();
      t += delta;
    }
    const base = r.readSvarint();
    readPacked(r, out, order, n);
    if (order === 1) {
      for (let i = 1; i < n; i++) {
        t += out[i] + base;
        out[i] = t * unit;
      }
      return;
    }
    out[1] = t * unit;
    for (let i = 2; i < n; i++) {
      delta += out[i] + base;
      t += delta;
      out[i] = t * unit;
    }
    return;
  }
  for (let i = 1; i < n; i++) {
    // Bucket prefix 0 / 10 / 110 / 1110 / 1111: the count of leading ones picks the width.
    const bucket = r.readUnary(4);
    if (bucket !== 0) delta += unzigzag(bucket === 4 ? r.readBitsLong(53) : r.readBits(BUCKET_BITS[bucket]));
    t += delta;
    out[i] = t * unit;
  }
}
