// Exact unix-nanosecond timestamps as (ms, nanos-of-ms) pairs; see model.ts for why.
import { OtlpDecodeError } from './errors.ts';

// 2^32 = 4294 * 10^6 + 967296, which lets us divide a (hi, lo) uint64 by 10^6 with doubles exactly.
const MS_PER_2_32 = 4294;
const REM_PER_2_32 = 967_296;
const MAX_UINT64 = 18446744073709551615n;

/** Whole milliseconds of the uint64 nanosecond count hi·2^32 + lo. */
export function msOf(lo: number, hi: number): number {
  const t = hi * REM_PER_2_32 + lo; // < 2^52, exact
  return hi * MS_PER_2_32 + (t - (t % 1e6)) / 1e6;
}

/** Nanoseconds past the whole millisecond of hi·2^32 + lo (0..999_999). */
export function nanosOf(lo: number, hi: number): number {
  return (hi * REM_PER_2_32 + lo) % 1e6;
}

/** Low 32 bits of ms·10^6 + nanos. */
export function loOf(ms: number, nanos: number): number {
  return lowAndCarry(ms, nanos) % 4294967296;
}

/** High 32 bits of ms·10^6 + nanos. */
export function hiOf(ms: number, nanos: number): number {
  // ms = mh·2^16 + ml; value = (mh·10^6)·2^16 + (ml·10^6 + nanos), each part exact in a double.
  const mh = Math.floor(ms / 65536);
  const b = mh * 1e6;
  return Math.floor(b / 65536) + Math.floor(lowAndCarry(ms, nanos) / 4294967296);
}

function lowAndCarry(ms: number, nanos: number): number {
  const mh = Math.floor(ms / 65536);
  const ml = ms - mh * 65536;
  const b = mh * 1e6;
  return (b % 65536) * 65536 + ml * 1e6 + nanos;
}

/** The decimal string of ms·10^6 + nanos (OTLP/JSON's spelling of a fixed64 timestamp). */
export function nanosToString(ms: number, nanos: number): string {
  if (ms === 0) return String(nanos);
  const tail = String(nanos);
  return String(ms) + '000000'.slice(tail.length) + tail;
}

/** The exact nanosecond count as a bigint. */
export function nanosToBigInt(ms: number, nanos: number): bigint {
  return BigInt(ms) * 1_000_000n + BigInt(nanos);
}

/** Splits a nanosecond count (bigint, decimal string or number) into [ms, nanos]; throws OtlpDecodeError if it is not a uint64. */
export function splitNanos(value: bigint | string | number, path = ''): [number, number] {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new OtlpDecodeError(`expected an unsigned 64-bit integer, got ${value}`, 'json', -1, path);
    if (Number.isSafeInteger(value) && value >= 0) return [Math.floor(value / 1e6), value % 1e6];
    n = BigInt(value);
  } else {
    if (!/^[0-9]{1,20}$/.test(value)) throw new OtlpDecodeError(`expected a decimal unsigned 64-bit integer, got ${JSON.stringify(value)}`, 'json', -1, path);
    if (value.length <= 15) {
      const v = Number(value);
      return [Math.floor(v / 1e6), v % 1e6];
    }
    n = BigInt(value);
  }
  if (n < 0n || n > MAX_UINT64) throw new OtlpDecodeError(`expected an unsigned 64-bit integer, got ${n}`, 'json', -1, path);
  return [Number(n / 1_000_000n), Number(n % 1_000_000n)];
}
