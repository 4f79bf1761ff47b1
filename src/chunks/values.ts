// Value encodings of a chunk. Each one is bit-exact for the values it accepts; the chunk encoder asks each
// for its exact size in bits and keeps the smallest:
//   constant  every value has the same 64 bits: one number, stored once
//   decimal   every value is m / 10^k for integers m (|m| < 2^49): k, then the m's as raw values, deltas or
//             delta-of-deltas (whichever packs smallest), minus their minimum, fixed-width or Rice packed
//   split     sign+exponent minus its minimum in a few bits, mantissa without its common trailing zeros
//   xor       Gorilla: XOR with the previous value, leading/trailing-zero windows (any float64)
import { bitLength, zigzag, unzigzag, type BitReader, type BitWriter } from './bits.ts';
import { ChunkError } from './errors.ts';
import { choosePacking, readPacked, writePacked } from './integers.ts';

export type ValueEncoding = 'constant' | 'xor' | 'decimal' | 'split';

/** Header codes of the value encodings (2 bits). */
export const VALUE_ENCODING_CODES: Record<ValueEncoding, number> = { constant: 0, xor: 1, decimal: 2, split: 3 };
export const VALUE_ENCODINGS: readonly ValueEncoding[] = ['constant', 'xor', 'decimal', 'split'];

/** Largest power of ten tried for the decimal encoding. */
const MAX_DECIMAL_EXP = 15;
/** |m| bound for decimals: deltas stay below 2^50, delta-of-deltas below 2^51, zigzag and offsets below 2^53. */
const MAX_ABS_MANTISSA = 2 ** 49;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('src/chunks assumes a little-endian platform');

/** Low and high 32-bit halves of each float64, as one Uint32Array view (little-endian: lo at 2i, hi at 2i+1). */
export function wordsOf(values: Float64Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
}

/** A chosen value encoding with what the writer needs. */
export interface ValuePlan {
  encoding: ValueEncoding;
  bits: number;
  write(w: BitWriter): void;
}

// ---- constant -------------------------------------------------------------------------------------------

function isConstant(words: Uint32Array): boolean {
  const lo = words[0];
  const hi = words[1];
  for (let i = 2; i < words.length; i += 2) if (words[i] !== lo || words[i + 1] !== hi) return false;
  return true;
}

/** One number: a uvarint `tag`; tag 0 → 64 raw bits follow; else k = (tag & 15) - 1 and zigzag(m) = tag >> 4, value m / 10^k. */
function writeNumber(w: BitWriter, v: number, lo: number, hi: number): void {
  const k = decimalExponent(v, 0);
  if (k >= 0 && k < 15) {
    const m = Math.round(v * 10 ** k);
    const z = zigzag(m);
    if (z < 2 ** 48) {
      w.writeUvarint(z * 16 + k + 1);
      return;
    }
  }
  w.writeUvarint(0);
  w.writeWord(hi, 32);
  w.writeWord(lo, 32);
}

function readNumber(r: BitReader, words: Uint32Array, at: number, out: Float64Array): void {
  const tag = r.readUvarint();
  if (tag === 0) {
    words[2 * at + 1] = r.readWord(32);
    words[2 * at] = r.readWord(32);
    return;
  }
  const k = (tag % 16) - 1;
  out[at] = unzigzag(Math.floor(tag / 16)) / 10 ** k;
}

// ---- decimal --------------------------------------------------------------------------------------------

/** Powers of ten used as decimal scales (exact in float64 up to 10^22). */
const POW10 = Array.from({ length: MAX_DECIMAL_EXP + 1 }, (_, k) => 10 ** k);

/** Does v equal m / 10^k exactly (same bits) for m = round(v·10^k), with |m| < 2^49? -0 never does (m would lose the sign). */
function fitsDecimal(v: number, k: number): boolean {
  const p = POW10[k];
  const m = Math.round(v * p);
  return Math.abs(m) < MAX_ABS_MANTISSA && m / p === v && (v !== 0 || 1 / v > 0);
}

