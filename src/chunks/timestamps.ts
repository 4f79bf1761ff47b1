// Timestamps of a chunk: integer milliseconds, scaled down by a common power-of-ten unit, then either
// `regular` (a constant non-negative step, no body at all) or delta-of-delta with signed buckets, an
// escape for any jump, so duplicate and decreasing timestamps round-trip too.
import { zigzag, unzigzag, type BitReader, type BitWriter } from './bits.ts';

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
}

/** Checks the timestamps and picks their encoding; throws RangeError naming the first bad one. */
export function planTimestamps(ts: ArrayLike<number>): TimestampPlan {
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
  return { encoding: regular ? 'regular' : 'dod', unitExp, minTime: min, maxTime: max };
}

/** Writes the body part of `dod` timestamps: the first one's offset from minTime, then one bucket per later one. */
export function writeTimestamps(w: BitWriter, ts: ArrayLike<number>, plan: TimestampPlan): void {
  if (plan.encoding === 'regular') return;
  const unit = 10 ** plan.unitExp;
  const n = ts.length;
  w.writeUvarint((ts[0] - plan.minTime) / unit);
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
  for (let i = 1; i < n; i++) {
    // Bucket prefix 0 / 10 / 110 / 1110 / 1111: the count of leading ones picks the width.
    const bucket = r.readUnary(4);
    if (bucket !== 0) delta += unzigzag(bucket === 4 ? r.readBitsLong(53) : r.readBits(BUCKET_BITS[bucket]));
    t += delta;
    out[i] = t * unit;
  }
}
