// The waterfall's layout of one trace, kept pure so it is tested without a browser: spans in depth-first order
// (children by start time), each with its depth, its bar as fractions of the trace's duration, whether it lies on the
// critical path and which pieces of it do. The view draws only the rows in view, so all of this is computed once.

/** What the layout needs of a span (times as the API writes them: ns in decimal strings). */
export interface LayoutSpan {
  spanId: string;
  parentSpanId: string;
  startUnixNano: string;
  durationNanos: string;
}

/** One step of the analysis' critical path. */
export interface PathStep {
  spanId: string;
  startUnixNano: string;
  endUnixNano: string;
}

export interface WaterfallRow<T extends LayoutSpan> {
  span: T;
  depth: number;
  /** Start and width of the bar as fractions of the trace's duration (0..1). */
  offset: number;
  width: number;
  /** Start relative to the trace's start, ns. */
  startNanos: number;
  critical: boolean;
  /** The critical path's pieces within this span, as fractions of the trace's duration. */
  criticalPieces: Array<{ offset: number; width: number }>;
  /** Index of the parent's row, -1 at the top level. */
  parent: number;
  /** Rows of this span's subtree, itself included: the subtree is rows[i, i + size). */
  size: number;
}

export interface WaterfallLayout<T extends LayoutSpan> {
  rows: Array<WaterfallRow<T>>;
  /** Row index by span id. */
  index: Map<string, number>;
  startUnixNano: bigint;
  durationNanos: number;
}

const asBig = (s: string): bigint => {
  try {
    return BigInt(s);
  } catch {
    return 0n;
  }
};

/**
 * Lays out a trace. A span whose parent was not received (or whose parent chain loops back to it) is at the top
 * level; top-level spans and siblings are ordered by start time, then by input order. A span id seen twice keeps its
 * first span.
 */
export function layoutTrace<T extends LayoutSpan>(spans: readonly T[], criticalPath: readonly PathStep[] = []): WaterfallLayout<T> {
  const byId = new Map<string, number>();
  const starts: bigint[] = [];
  const unique: T[] = [];
  for (const s of spans) {
    if (byId.has(s.spanId)) continue;
    byId.set(s.spanId, unique.length);
    unique.push(s);
    starts.push(asBig(s.startUnixNano));
  }
  const n = unique.length;
  let traceStart = n > 0 ? starts[0] : 0n;
  let traceEnd = traceStart;
  for (let i = 0; i < n; i++) {
    if (starts[i] < traceStart) traceStart = starts[i];
    const end = starts[i] + asBig(unique[i].durationNanos);
    if (end > traceEnd) traceEnd = end;
  }
  for (const step of criticalPath) {
    const end = asBig(step.endUnixNano);
    if (end > traceEnd) traceEnd = end;
  }
  const total = Number(traceEnd - traceStart);
  const rel = starts.map((s) => Number(s - traceStart));

  // Parent links, with loops cut where they close (a chain walked twice is a loop).
  const parentOf = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const p = unique[i].parentSpanId === '' ? undefined : byId.get(unique[i].parentSpanId);
    if (p !== undefined && p !== i) parentOf[i] = p;
  }
  const state = new Uint8Array(n); // 0 unseen, 1 on the current walk, 2 done
  for (let i = 0; i < n; i++) {
    const walk: number[] = [];
    let at = i;
    while (at !== -1 && state[at] === 0) {
      state[at] = 1;
      walk.push(at);
      at = parentOf[at];
    }
    if (at !== -1 && state[at] === 1) parentOf[at] = -1;
    for (const w of walk) state[w] = 2;
  }

  const children: number[][] = Array.from({ length: n }, () => []);
  const tops: number[] = [];
  for (let i = 0; i < n; i++) (parentOf[i] === -1 ? tops : children[parentOf[i]]).push(i);
  const byStart = (a: number, b: number) => rel[a] - rel[b] || a - b;
  tops.sort(byStart);

  // Pieces of the critical path per span.
  const pieces = new Map<string, Array<{ offset: number; width: number }>>();
  for (const step of criticalPath) {
    const from = Number(asBig(step.startUnixNano) - traceStart);
    const to = Number(asBig(step.endUnixNano) - traceStart);
    const list = pieces.get(step.spanId) ?? [];
    list.push({ offset: total > 0 ? from / total : 0, width: total > 0 ? Math.max(0, to - from) / total : 1 });
    pieces.set(step.spanId, list);
  }

  // Depth-first, iteratively: a trace may nest deeper than the call stack.
  const rows: Array<WaterfallRow<T>> = [];
  const index = new Map<string, number>();
  const stack: Array<{ span: number; depth: number; parentRow: number }> = [];
  for (let t = tops.length - 1; t >= 0; t--) stack.push({ span: tops[t], depth: 0, parentRow: -1 });
  const open: number[] = []; // rows whose subtree is still being laid out
  while (stack.length > 0) {
    const { span, depth, parentRow } = stack.pop()!;
    // Close the subtrees this row is not part of.
    while (open.length > 0 && open[open.length - 1] !== parentRow) {
      const r = open.pop()!;
      rows[r].size = rows.length - r;
    }
    const s = unique[span];
    const duration = Math.max(0, Number(asBig(s.durationNanos)));
    const row = rows.length;
    const crit = pieces.get(s.spanId);
    rows.push({
      span: s,
      depth,
      offset: total > 0 ? rel[span] / total : 0,
      width: total > 0 ? duration / total : 1,
      startNanos: rel[span],
      critical: crit !== undefined,
      criticalPieces: crit ?? [],
      parent: parentRow,
      size: 1,
    });
    index.set(s.spanId, row);
    open.push(row);
    const kids = children[span];
    if (kids.length > 1) kids.sort(byStart);
    for (let k = kids.length - 1; k >= 0; k--) stack.push({ span: kids[k], depth: depth + 1, parentRow: row });
  }
  while (open.length > 0) {
    const r = open.pop()!;
    rows[r].size = rows.length - r;
  }
  return { rows, index, startUnixNano: traceStart, durationNanos: total };
}

/** Indices of the rows shown when the subtrees of `collapsed` span ids are folded (the collapsed span itself shows). */
export function visibleRows(layout: WaterfallLayout<LayoutSpan>, collapsed: ReadonlySet<string>): number[] {
  const out: number[] = [];
  const { rows } = layout;
  for (let i = 0; i < rows.length; ) {
    out.push(i);
    i += collapsed.has(rows[i].span.spanId) ? rows[i].size : 1;
  }
  return out;
}

/** Ids of the spans that lead to row `row` (its ancestors), nearest first. */
export function ancestorsOf(layout: WaterfallLayout<LayoutSpan>, row: number): string[] {
  const out: string[] = [];
  for (let p = layout.rows[row]?.parent ?? -1; p !== -1; p = layout.rows[p].parent) out.push(layout.rows[p].span.spanId);
  return out;
}

/** Tick positions for a time axis over `durationNanos`: about `count` round steps (1, 2, 5 × 10^k ns). */
export function timeTicks(durationNanos: number, count = 6): number[] {
  if (!(durationNanos > 0)) return [0];
  const raw = durationNanos / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  for (let t = 0; t <= durationNanos + step * 1e-9; t += step) out.push(t);
  return out;
}