/** Smallest k ≥ from with v = m / 10^k bit-exactly, or -1. */
function decimalExponent(v: number, from: number): number {
  if (!Number.isFinite(v)) return -1;
  for (let k = from; k <= MAX_DECIMAL_EXP; k++) if (fitsDecimal(v, k)) return k;
  return -1;
}

const ORDER_BITS = 2;

/** The integers m with values[i] = m[i] / 10^k for the smallest common k, or undefined. */
function decimalMantissas(values: Float64Array): { k: number; m: Float64Array } | undefined {
  const n = values.length;
  const m = new Float64Array(n);
  let k = 0;
  let p = 1;
  let raisedAt = 0; // values before this index were checked at a smaller k
  for (let i = 0; i < n; i++) {
    const v = values[i];
    let x = Math.round(v * p);
    if (!(Math.abs(x) < MAX_ABS_MANTISSA && x / p === v && (v !== 0 || 1 / v > 0))) {
      k = decimalExponent(v, k + 1);
      if (k < 0) return undefined;
      p = POW10[k];
      x = Math.round(v * p);
      raisedAt = i;
    }
    m[i] = x;
  }
  for (let i = 0; i < raisedAt; i++) {
    const v = values[i];
    if (!fitsDecimal(v, k)) return undefined;
    m[i] = Math.round(v * p);
  }
  return { k, m };
}

function planDecimal(values: Float64Array): ValuePlan | undefined {
  const found = decimalMantissas(values);
  if (!found) return undefined;
  const { k, m } = found;
  const n = values.length;
  // Residuals of order 0 (m itself), 1 (deltas) and 2 (delta-of-deltas), each minus its minimum: pick the order
  // whose residuals sum smallest (what Rice and bit-packing costs grow with), in one pass over m.
  let min0 = Infinity, min1 = Infinity, min2 = Infinity;
  let sum0 = 0, sum1 = 0, sum2 = 0;
  let prevDelta = 0;
  for (let i = 1; i < n; i++) {
    const x = m[i];
    const d = x - m[i - 1];
    if (x < min0) min0 = x;
    if (d < min1) min1 = d;
    sum0 += x;
    sum1 += d;
    if (i >= 2) {
      const dd = d - prevDelta;
      if (dd < min2) min2 = dd;
      sum2 += dd;
    }
    prevDelta = d;
  }
  const cost0 = sum0 - (n - 1) * min0;
  const cost1 = sum1 - (n - 1) * min1;
  const cost2 = n > 2 ? sum2 - (n - 2) * min2 : Infinity;
  const order = n < 2 ? 0 : cost1 <= cost0 && cost1 <= cost2 ? 1 : cost2 < cost0 ? 2 : 0;
  const base = n < 2 ? 0 : order === 0 ? min0 : order === 1 ? min1 : min2;
  const from = Math.max(1, order);
  const seq = new Float64Array(n);
  if (order === 0) for (let i = 1; i < n; i++) seq[i] = m[i] - base;
  else if (order === 1) for (let i = 1; i < n; i++) seq[i] = m[i] - m[i - 1] - base;
  else for (let i = 2; i < n; i++) seq[i] = m[i] - 2 * m[i - 1] + m[i - 2] - base;
  const packing = n > 1 ? choosePacking(seq, from, n) : undefined;
  const bits =
    varintBits(k) + ORDER_BITS + varintBits(zigzag(m[0])) + (packing ? packing.bits + varintBits(zigzag(base)) + (order === 2 ? varintBits(zigzag(m[1] - m[0])) : 0) : 0);
  return {
    encoding: 'decimal',
    bits,
    write(w) {
      w.writeUvarint(k);
      w.writeBits(order, ORDER_BITS);
      w.writeSvarint(m[0]);
      if (!packing) return;
      if (order === 2) w.writeSvarint(m[1] - m[0]);
      w.writeSvarint(base);
      writePacked(w, seq, from, n, packing);
    },
  };
}

