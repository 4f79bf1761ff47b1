// Bounded Levenshtein distance for fuzzy search: the index runs it over its whole term dictionary, so it works on
// code points in reused buffers (no allocation per call), fills only the diagonal band |i − j| ≤ max and stops as
// soon as a row has no cell within `max`.

const INF = 1 << 29;
let left = new Int32Array(64);
let right = new Int32Array(64);
let prev = new Int32Array(65);
let cur = new Int32Array(65);

/** Writes the code points of `s` into `buf` (grown when short); returns [buffer, count]. */
function codePoints(s: string, buf: Int32Array<ArrayBuffer>): [Int32Array<ArrayBuffer>, number] {
  if (buf.length < s.length) buf = new Int32Array(s.length * 2);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        buf[n++] = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
        i++;
        continue;
      }
    }
    buf[n++] = c;
  }
  return [buf, n];
}

/** Whether the Levenshtein distance between `a` and `b`, over code points, is at most `max`. */
export function withinEditDistance(a: string, b: string, max: number): boolean {
  if (a === b) return true;
  if (max <= 0) return false;
  let n: number;
  let m: number;
  [left, n] = codePoints(a, left);
  [right, m] = codePoints(b, right);
  if (Math.abs(n - m) > max) return false;
  const x = left;
  const y = right;
  if (prev.length < m + 2) {
    prev = new Int32Array(m * 2 + 2);
    cur = new Int32Array(m * 2 + 2);
  }
  // Row 0: j edits to reach b[0, j); cells beyond the band are unreachable.
  for (let j = 0; j <= m; j++) prev[j] = j <= max ? j : INF;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - max);
    const hi = Math.min(m, i + max);
    cur[lo - 1] = lo === 1 ? (i <= max ? i : INF) : INF;
    let rowMin = cur[lo - 1];
    const xi = x[i - 1];
    for (let j = lo; j <= hi; j++) {
      const substitute = prev[j - 1] + (xi === y[j - 1] ? 0 : 1);
      const del = prev[j] + 1;
      const ins = cur[j - 1] + 1;
      const v = substitute < del ? (substitute < ins ? substitute : ins) : del < ins ? del : ins;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (hi < m) cur[hi + 1] = INF;
    if (rowMin > max) return false;
    const t = prev;
    prev = cur;
    cur = t;
  }
  return prev[m] <= max;
}
