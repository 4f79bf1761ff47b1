// Small helpers every bench uses: seeded randomness, env knobs, GC, unique names, timing.
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** mulberry32: small, seeded, deterministic; values in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A positive number from the environment, or `fallback`. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return n;
}

/** A name no other run shares (topics, groups, application ids). */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

let gcFn: (() => void) | undefined;

/** Full GC, twice (weak refs and finalizers settle); works with or without --expose-gc. */
export function fullGc(): void {
  if (!gcFn) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gcFn = exposed;
    else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rounds to `digits` decimals. */
export function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** One progress line on stderr, so stdout keeps the table and the JSON line. */
export function note(line: string): void {
  process.stderr.write(`  · ${line}\n`);
}

/** Items per second of `work` (which handles `items` items), repeated until at least `minRunMs` have passed. */
export function itemsPerSecond(items: number, work: () => void, minRunMs: number): number {
  let rounds = 0;
  const start = performance.now();
  let elapsed: number;
  do {
    work();
    rounds++;
    elapsed = performance.now() - start;
  } while (elapsed < minRunMs);
  return (items * rounds) / (elapsed / 1000);
}