function readDecimal(r: BitReader, out: Float64Array): void {
  const n = out.length;
  const k = r.readUvarint();
  if (k > MAX_DECIMAL_EXP) throw new ChunkError('format', `decimal exponent ${k} exceeds ${MAX_DECIMAL_EXP}`);
  const order = r.readBits(ORDER_BITS);
  if (order > 2) throw new ChunkError('format', `decimal order ${order} is not 0, 1 or 2`);
  const p = POW10[k];
  const m0 = r.readSvarint();
  out[0] = m0 / p;
  if (n === 1) return;
  let d1 = 0;
  if (order === 2) d1 = r.readSvarint();
  const base = r.readSvarint();
  const from = Math.max(1, order);
  readPacked(r, out, from, n);
  // out holds residuals from index `from`: rebuild m in place, then scale.
  if (order === 0) {
    for (let i = 1; i < n; i++) out[i] = (out[i] + base) / p;
    return;
  }
  let prev = m0;
  if (order === 1) {
    for (let i = 1; i < n; i++) {
      prev += out[i] + base;
      out[i] = prev / p;
    }
    return;
  }
  let delta = d1;
  prev = m0 + d1;
  out[1] = prev / p;
  for (let i = 2; i < n; i++) {
    delta += out[i] + base;
    prev += delta;
    out[i] = prev / p;
  }
}

// ---- split ----------------------------------------------------------------------------------------------

/** The split plan, or undefined as soon as its size is sure to exceed `limit` bits. */
function planSplit(words: Uint32Array, limit = Infinity): ValuePlan | undefined {
  const n = words.length >> 1;
  let seMin = 0xfff;
  let seMax = 0;
  let tz = 52;
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1];
    const lo = words[2 * i];
    const se = hi >>> 20;
    if (se < seMin) seMin = se;
    if (se > seMax) seMax = se;
    if (tz > 0) {
      const t = lo !== 0 ? 31 - Math.clz32(lo & -lo) : (hi & 0xfffff) !== 0 ? 32 + 31 - Math.clz32(hi & 0xfffff & -(hi & 0xfffff)) : 52;
      if (t < tz) tz = t;
    }
    // tz only shrinks and the exponent range only widens: this is a lower bound of the final size.
    if ((i & 15) === 15 && n * (52 - tz) > limit) return undefined;
  }
  const seWidth = bitLength(seMax - seMin);
  return {
    encoding: 'split',
    bits: varintBits(seMin) + 4 + 6 + n * (seWidth + 52 - tz),
    write(w) {
      w.writeUvarint(seMin);
      w.writeBits(seWidth, 4);
      w.writeBits(tz, 6);
      const mBits = 52 - tz;
      if (mBits > 32) {
        // Sign+exponent and the mantissa's high part in one field, then the low 32 bits.
        const hiBits = mBits - 32;
        const headBits = seWidth + hiBits;
        const hiScale = 2 ** hiBits;
        for (let i = 0; i < n; i++) {
          const hi = words[2 * i + 1];
          const lo = words[2 * i];
          const m = hi & 0xfffff;
          const h = tz === 0 ? m : m >>> tz;
          const l = tz === 0 ? lo : ((lo >>> tz) | (m << (32 - tz))) >>> 0;
          w.writeWord((((hi >>> 20) - seMin) * hiScale + h) >>> 0, headBits);
          w.writeWord(l, 32);
        }
        return;
      }
      for (let i = 0; i < n; i++) {
        const hi = words[2 * i + 1];
        w.writeBits((hi >>> 20) - seMin, seWidth);
        w.writeBits64(hi & 0xfffff, words[2 * i], tz, mBits);
      }
    },
  };
}

