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

function riceBits(values: Float64Array, from: number, to: number, k: number, width: number): number {
  const scale = 2 ** -k;
  let bits = 0;
  for (let i = from; i < to; i++) {
    const q = Math.floor(values[i] * scale);
    bits += q < RICE_ESCAPE ? q + 1 + k : RICE_ESCAPE + width;
  }
  return bits;
}

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
  // Rice is near-optimal around k = log2(mean · ln 2); try the neighbours and keep the smallest exact count.
  const mean = sum / n;
  const k0 = mean >= 1 ? Math.max(0, Math.floor(Math.log2(mean * Math.LN2))) : 0;
  for (let k = Math.max(0, k0 - 1); k <= Math.min(width, k0 + 1); k++) {
    const bits = headerBits('rice') + riceBits(values, from, to, k, width);
    if (bits < best.bits) best = { mode: 'rice', k, width, bits };
  }
  return best;
}

/** Writes values[from, to) with `packing` (header included). */
export function writePacked(w: BitWriter, values: Float64Array, from: number, to: number, packing: Packing): void {
  const { width, k } = packing;
  if (packing.mode === 'fixed') {
    w.writeBits(0, 1);
    w.writeBits(width, 6);
    for (let i = from; i < to; i++) w.writeBitsLong(values[i], width);
    return;
  }
  w.writeBits(1, 1);
  w.writeBits(width, 6);
  w.writeBits(k, 6);
  const unit = 2 ** k;
  const escape = (1 << RICE_ESCAPE) - 1;
  for (let i = from; i < to; i++) {
    const v = values[i];
    const q = Math.floor(v / unit);
    if (q < RICE_ESCAPE) {
      w.writeBits(((1 << (q + 1)) - 2) >>> 0, q + 1);
      w.writeBitsLong(v - q * unit, k);
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
