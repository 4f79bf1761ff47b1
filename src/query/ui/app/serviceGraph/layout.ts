// A layered left-to-right layout for the service graph: a service's column is the longest chain of calls that
// leads to it (callers to the left, callees to the right), ignoring edges that close a cycle; within a column,
// services sit by the mean row of their callers (fewer crossings), then by name. Pure: the view hands the positions
// to cytoscape's preset layout.

export interface Positioned {
  id: string;
  column: number;
  row: number;
  x: number;
  y: number;
}

export function layeredLayout(nodes: readonly string[], edges: ReadonlyArray<{ client: string; server: string }>, spacing = { x: 220, y: 90 }): Positioned[] {
  const out = new Map<string, string[]>();
  for (const n of nodes) out.set(n, []);
  for (const e of edges) if (e.client !== e.server) out.get(e.client)?.push(e.server);
  // Depth-first from every node in name order; an edge to a node on the current path closes a cycle and is dropped.
  const state = new Map<string, 'open' | 'done'>();
  const acyclic = new Map<string, string[]>(nodes.map((n) => [n, []]));
  const visit = (n: string) => {
    state.set(n, 'open');
    for (const m of [...(out.get(n) ?? [])].sort()) {
      if (state.get(m) === 'open') continue;
      acyclic.get(n)!.push(m);
      if (!state.has(m)) visit(m);
    }
    state.set(n, 'done');
  };
  const sorted = [...nodes].sort();
  for (const n of sorted) if (!state.has(n)) visit(n);
  // Longest path from a source: relax in topological order (reverse post-order).
  const order: string[] = [];
  const seen = new Set<string>();
  const post = (n: string) => {
    seen.add(n);
    for (const m of acyclic.get(n) ?? []) if (!seen.has(m)) post(m);
    order.push(n);
  };
  for (const n of sorted) if (!seen.has(n)) post(n);
  order.reverse();
  const column = new Map<string, number>(nodes.map((n) => [n, 0]));
  for (const n of order) for (const m of acyclic.get(n) ?? []) column.set(m, Math.max(column.get(m)!, column.get(n)! + 1));
  const byColumn = new Map<number, string[]>();
  for (const n of sorted) byColumn.set(column.get(n)!, [...(byColumn.get(column.get(n)!) ?? []), n]);
  const callers = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const [n, targets] of acyclic) for (const m of targets) callers.get(m)!.push(n);
  const rowOf = new Map<string, number>();
  for (const c of [...byColumn.keys()].sort((a, b) => a - b)) {
    const members = byColumn.get(c)!;
    const mean = (n: string) => {
      const rows = callers.get(n)!.map((m) => rowOf.get(m)).filter((r): r is number => r !== undefined);
      return rows.length === 0 ? Number.POSITIVE_INFINITY : rows.reduce((a, r) => a + r, 0) / rows.length;
    };
    const keyed = members.map((n) => ({ n, mean: mean(n) }));
    keyed.sort((a, b) => a.mean - b.mean || (a.n < b.n ? -1 : 1));
    byColumn.set(c, keyed.map((k) => k.n));
    keyed.forEach((k, row) => rowOf.set(k.n, row));
  }
  const tallest = Math.max(0, ...[...byColumn.values()].map((c) => c.length));
  const result: Positioned[] = [];
  for (const [c, members] of byColumn) {
    // Columns centred on the tallest one.
    const offset = ((tallest - members.length) * spacing.y) / 2;
    members.forEach((id, row) => result.push({ id, column: c, row, x: c * spacing.x, y: offset + row * spacing.y }));
  }
  return result.sort((a, b) => a.column - b.column || a.row - b.row);
}
