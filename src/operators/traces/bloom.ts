// A Bloom filter of trace ids, per block and partition of the trace index: the query service asks it before looking
// for a trace in a block. Sized for the block's trace count at 1 % false positives; never a false negative.
// Indexes by double hashing (Kirsch–Mitzenmacher) of two FNV-1a hashes of the id text: trace ids are random, but ids
// from 64-bit tracers are half zeros, so the filter hashes the whole id rather than trusting its bits.

const FNV_PRIME = 0x01000193;

function fnv1a(text: string, seed: number): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  // Final avalanche (murmur3's fmix32): FNV alone leaves the low bits of similar ids close.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** Largest filter we build (bits): 2^31 bits = 256 MiB would not fit a Kafka record anyway; blocks stay far below. */
const MAX_BITS = 8 * 64 * 1024 * 1024;

export class TraceIdBloom {
  readonly bits: Uint8Array;
  readonly hashes: number;
  private readonly size: number;

  private constructor(bits: Uint8Array, hashes: number) {
    if (bits.length === 0) throw new RangeError('a Bloom filter needs at least one byte');
    if (!Number.isInteger(hashes) || hashes < 1 || hashes > 32) throw new RangeError(`a Bloom filter needs 1–32 hashes, not ${hashes}`);
    this.bits = bits;
    this.hashes = hashes;
    this.size = bits.length * 8;
  }

  /** An empty filter for `count` ids at the false-positive rate `fp` (m = −n·ln p / ln²2 bits, k = m/n·ln 2 hashes). */
  static forCount(count: number, fp = 0.01): TraceIdBloom {
    if (!(fp > 0 && fp < 1)) throw new RangeError(`false-positive rate must be in (0, 1), not ${fp}`);
    const n = Math.max(1, count);
    const bits = Math.min(MAX_BITS, Math.max(64, Math.ceil((-n * Math.log(fp)) / (Math.LN2 * Math.LN2))));
    const hashes = Math.min(32, Math.max(1, Math.round((bits / n) * Math.LN2)));
    return new TraceIdBloom(new Uint8Array(Math.ceil(bits / 8)), hashes);
  }

  /** A filter as stored in a block record. */
  static fromRecord(bits: Uint8Array, hashes: number): TraceIdBloom {
    return new TraceIdBloom(bits, hashes);
  }

  add(traceId: string): void {
    const h1 = fnv1a(traceId, 0x811c9dc5);
    const h2 = fnv1a(traceId, 0x050c5d1f) | 1;
    for (let i = 0; i < this.hashes; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const at = bit % this.size;
      this.bits[at >>> 3] |= 1 << (at & 7);
    }
  }

  /** False when the id was certainly not added; true when it probably was. */
  mightContain(traceId: string): boolean {
    const h1 = fnv1a(traceId, 0x811c9dc5);
    const h2 = fnv1a(traceId, 0x050c5d1f) | 1;
    for (let i = 0; i < this.hashes; i++) {
      const at = ((h1 + Math.imul(i, h2)) >>> 0) % this.size;
      if ((this.bits[at >>> 3] & (1 << (at & 7))) === 0) return false;
    }
    return true;
  }
}
