// Trace analysis (`GET /api/traces/<id>/analysis`): a trace's span tree, its critical path, self time per span and
// per service, and its error spans. Pure: spans in, one JSON-ready object out. Times are ns, as decimal strings
// (like Tempo's JSON), so 64-bit values survive JSON.
//
// The shape (TraceAnalysis):
//   { traceId, startUnixNano, durationNanos, spanCount, errorCount,
//     tree:         [SpanNode]   top-level spans (roots, and spans whose parent is not in the trace), start order;
//                   SpanNode = { spanId, parentSpanId, service, name, kind, status, startUnixNano, durationNanos,
//                                selfNanos, children: [SpanNode] }
//     criticalPath: [{ spanId, service, name, startUnixNano, endUnixNano, durationNanos }]  in time order;
//     services:     [{ service, spans, errors, selfNanos }]  by selfNanos, largest first;
//     errors:       [{ spanId, service, name, statusMessage, startUnixNano }]  in start order }
//
// Self time: a span's duration less the time at least one of its children runs (clipped to the span), so
// concurrent children count once. Critical path: from the end of the trace backwards, the work that ends last —
// at each point the child that finished last before it, else the span itself (the span's waiting on nothing).
// With several top-level spans, the path runs over all of them as if under one root spanning the trace; the gaps
// where no span runs are not on it.
import { StatusCode, nanosToBigInt, type Span } from '../otlp/index.ts';
import type { CriticalPathStep, ErrorSpan, SpanNode, TraceAnalysis } from './answers.ts';
import { KIND_NAMES, serviceOf } from './apply.ts';

export type { CriticalPathStep, ErrorSpan, ServiceSelfTime, SpanNode, TraceAnalysis } from './answers.ts';

const STATUS_NAMES = ['unset', 'ok', 'error'] as const;

// A span with its times as bigints and its children (an end before the start counts as the start).
interface Node {
  span: Span;
  start: bigint;
  end: bigint;
  children: Node[];
  self: bigint;
}

const byStart = (a: Node, b: Node) => (a.start !== b.start ? (a.start < b.start ? -1 : 1) : a.span.spanId < b.span.spanId ? -1 : a.span.spanId > b.span.spanId ? 1 : 0);

/** The analysis of one trace's spans (span ids unique; at least one span). */
export function analyzeTrace(spans: readonly Span[]): TraceAnalysis {
  if (spans.length === 0) throw new RangeError('analyzeTrace: a trace has at least one span');
  const nodes = new Map<string, Node>();
  for (const span of spans) {
    const start = nanosToBigInt(span.startTimeMs, span.startTimeNanos);
    const end = nanosToBigInt(span.endTimeMs, span.endTimeNanos);
    nodes.set(span.spanId, { span, start, end: end < start ? start : end, children: [], self: 0n });
  }
  const tops = attach(nodes);
  for (const node of nodes.values()) {
    node.children.sort(byStart);
    node.self = node.end - node.start - covered(node);
  }
  tops.sort(byStart);

  const traceStart = tops.reduce((m, n) => (n.start < m ? n.start : m), tops[0].start);
  let traceEnd = traceStart;
  for (const n of nodes.values()) if (n.end > traceEnd) traceEnd = n.end;

  const services = new Map<string, { spans: number; errors: number; self: bigint }>();
  const errors: ErrorSpan[] = [];
  for (const n of [...nodes.values()].sort(byStart)) {
    const service = serviceOf(n.span);
    const s = services.get(service) ?? { spans: 0, errors: 0, self: 0n };
    s.spans++;
    s.self += n.self;
    if (n.span.statusCode === StatusCode.ERROR) {
      s.errors++;
      errors.push({ spanId: n.span.spanId, service, name: n.span.name, statusMessage: n.span.statusMessage, startUnixNano: n.start.toString() });
    }
    services.set(service, s);
  }

  return {
    traceId: spans[0].traceId,
    startUnixNano: traceStart.toString(),
    durationNanos: (traceEnd - traceStart).toString(),
    spanCount: nodes.size,
    errorCount: errors.length,
    tree: tops.map(treeOf),
    criticalPath: criticalPath({ span: spans[0], start: traceStart, end: traceEnd, children: tops, self: 0n }),
    services: [...services.entries()]
      .map(([service, s]) => ({ service, spans: s.spans, errors: s.errors, selfNanos: s.self.toString(), self: s.self }))
      .sort((a, b) => (a.self !== b.self ? (a.self > b.self ? -1 : 1) : a.service < b.service ? -1 : a.service > b.service ? 1 : 0))
      .map(({ self: _self, ...rest }) => rest),
    errors,
  };
}

