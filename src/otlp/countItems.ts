// Counts the spans / data points / log records of a request by walking tags only (nothing is decoded).
// Below the levels the splitters check, the bytes are unread client input: a length past the end of its message stops
// the count there (every step moves forward and never past `end`), so hostile lengths cannot make it loop or read on.
import type { Signal } from './model.ts';

// Field numbers from the request root down to the items; for metrics the Metric's data oneof (5 gauge, 7 sum,
// 9 histogram, 10 exponential histogram, 11 summary) sits between the metric and its data points (field 1).
const PATHS: Record<Signal, number[][]> = {
  traces: [[1], [2], [2]],
  logs: [[1], [2], [2]],
  metrics: [[1], [2], [2], [5, 7, 9, 10, 11], [1]],
};

/** Number of items (spans, data points or log records) in a protobuf request whose envelope the splitters checked. */
export function countItems(signal: Signal, bytes: Uint8Array): number {
  return countLevel(bytes, 0, bytes.length, PATHS[signal], 0);
}

function countLevel(buf: Uint8Array, start: number, end: number, path: number[][], depth: number): number {
  end = Math.min(end, buf.length);
  const wanted = path[depth];
  const last = depth === path.length - 1;
  let n = 0;
  let pos = start;
  while (pos < end) {
    const [tag, afterTag] = varint(buf, pos);
    pos = afterTag;
    const wire = tag & 7;
    if (wire === 0) [, pos] = varint(buf, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, afterLen] = varint(buf, pos);
      pos = afterLen;
      if (wanted.includes(tag >>> 3)) n += last ? 1 : countLevel(buf, pos, pos + len, path, depth + 1);
      pos += len;
    } else return n; // groups are not used by OTLP; the splitters rejected them already
  }
  return n;
}

function varint(buf: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    if (shift < 28) v |= (b & 0x7f) << shift;
    else v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [v, pos];
    shift += 7;
    if (pos >= buf.length) return [v, pos];
  }
}
