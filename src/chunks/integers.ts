// Packing of non-negative integer sequences (each below 2^53): fixed-width bit packing, or Rice codes
// (unary quotient + k low bits) with an escape to the full width for outliers. The cheaper one is picked
// per sequence from exact bit counts.
import { bitLength, type BitReader, type BitWriter } from './bits.ts';
import { ChunkError } from './errors.ts';

/** Unary quotients of this many ones or more switch to the escape: `RICE_ESCAPE` ones, then the value in `width` bits. */
const RICE_ESCAPE = 16;

/** How a sequence is packed: `fixed` writes every value in `width` bits; `rice` writes Rice codes with parameter `k`. */
export interface Packing {
  mode: 'fixed' | 'rice';
  /** Rice parameter (low bits written verbatim), 0..width. */
  k: number;
  /** Bits of the largest value. */
  width: number;
  /** Bits the packed sequence takes, header included. */
  bits: number;
}

/** Bits of the packing header in the stream: 1 mode bit, 6 bits width, and 6 bits k for rice. */
const headerBits = (mode: Packing['mode']): number => (mode === 'fixed' ? 7 : 13);

/** The cheapest packing of values[from, to), all non-negative integers below 2^53. */
export function choosePacking(values: Float64Array, from: number, to: number): Packing {
  let max = 0;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v > max) max = v;
    sum += v;
  }
  const n = to - from;
  const width = bitLength(max);
  let best: Packing = { mode: 'fixed', k: 0, width, bits: headerBits('fixed') + n * width };
  if (n === 0 || width === 0) return best;
  // Rice is near-optimal around k = log2(mean · ln 2): count the exact bits of k-1, k, k+1 in one pass.
  const mean = sum / n;
  const k0 = Math.min(width - 1, mean >= 2 ? Math.floor(Math.log2(mean * Math.LN2)) : 0);
  const ka = Math.max(0, k0 - 1);
  const kb = ka + 1;
  const kc = ka + 2;
  const sa = 2 ** -ka;
  let qa = 0; // sum of quotients for ka (those of kb and kc follow from them only approximately, so count each)
  let qb = 0;
  let qc = 0;
  let ea = 0; // escapes
  let eb = 0;
  let ec = 0;
  if (width <= 31) {
    for (let i = from; i < to; i++) {
      const q = values[i] >>> ka;
      if (q < RICE_ESCAPE) qa += q;
      else ea++;
      const q1 = q >>> 1;
      if (q1 < RICE_ESCAPE) qb += q1;
      else eb++;
      const q2 = q >>> 2;
      if (q2 < RICE_ESCAPE) qc += q2;
      else ec++;
    }
  } else {
    for (let i = from; i < to; i++) {
      const q = Math.floor(values[i] * sa);
      if (q < RICE_ESCAPE) qa += q;
      else ea++;
      const q1 = Math.floor(q / 2);
      if (q1 < RICE_ESCAPE) qb += q1;
      else eb++;
      const q2 = Math.floor(q / 4);
      if (q2 < RICE_ESCAPE) qc += q2;
      else ec++;
    }
  }
  const cost = (k: number, q: number, e: number): number => headerBits('rice') + q + (n - e) * (1 + k) + e * (RICE_ESCAPE + width);
  const candidates: [number, number][] = [
    [ka, cost(ka, qa, ea)],
    [kb, cost(kb, qb, eb)],
    [kc, cost(kc, qc, ec)],
  ];
  for (const [k, bits] of candidates) if (k <= width && bits < best.bits) best = { mode: 'rice', k, width, bits };
  return best;
}

/** Writes values[from, to) with `packing` (header included). */
export function writePacked(w: BitWriter, values: Float64Array, from: number, to: number, packing: Packing): void {
  const { width, k } = packing;
  if (packing.mode === 'fixed') {
    w.writeBits(0, 1);
    w.writeBits(width, 6);
    if (width <= 25) for (let i = from; i < to; i++) w.writeBits(values[i], width);
    else for (let i = from; i < to; i++) w.writeBitsLong(values[i], width);
    return;
  }
  w.writeBits(1, 1);
  w.writeBits(width, 6);
  w.writeBits(k, 6);
  const unit = 2 ** k;
  const escape = (1 << RICE_ESCAPE) - 1;
  if (width <= 24) {
    // Small values: integer shifts, and the unary code, its zero and the k low bits in one write (≤ 16 + 1 + 24 bits
    // would not fit, so the split write stays for large k).
    const lowMask = unit - 1;
    for (let i = from; i < to; i++) {
      const v = values[i];
      const q = v >>> k;
      if (q >= RICE_ESCAPE) {
        w.writeBits(escape, RICE_ESCAPE);
        w.writeBits(v, width);
      } else if (q + 1 + k <= 25) w.writeBits((((1 << (q + 1)) - 2) << k) | (v & lowMask), q + 1 + k);
      else {
        w.writeBits((1 << (q + 1)) - 2, q + 1);
        w.writeBits(v & lowMask, k);
      }
    }
    return;
  }
  for (let i = from; i < to; i++) {
    const v = values[i];
    const q = Math.floor(v / unit);
    if (q < RICE_ESCAPE) {
      if (q + 1 + k <= 25) w.writeBits(((((1 << (q + 1)) - 2) * unit) | (v - q * unit)) >>> 0, q + 1 + k);
      else {
        w.writeBits(((1 << (q + 1)) - 2) >>> 0, q + 1);
        w.writeBitsLong(v - q * unit, k);
      }
    } else {
      w.writeBits(escape, RICE_ESCAPE);
      w.writeBitsLong(v, width);
    }
  }
}

/** Reads `to - from` values written by writePacked into out[from, to). */
export function readPacked(r: BitReader, out: Float64Array, from: number, to: number): void {
  const rice = r.readBits(1) === 1;
  const width = r.readBits(6);
  if (width > 53) throw new ChunkError('format', `packed integer width ${width} exceeds 53 bits`);
  if (!rice) {
    if (width <= 25) for (let i = from; i < to; i++) out[i] = r.readBits(width);
    else for (let i = from; i < to; i++) out[i] = r.readBitsLong(width);
    return;
  }
  const k = r.readBits(6);
  if (k > width) throw new ChunkError('format', `rice parameter ${k} exceeds width ${width}`);
  const unit = 2 ** k;
  for (let i = from; i < to; i++) {
    const q = r.readUnary(RICE_ESCAPE);
    out[i] = q < RICE_ESCAPE ? q * unit + r.readBitsLong(k) : r.readBitsLong(width);
  }
}
