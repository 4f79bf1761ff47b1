// Reads the rollups the PostgreSQL sinks wrote (rollup_1m … rollup_1d with otlp_series): metric names, their
// labels, one metric's series over a range at the level that fits it, and the service graph. Every statement is
// parameterized and restricted to the caller's tenant; the schema is quoted as an identifier. Labels of a series are
// its resource attributes overlaid with its point attributes (the point's win on a clash), as Prometheus promotes
// resource attributes — a gauge without point attributes is told apart by its resource.
import pg from 'pg';
import { chooseLevel, LEVELS, levelNamed, type Level } from './levels.ts';
import {
  chartPoint,
  GRAPH_METRICS,
  likePattern,
  rankNames,
  serviceGraph,
  type ChartPoint,
  type EdgeBuckets,
  type EdgeTotal,
  type GraphEdge,
  type GraphNode,
  type WindowRow,
} from './values.ts';

export interface RollupReaderOptions {
  url: string;
  /** The schema holding the sink's tables (default: the connection's search path). */
  schema?: string;
  /** Levels with their retention, when the sinks keep them otherwise than by default (levels.ts). */
  levels?: readonly Level[];
  /** Points a chart wants at most (levels.ts). */
  maxPoints?: number;
  /** Wall clock for the level choice (tests move it). */
  now?: () => number;
}

export interface MetricName {
  name: string;
  type: string;
  unit: string;
}

export interface LabelValues {
  name: string;
  values: Array<{ value: string; series: number }>;
  /** More values than listed. */
  truncated: boolean;
}

export interface SeriesQuery {
  name: string;
  match: Record<string, string>;
  startMs: number;
  endMs: number;
  /** A level by name instead of the rule's choice. */
  level?: string;
  maxSeries?: number;
}

export interface SeriesAnswer {
  level: string;
  stepMs: number;
  type: string | null;
  unit: string | null;
  series: Array<{ series: string; labels: Record<string, string>; points: ChartPoint[] }>;
  /** More series matched than `maxSeries`. */
  truncated: boolean;
}

export interface GraphAnswer {
  level: string;
  stepMs: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const MAX_VALUES_PER_LABEL = 200;
const SUGGESTION_CANDIDATES = 2_000;

/** A quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const labelText = (labels: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));

export class RollupReader {
  readonly pool: pg.Pool;
  readonly schema: string | undefined;
  readonly levels: readonly Level[];
  private readonly maxPoints: number | undefined;
  private readonly now: () => number;

  constructor(options: RollupReaderOptions) {
    this.pool = new pg.Pool({ connectionString: options.url, max: 4 });
    this.schema = options.schema;
    this.levels = options.levels ?? LEVELS;
    this.maxPoints = options.maxPoints;
    this.now = options.now ?? Date.now;
  }

  private table(name: string): string {
    return this.schema === undefined ? quoteIdent(name) : `${quoteIdent(this.schema)}.${quoteIdent(name)}`;
  }

  /** The level for a range: `level` when given (undefined when no such level), else the rule's (levels.ts). */
  level(startMs: number, endMs: number, level?: string): Level | undefined {
    if (level !== undefined) return levelNamed(level, this.levels);
    return chooseLevel(startMs, endMs, this.now(), { levels: this.levels, ...(this.maxPoints ? { maxPoints: this.maxPoints } : {}) });
  }

  /** Metric names for what was typed: names starting with it first, then containing it, then with its letters in order. */
  async names(tenant: string, typed: string, limit: number): Promise<Array<MetricName & { match: string }>> {
    const series = this.table('otlp_series');
    const select = (pattern: string, max: number) =>
      this.pool.query<MetricName>(
        `SELECT name, min(type) AS type, min(unit) AS unit FROM ${series} WHERE tenant = $1 AND name ILIKE $2 ESCAPE '\\' GROUP BY name ORDER BY name LIMIT $3`,
        [tenant, pattern, max],
      );
    if (typed === '') return (await select('%', limit)).rows.map((r) => ({ ...r, match: 'prefix' }));
    const prefixed = (await select(likePattern(typed, 'prefix'), limit)).rows;
    const found = new Map(prefixed.map((r) => [r.name, r]));
    if (found.size < limit) for (const r of (await select(likePattern(typed, 'fuzzy'), SUGGESTION_CANDIDATES)).rows) found.set(r.name, r);
    return rankNames(typed, [...found.values()], limit);
  }