function readSplit(r: BitReader, words: Uint32Array): void {
  const n = words.length >> 1;
  const seMin = r.readUvarint();
  const seWidth = r.readBits(4);
  const tz = r.readBits(6);
  if (seMin > 0xfff || seWidth > 12 || tz > 52) throw new ChunkError('format', `split encoding parameters out of range (${seMin}, ${seWidth}, ${tz})`);
  const mBits = 52 - tz;
  if (mBits > 32) {
    // The writer's combined field is sign+exponent then the mantissa's high part: read as two fields.
    const hiBits = mBits - 32;
    for (let i = 0; i < n; i++) {
      const se = seMin + r.readBits(seWidth);
      const h = r.readBits(hiBits);
      const l = r.readWord(32);
      if (tz === 0) {
        words[2 * i + 1] = ((se << 20) | h) >>> 0;
        words[2 * i] = l;
      } else {
        words[2 * i + 1] = ((se << 20) | (h << tz) | (l >>> (32 - tz))) >>> 0;
        words[2 * i] = (l << tz) >>> 0;
      }
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const se = seMin + r.readBits(seWidth);
    const l = r.readWord(mBits);
    let hi: number;
    let lo: number;
    if (tz >= 32) {
      hi = tz === 52 ? 0 : l << (tz - 32);
      lo = 0;
    } else {
      hi = l >>> (32 - tz);
      lo = (l << tz) >>> 0;
    }
    words[2 * i + 1] = ((se << 20) | (hi & 0xfffff)) >>> 0;
    words[2 * i] = lo;
  }
}

// ---- xor (Gorilla) --------------------------------------------------------------------------------------

function leading64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

function trailing64(hi: number, lo: number): number {
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  return 32 + 31 - Math.clz32(hi & -hi);
}

/** Exact bits of the XOR encoding, or Infinity as soon as they exceed `limit`. */
function xorBits(words: Uint32Array, limit: number): number {
  const n = words.length >> 1;
  let bits = 64;
  let prevLead = -1;
  let prevTrail = 0;
  for (let i = 1; i < n; i++) {
    const xh = (words[2 * i + 1] ^ words[2 * i - 1]) >>> 0;
    const xl = (words[2 * i] ^ words[2 * i - 2]) >>> 0;
    if (xh === 0 && xl === 0) {
      bits += 1;
      continue;
    }
    const lead = leading64(xh, xl);
    const trail = trailing64(xh, xl);
    if (prevLead >= 0 && lead >= prevLead && trail >= prevTrail) bits += 2 + 64 - prevLead - prevTrail;
    else {
      bits += 2 + 12 + 64 - lead - trail;
      prevLead = lead;
      prevTrail = trail;
    }
    if (bits > limit) return Infinity;
  }
  return bits;
}

/** The XOR plan, or undefined when it would exceed `limit` bits. */
function planXor(words: Uint32Array, limit = Infinity): ValuePlan | undefined {
  const n = words.length >> 1;
  const bits = xorBits(words, limit);
  if (bits === Infinity) return undefined;
  return {
    encoding: 'xor',
    bits,
    write(w) {
      w.writeWord(words[1], 32);
      w.writeWord(words[0], 32);
      let prevLead = -1;
      let prevTrail = 0;
      for (let i = 1; i < n; i++) {
        const xh = (words[2 * i + 1] ^ words[2 * i - 1]) >>> 0;
        const xl = (words[2 * i] ^ words[2 * i - 2]) >>> 0;
        if (xh === 0 && xl === 0) {
          w.writeBits(0, 1);
          continue;
        }
        const lead = leading64(xh, xl);
        const trail = trailing64(xh, xl);
        if (prevLead >= 0 && lead >= prevLead && trail >= prevTrail) {
          w.writeBits(0b10, 2);
          w.writeBits64(xh, xl, prevTrail, 64 - prevLead - prevTrail);
        } else {
          // New window: 6 bits leading zeros, 6 bits (significant bits - 1), then the significant bits.
          const sig = 64 - lead - trail;
          w.writeBits((0b11 << 12) | (lead << 6) | (sig - 1), 14);
          w.writeBits64(xh, xl, trail, sig);
          prevLead = lead;
          prevTrail = trail;
        }
      }
    },
  };
}

function readXor(r: BitReader, words: Uint32Array): void {
  const n = words.length >> 1;
  let hi = r.readWord(32);
  let lo = r.readWord(32);
  words[1] = hi;
  words[0] = lo;
  let lead = 0;
  let trail = 0;
  let haveWindow = false;
  for (let i = 1; i < n; i++) {
    if (r.readBits(1) !== 0) {
      if (r.readBits(1) !== 0) {
        const f = r.readBits(12);
        lead = f >>> 6;
        const sig = (f & 63) + 1;
        if (lead + sig > 64) throw new ChunkError('format', `xor window of ${lead} leading and ${sig} significant bits exceeds 64`);
        trail = 64 - lead - sig;
        haveWindow = true;
      } else if (!haveWindow) throw new ChunkError('format', 'xor value reuses a window before any was set');
      const sig = 64 - lead - trail;
      let xh: number;
      let xl: number;
      if (sig > 32) {
        const h = r.readWord(sig - 32);
        const l = r.readWord(32);
        // (h:l) << trail
        if (trail === 0) {
          xh = h;
          xl = l;
        } else if (trail < 32) {
          xh = (h << trail) | (l >>> (32 - trail));
          xl = l << trail;
        } else {
          xh = l << (trail - 32);
          xl = 0;
        }
      } else {
        const l = r.readWord(sig);
        if (trail === 0) {
          xh = 0;
          xl = l;
        } else if (trail < 32) {
          xh = l >>> (32 - trail);
          xl = l << trail;
        } else {
          xh = trail >= 64 ? 0 : l << (trail - 32);
          xl = 0;
        }
      }
      hi = (hi ^ xh) >>> 0;
      lo = (lo ^ xl) >>> 0;
    }
    words[2 * i + 1] = hi;
    words[2 * i] = lo;
  }
}

// ---- choice ---------------------------------------------------------------------------------------------

function varintBits(v: number): number {
  return 8 * Math.max(1, Math.ceil(bitLength(v) / 7));
}

/** The smallest encoding of `values` (its exact size in bits and a writer). */
export function planValues(values: Float64Array, only?: ValueEncoding): ValuePlan {
  const words = wordsOf(values);
  if (values.length === 0) return { encoding: 'constant', bits: 0, write() {} };
  if ((only === undefined || only === 'constant') && isConstant(words)) {
    return { encoding: 'constant', bits: 0, write: (w) => writeNumber(w, values[0], words[0], words[1]) };
  }
  if (only === 'constant') throw new RangeError('values are not constant');
  // Cheapest first; each later candidate stops measuring once it cannot beat the best so far.
  let best: ValuePlan | undefined;
  if (only === undefined || only === 'decimal') {
    best = planDecimal(values);
    if (!best && only === 'decimal') throw new RangeError('values are not decimals m / 10^k with |m| < 2^49');
  }
  if (only === undefined || only === 'split') best = planSplit(words, best?.bits) ?? best;
  if (only === undefined || only === 'xor') best = planXor(words, best?.bits) ?? best;
  return best as ValuePlan;
}

/** Fills `out` with the values written by the plan of `encoding`. */
export function readValues(r: BitReader, encoding: ValueEncoding, out: Float64Array): void {
  const n = out.length;
  if (n === 0) return;
  const words = wordsOf(out);
  switch (encoding) {
    case 'constant': {
      readNumber(r, words, 0, out);
      const lo = words[0];
      const hi = words[1];
      for (let i = 1; i < n; i++) {
        words[2 * i] = lo;
        words[2 * i + 1] = hi;
      }
      return;
    }
    case 'decimal':
      return readDecimal(r, out);
    case 'split':
      return readSplit(r, words);
    case 'xor':
      return readXor(r, words);
  }
}


