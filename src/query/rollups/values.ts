// Pure parts of the rollup reader: label matchers from a request, a table row as a chart point (rates of delta
// sums, quantiles from buckets when the row has none), merged histogram buckets, metric-name ranking and the
// service graph from per-edge totals. reader.ts runs the SQL and hands its rows here.
import { DEFAULT_QUANTILES, histogramQuantile } from '../../operators/metrics/index.ts';
import type { ChartPoint, GraphEdge, GraphNode } from '../answers.ts';

export type { ChartPoint, GraphEdge, GraphNode };

/** A rollup table row as the reader selects it (times in ms, bigint columns as numbers). */
export interface WindowRow {
  series: string;
  startMs: number;
  endMs: number;
  kind: string;
  points: number | null;
  count: number | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  avg: number | null;
  last: number | null;
  increase: number | null;
  rate: number | null;
  /** JSONB `{"0.5": v, …}` (values may be the strings "NaN", "Infinity"). */
  quantiles: Record<string, number | string> | null;
  /** JSONB `{bounds, counts}` of explicit-bucket histograms. */
  buckets: { bounds: Array<number | string>; counts: Array<number | string> } | null;
}

/** A label matcher set from `match`: a JSON object of strings, or `k=v,k2=v2`. Throws with what is wrong. */
export function parseMatchers(raw: string | null): Record<string, string> {
  if (raw === null || raw.trim() === '') return {};
  const text = raw.trim();
  if (text.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error('expected a JSON object of label values or k=v,k2=v2');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected a JSON object of label values');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new Error(`label "${k}": expected a string, number or boolean value`);
      out[k] = String(v);
    }
    return out;
  }
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`expected k=v, got ${JSON.stringify(part.slice(0, 40))}`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