  /** A metric's label names with their values (and how many series carry each), among the series `match` selects. */
  async labels(tenant: string, name: string, match: Record<string, string>): Promise<{ series: number; labels: LabelValues[] }> {
    const params: unknown[] = [tenant, name];
    const where = `s.tenant = $1 AND s.name = $2${this.matchSql(match, params)}`;
    const series = this.table('otlp_series');
    const [count, pairs] = await Promise.all([
      this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${series} s WHERE ${where}`, params),
      this.pool.query<{ key: string; value: string; n: string }>(
        `SELECT kv.key, kv.value, count(*) AS n FROM ${series} s, jsonb_each_text(s.resource || s.labels) kv WHERE ${where} GROUP BY kv.key, kv.value ORDER BY kv.key, kv.value`,
        params,
      ),
    ]);
    const byName = new Map<string, LabelValues>();
    for (const p of pairs.rows) {
      const l = byName.get(p.key) ?? { name: p.key, values: [], truncated: false };
      if (l.values.length < MAX_VALUES_PER_LABEL) l.values.push({ value: p.value, series: Number(p.n) });
      else l.truncated = true;
      byName.set(p.key, l);
    }
    return { series: Number(count.rows[0]?.n ?? 0), labels: [...byName.values()] };
  }

  /** `AND (resource || labels) ->> k = v` per matcher, its parameters appended to `params`. */
  private matchSql(match: Record<string, string>, params: unknown[]): string {
    let sql = '';
    for (const [k, v] of Object.entries(match)) {
      params.push(k, v);
      sql += ` AND (s.resource || s.labels) ->> $${params.length - 1} = $${params.length}`;
    }
    return sql;
  }

  /** One metric's series (at most `maxSeries`, by series id) with their windows overlapping [start, end). */
  async series(tenant: string, q: SeriesQuery): Promise<SeriesAnswer | undefined> {
    const level = this.level(q.startMs, q.endMs, q.level);
    if (level === undefined) return undefined;
    const maxSeries = q.maxSeries ?? 50;
    const rollups = this.table(`rollup_${level.name}`);
    // Windows overlapping the range start after start − step (windows are aligned on their step).
    const params: unknown[] = [tenant, q.name, q.startMs - level.stepMs, q.endMs];
    const matched = await this.pool.query<{ series: string; labels: Record<string, unknown>; type: string; unit: string }>(
      `SELECT s.series, s.resource || s.labels AS labels, s.type, s.unit FROM ${this.table('otlp_series')} s
        WHERE s.tenant = $1 AND s.name = $2${this.matchSql(q.match, params)}
          AND EXISTS (SELECT 1 FROM ${rollups} r WHERE r.tenant = s.tenant AND r.series = s.series
                        AND r.window_start > to_timestamp($3 / 1000.0) AND r.window_start < to_timestamp($4 / 1000.0))
        ORDER BY s.series LIMIT ${maxSeries + 1}`,
      params,
    );
    const chosen = matched.rows.slice(0, maxSeries);
    const rows = chosen.length === 0 ? [] : await this.windows(rollups, tenant, chosen.map((s) => s.series), q.startMs, q.endMs, level.stepMs);
    const bySeries = new Map<string, ChartPoint[]>(chosen.map((s) => [s.series, []]));
    for (const row of rows) bySeries.get(row.series)?.push(chartPoint(row));
    return {
      level: level.name,
      stepMs: level.stepMs,
      type: chosen[0]?.type ?? null,
      unit: chosen[0]?.unit ?? null,
      series: chosen.map((s) => ({ series: s.series, labels: labelText(s.labels), points: bySeries.get(s.series) ?? [] })),
      truncated: matched.rows.length > maxSeries,
    };
  }

  private async windows(rollups: string, tenant: string, series: string[], startMs: number, endMs: number, stepMs: number): Promise<WindowRow[]> {
    const result = await this.pool.query<Record<string, unknown>>(
      `SELECT r.series, extract(epoch FROM r.window_start) * 1000 AS start_ms, extract(epoch FROM r.window_end) * 1000 AS end_ms, r.kind,
              r.points, r.count, r.sum, r.min, r.max, r.avg, r.last, r.increase, r.rate, r.quantiles, r.buckets
         FROM ${rollups} r
        WHERE r.tenant = $1 AND r.series = ANY($2)
          AND r.window_start > to_timestamp($3 / 1000.0) AND r.window_start < to_timestamp($4 / 1000.0) AND r.window_end > to_timestamp($5 / 1000.0)
        ORDER BY r.series, r.window_start`,
      [tenant, series, startMs - stepMs, endMs, startMs],
    );
    return result.rows.map((r) => ({
      series: r.series as string,
      startMs: Number(r.start_ms),
      endMs: Number(r.end_ms),
      kind: r.kind as string,
      points: num(r.points),
      count: num(r.count),
      sum: num(r.sum),
      min: num(r.min),
      max: num(r.max),
      avg: num(r.avg),
      last: num(r.last),
      increase: num(r.increase),
      rate: num(r.rate),
      quantiles: r.quantiles as WindowRow['quantiles'],
      buckets: r.buckets as WindowRow['buckets'],
    }));
  }

  /** The service graph over windows overlapping [start, end) at the level that fits the range (or `level`). */
  async serviceGraph(tenant: string, startMs: number, endMs: number, levelName?: string): Promise<GraphAnswer | undefined> {
    const level = this.level(startMs, endMs, levelName);
    if (level === undefined) return undefined;
    const from = `${this.table(`rollup_${level.name}`)} r JOIN ${this.table('otlp_series')} s ON s.tenant = r.tenant AND s.series = r.series`;
    const where = `s.tenant = $1 AND r.tenant = $1 AND s.name = ANY($2)
       AND r.window_start > to_timestamp($3 / 1000.0) AND r.window_start < to_timestamp($4 / 1000.0) AND r.window_end > to_timestamp($5 / 1000.0)`;
    const range = [startMs - level.stepMs, endMs, startMs];
    const [totals, buckets] = await Promise.all([
      this.pool.query<Record<string, unknown>>(
        `SELECT s.labels ->> 'client' AS client, s.labels ->> 'server' AS server, s.name, sum(r.sum) AS sum, sum(r.count) AS count
           FROM ${from} WHERE ${where} GROUP BY 1, 2, 3`,
        [tenant, Object.values(GRAPH_METRICS), ...range],
      ),
      this.pool.query<Record<string, unknown>>(
        `SELECT s.labels ->> 'client' AS client, s.labels ->> 'server' AS server, s.name, r.buckets, r.min, r.max
           FROM ${from} WHERE ${where} AND r.buckets IS NOT NULL`,
        [tenant, [GRAPH_METRICS.server, GRAPH_METRICS.client], ...range],
      ),
    ]);
    const edgeTotals: EdgeTotal[] = totals.rows.map((r) => ({ client: String(r.client ?? ''), server: String(r.server ?? ''), name: r.name as string, sum: num(r.sum) ?? 0, count: num(r.count) ?? 0 }));
    const edgeBuckets: EdgeBuckets[] = buckets.rows.map((r) => ({
      client: String(r.client ?? ''),
      server: String(r.server ?? ''),
      name: r.name as string,
      buckets: r.buckets as WindowRow['buckets'],
      min: num(r.min),
      max: num(r.max),
    }));
    return { level: level.name, stepMs: level.stepMs, ...serviceGraph(edgeTotals, edgeBuckets, endMs - startMs) };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
