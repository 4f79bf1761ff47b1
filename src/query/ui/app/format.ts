// How numbers, times and durations read in the UI.

/** A duration in nanoseconds, e.g. 1.52 s, 340 ms, 12.0 µs. */
export function formatNanos(nanos: number): string {
  if (nanos >= 60e9) return `${(nanos / 60e9).toFixed(1)} min`;
  if (nanos >= 1e9) return `${(nanos / 1e9).toFixed(2)} s`;
  if (nanos >= 1e6) return `${(nanos / 1e6).toFixed(nanos >= 1e8 ? 0 : 1)} ms`;
  if (nanos >= 1e3) return `${(nanos / 1e3).toFixed(1)} µs`;
  return `${Math.round(nanos)} ns`;
}

/** A wall-clock time in ms as local `YYYY-MM-DD HH:MM:SS.mmm`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A number with at most 3 significant decimals and thousands separators. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  return n.toLocaleString('en-US', { maximumFractionDigits: abs >= 100 ? 0 : abs >= 1 ? 2 : 4 });
}

/** A rate per second. */
export function formatRate(perSecond: number): string {
  return `${formatNumber(perSecond)}/s`;
}