const finite = (v: number | string | null | undefined): number | null => {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/** Explicit buckets with their counts, min and max: what a quantile estimate needs. */
export interface Buckets {
  bounds: number[];
  counts: number[];
  count: number;
  min: number | null;
  max: number | null;
}

function bucketsOf(row: Pick<WindowRow, 'buckets' | 'min' | 'max'>): Buckets | null {
  const b = row.buckets;
  if (b === null || !Array.isArray(b.bounds) || !Array.isArray(b.counts) || b.counts.length !== b.bounds.length + 1) return null;
  const counts = b.counts.map(Number);
  return { bounds: b.bounds.map(Number), counts, count: counts.reduce((a, c) => a + c, 0), min: row.min, max: row.max };
}

/** A quantile of explicit buckets (the rollup's own estimate: linear within the bucket, clamped to min/max). */
export function bucketQuantile(b: Buckets, q: number): number | null {
  return finite(histogramQuantile({ explicitBounds: b.bounds, bucketCounts: b.counts, count: b.count, min: b.min ?? undefined, max: b.max ?? undefined }, q));
}

/**
 * Buckets of many windows summed. Windows whose bounds differ from the most common bounds (by count) are left out:
 * counts of different bounds do not add. Null when no window has buckets.
 */
export function mergeBuckets(rows: ReadonlyArray<Pick<WindowRow, 'buckets' | 'min' | 'max'>>): Buckets | null {
  const byBounds = new Map<string, Buckets>();
  for (const row of rows) {
    const b = bucketsOf(row);
    if (b === null) continue;
    const key = b.bounds.join(',');
    const acc = byBounds.get(key);
    if (acc === undefined) {
      byBounds.set(key, { ...b, counts: [...b.counts] });
      continue;
    }
    for (let i = 0; i < acc.counts.length; i++) acc.counts[i] += b.counts[i];
    acc.count += b.count;
    acc.min = acc.min === null ? b.min : b.min === null ? acc.min : Math.min(acc.min, b.min);
    acc.max = acc.max === null ? b.max : b.max === null ? acc.max : Math.max(acc.max, b.max);
  }
  let best: Buckets | null = null;
  for (const b of byBounds.values()) if (best === null || b.count > best.count) best = b;
  return best;
}

/** A row as a chart point. Quantiles: the row's own; else, for explicit-bucket histograms, estimated from its buckets. */
export function chartPoint(row: WindowRow): ChartPoint {
  const quantiles: Record<string, number> = {};
  if (row.quantiles !== null && Object.keys(row.quantiles).length > 0) {
    for (const [q, v] of Object.entries(row.quantiles)) {
      const n = finite(v);
      if (n !== null) quantiles[q] = n;
    }
  } else {
    const b = bucketsOf(row);
    if (b !== null && b.count > 0) {
      for (const q of DEFAULT_QUANTILES) {
        const v = bucketQuantile(b, q);
        if (v !== null) quantiles[String(q)] = v;
      }
    }
  }
  const delta = row.kind === 'deltaSum';
  const seconds = (row.endMs - row.startMs) / 1000;
  return {
    t: row.startMs,
    min: row.min,
    max: row.max,
    avg: row.avg,
    last: row.last,
    count: row.count,
    sum: row.sum,
    rate: delta ? (row.sum === null || seconds <= 0 ? null : row.sum / seconds) : row.rate,
    increase: delta ? row.sum : row.increase,
    quantiles,
  };
}

/** How well a metric name matches what was typed: 0 prefix, 1 substring, 2 the letters in order; null no match. */
export function nameScore(typed: string, name: string): number | null {
  const q = typed.toLowerCase();
  const n = name.toLowerCase();
  if (n.startsWith(q)) return 0;
  if (n.includes(q)) return 1;
  let at = 0;
  for (const c of q) {
    at = n.indexOf(c, at);
    if (at < 0) return null;
    at++;
  }
  return 2;
}

/** Names ranked by score, then shorter, then alphabetically. */
export function rankNames<T extends { name: string }>(typed: string, names: readonly T[], limit: number): Array<T & { match: 'prefix' | 'substring' | 'fuzzy' }> {
  const kinds = ['prefix', 'substring', 'fuzzy'] as const;
  return names
    .map((n) => ({ n, score: nameScore(typed, n.name) }))
    .filter((x): x is { n: T; score: number } => x.score !== null)
    .sort((a, b) => a.score - b.score || a.n.name.length - b.n.name.length || (a.n.name < b.n.name ? -1 : a.n.name > b.n.name ? 1 : 0))
    .slice(0, limit)
    .map(({ n, score }) => ({ ...n, match: kinds[score] }));
}

/** A LIKE pattern (escape `\`) matching names that hold the typed letters in order; prefix: names starting with it. */
export function likePattern(typed: string, kind: 'prefix' | 'fuzzy'): string {
  const esc = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
  return kind === 'prefix' ? `${esc(typed)}%` : `%${[...typed].map(esc).join('%')}%`;
}

// The service graph's metrics (docs/spanmetrics.md).
export const GRAPH_METRICS = {
  requests: 'traces_service_graph_request_total',
  failed: 'traces_service_graph_request_failed_total',
  server: 'traces_service_graph_request_server',
  client: 'traces_service_graph_request_client',
} as const;

/** Per edge and metric, the windows' totals (delta sums: `sum`; histograms: `sum` and `count`). */
export interface EdgeTotal {
  client: string;
  server: string;
  name: string;
  sum: number;
  count: number;
}

/** Per edge and histogram metric, one window's buckets (for the merged p95). */
export interface EdgeBuckets extends Pick<WindowRow, 'buckets' | 'min' | 'max'> {
  client: string;
  server: string;
  name: string;
}

/**
 * The graph over a range of `rangeMs`: per (client, server) the requests and failures summed over every series
 * of the edge (connection types, failed or not), the rate over the whole range, and the latency of the server
 * side — or of the client side when the edge has no server latency (a virtual server, a database).
 */
export function serviceGraph(totals: readonly EdgeTotal[], buckets: readonly EdgeBuckets[], rangeMs: number): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const key = (client: string, server: string) => `${client}\u0000${server}`;
  const acc = new Map<string, { client: string; server: string; byName: Map<string, { sum: number; count: number }> }>();
  for (const t of totals) {
    const k = key(t.client, t.server);
    const e = acc.get(k) ?? { client: t.client, server: t.server, byName: new Map() };
    const m = e.byName.get(t.name) ?? { sum: 0, count: 0 };
    m.sum += t.sum;
    m.count += t.count;
    e.byName.set(t.name, m);
    acc.set(k, e);
  }
  const bucketsOfEdge = new Map<string, EdgeBuckets[]>();
  for (const b of buckets) {
    const k = `${key(b.client, b.server)}\u0000${b.name}`;
    const list = bucketsOfEdge.get(k) ?? [];
    list.push(b);
    bucketsOfEdge.set(k, list);
  }
  const seconds = rangeMs / 1000;
  const edges: GraphEdge[] = [];
  for (const [k, e] of acc) {
    const requests = e.byName.get(GRAPH_METRICS.requests)?.sum ?? 0;
    const failed = e.byName.get(GRAPH_METRICS.failed)?.sum ?? 0;
    if (requests === 0 && failed === 0) continue;
    const side = (e.byName.get(GRAPH_METRICS.server)?.count ?? 0) > 0 ? GRAPH_METRICS.server : GRAPH_METRICS.client;
    const latency = e.byName.get(side);
    const merged = mergeBuckets(bucketsOfEdge.get(`${k}\u0000${side}`) ?? []);
    edges.push({
      client: e.client,
      server: e.server,
      requests,
      failed,
      ratePerSecond: seconds > 0 ? requests / seconds : 0,
      errorRate: requests > 0 ? failed / requests : 0,
      latencyAvgSeconds: latency && latency.count > 0 ? latency.sum / latency.count : null,
      latencyP95Seconds: merged && merged.count > 0 ? bucketQuantile(merged, 0.95) : null,
    });
  }
  edges.sort((a, b) => b.requests - a.requests || (a.client < b.client ? -1 : a.client > b.client ? 1 : a.server < b.server ? -1 : 1));
  const nodes = new Map<string, GraphNode>();
  const node = (service: string) => {
    const n = nodes.get(service) ?? { service, requests: 0, failed: 0 };
    nodes.set(service, n);
    return n;
  };
  for (const e of edges) {
    node(e.client);
    const n = node(e.server);
    n.requests += e.requests;
    n.failed += e.failed;
  }
  return { nodes: [...nodes.values()].sort((a, b) => (a.service < b.service ? -1 : 1)), edges };
}
