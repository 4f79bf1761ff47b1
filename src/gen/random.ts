// A small seeded PRNG (mulberry32) so generated traffic is the same for the same seed.

/** Seeded random numbers and the draws the generator needs. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Log-normal with the given median and spread (sigma of the underlying normal): latency-like values. */
  logNormal(median: number, sigma: number): number {
    const u = 1 - this.next();
    const v = this.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return median * Math.exp(sigma * z);
  }

  /** `bytes` random bytes as lowercase hex, never all zero. */
  hex(bytes: number): string {
    let s = '';
    for (let i = 0; i < bytes; i += 4) s += Math.floor(this.next() * 4294967296).toString(16).padStart(8, '0');
    s = s.slice(0, bytes * 2);
    return /^0+$/.test(s) ? '1'.padStart(bytes * 2, '0') : s;
  }
}