// Links each node to its parent; returns the top-level nodes. A parent chain that loops (hostile input) is cut where
// it closes, so every span is in the tree exactly once.
function attach(nodes: Map<string, Node>): Node[] {
  const parentOf = new Map<Node, Node>();
  for (const node of nodes.values()) {
    const parent = node.span.parentSpanId === '' ? undefined : nodes.get(node.span.parentSpanId);
    if (parent !== undefined && parent !== node) parentOf.set(node, parent);
  }
  // Cut cycles: walk each chain; a node met again on the current walk closes a loop.
  const done = new Set<Node>();
  for (const node of nodes.values()) {
    const walk = new Set<Node>();
    let at: Node | undefined = node;
    while (at !== undefined && !done.has(at)) {
      if (walk.has(at)) {
        parentOf.delete(at);
        break;
      }
      walk.add(at);
      at = parentOf.get(at);
    }
    for (const n of walk) done.add(n);
  }
  const tops: Node[] = [];
  for (const node of nodes.values()) {
    const parent = parentOf.get(node);
    if (parent === undefined) tops.push(node);
    else parent.children.push(node);
  }
  return tops;
}

// Time within the node's interval during which at least one child runs (children sorted by start).
function covered(node: Node): bigint {
  let total = 0n;
  let from = node.start;
  let to = node.start;
  for (const c of node.children) {
    const s = c.start < node.start ? node.start : c.start;
    const e = c.end > node.end ? node.end : c.end;
    if (e <= s) continue;
    if (s > to) {
      total += to - from;
      from = s;
      to = e;
    } else if (e > to) to = e;
  }
  return total + (to - from);
}

function treeOf(root: Node): SpanNode {
  // Iterative: a trace may nest deeper than the call stack.
  const make = (n: Node): SpanNode => ({
    spanId: n.span.spanId,
    parentSpanId: n.span.parentSpanId,
    service: serviceOf(n.span),
    name: n.span.name,
    kind: KIND_NAMES[n.span.kind] ?? 'unspecified',
    status: STATUS_NAMES[n.span.statusCode] ?? 'unset',
    startUnixNano: n.start.toString(),
    durationNanos: (n.end - n.start).toString(),
    selfNanos: n.self.toString(),
    children: [],
  });
  const out = make(root);
  const stack: [Node, SpanNode][] = [[root, out]];
  while (stack.length > 0) {
    const [node, made] = stack.pop()!;
    for (const c of node.children) {
      const child = make(c);
      made.children.push(child);
      stack.push([c, child]);
    }
  }
  return out;
}

// The critical path under `root` (a real span, or the virtual root over the top-level spans, which has no steps).
function criticalPath(virtualRoot: Node): CriticalPathStep[] {
  const steps: { node: Node; from: bigint; to: bigint }[] = [];
  const step = (node: Node, from: bigint, to: bigint) => {
    if (node !== virtualRoot && to > from) steps.push({ node, from, to });
  };
  // Each frame: a span, the point `until` the path has reached in it (walking backwards), its children by end, latest first.
  // `floor`: the span's start, or its parent's floor when it started before its parent (the path stays in order).
  interface Frame {
    node: Node;
    floor: bigint;
    until: bigint;
    children: Node[];
    next: number;
  }
  const frame = (node: Node, floor: bigint, until: bigint): Frame => ({
    node,
    floor: node.start > floor ? node.start : floor,
    until,
    children: [...node.children].sort((a, b) => (a.end !== b.end ? (a.end > b.end ? -1 : 1) : byStart(a, b))),
    next: 0,
  });
  const stack: Frame[] = [frame(virtualRoot, virtualRoot.start, virtualRoot.end)];
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    // The child that ends last before `until` (ends clipped to it): the work the span waited for last.
    let child: Node | undefined;
    while (f.next < f.children.length) {
      const c = f.children[f.next++];
      if (c.start < f.until && c.end > f.floor) {
        child = c;
        break;
      }
    }
    if (child === undefined) {
      step(f.node, f.floor, f.until);
      stack.pop();
      continue;
    }
    const childEnd = child.end < f.until ? child.end : f.until;
    step(f.node, childEnd, f.until);
    f.until = child.start > f.floor ? child.start : f.floor;
    stack.push(frame(child, f.floor, childEnd));
  }
  steps.reverse();
  // Adjacent steps of one span (the span's own time around a child off the path) are one step.
  const merged: typeof steps = [];
  for (const s of steps) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.node === s.node && last.to === s.from) last.to = s.to;
    else merged.push({ ...s });
  }
  return merged.map(({ node, from, to }) => ({
    spanId: node.span.spanId,
    service: serviceOf(node.span),
    name: node.span.name,
    startUnixNano: from.toString(),
    endUnixNano: to.toString(),
    durationNanos: (to - from).toString(),
  }));
}
