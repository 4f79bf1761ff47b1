// Rollup records into PostgreSQL the way a user queries them: a series table (id → name, unit, type, labels as
// JSONB, tenant) and one table per resolution with timestamptz windows, upserted by (tenant, series, window_start).
// Without TimescaleDB a resolution table is range-partitioned by window start and retention drops whole partitions;
// with it, the table is a hypertable with compression and retention policies (docs/sinks.md, TimescaleDB).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { componentLogger, type Logger } from '../../log.ts';
import type { MetricKind, MetricValues, SeriesIdentity } from '../../operators/metrics/index.ts';
import { plainAttributes } from '../../otlp/index.ts';
import type { SinkSpec } from '../../runtime/topology.ts';
import type { ExternalSink } from '../util/index.ts';
import { classifyPostgresError } from './classify.ts';
import { checkIdentifier, inLockedTransaction, inTransaction, sinkPool, tablesAtStart, TableSetupError, type PoolOptions } from './pool.ts';

/** One series' aggregates over one window of one resolution. */
export interface RollupRow {
  tenant: string;
  series: string;
  windowStart: number;
  windowEnd: number;
  identity: SeriesIdentity;
  kind: MetricKind;
  values: MetricValues;
  conflicts: number;
}

/** How a batch goes in: one multi-row INSERT … ON CONFLICT, or COPY into a staging table and one merge from it. */
export type WriteMethod = 'upsert' | 'copy';

export interface RollupTablesOptions extends PoolOptions {
  /** Sink name in the topology. */
  name: string;
  /** The level's name (1m, 5m, 1h, 1d): the table is rollup_<resolution> unless `table` says otherwise. */
  resolution: string;
  table?: string;
  /** Default otlp_series. */
  seriesTable?: string;
  /** Native partitions (and hypertable chunks) span this long, aligned on the epoch. */
  partitionMs: number;
  /** Windows that ended longer ago than this are dropped; null keeps everything. */
  retentionMs: number | null;
  method: WriteMethod;
  /** `auto` uses TimescaleDB where the server has the extension; `off` always partitions natively. */
  timescale: 'auto' | 'off';
  /** Wall clock for retention (tests move it). */
  now?: () => number;
}

const DAY_MS = 86_400_000;
const SERIES_REFRESH_MS = 3_600_000;
/** Series remembered as written; beyond, the least recently written are forgotten (and written again when seen). */
const MAX_WRITTEN_SERIES = 500_000;

/** The per-resolution table's columns, in order (the COPY and INSERT lists). */
const ROLLUP_COLUMNS = [
  ['tenant', 'text NOT NULL'],
  ['series', 'text NOT NULL'],
  ['window_start', 'timestamptz NOT NULL'],
  ['window_end', 'timestamptz NOT NULL'],
  ['kind', 'text NOT NULL'],
  ['points', 'bigint'],
  ['count', 'bigint'],
  ['sum', 'double precision'],
  ['min', 'double precision'],
  ['max', 'double precision'],
  ['avg', 'double precision'],
  ['last', 'double precision'],
  ['last_time', 'timestamptz'],
  ['increase', 'double precision'],
  ['rate', 'double precision'],
  ['resets', 'bigint'],
  ['quantiles', 'jsonb'],
  ['buckets', 'jsonb'],
  ['exponential', 'jsonb'],
  ['conflicts', 'integer NOT NULL'],
] as const;
const ROLLUP_KEY = ['tenant', 'series', 'window_start'];

const SERIES_COLUMNS = [
  ['tenant', 'text NOT NULL'],
  ['series', 'text NOT NULL'],
  ['name', 'text NOT NULL'],
  ['description', 'text NOT NULL'],
  ['unit', 'text NOT NULL'],
  ['type', 'text NOT NULL'],
  ['temporality', 'text NOT NULL'],
  ['monotonic', 'boolean NOT NULL'],
  ['labels', 'jsonb NOT NULL'],
  ['resource', 'jsonb NOT NULL'],
  ['scope_name', 'text NOT NULL'],
  ['scope_version', 'text NOT NULL'],
  ['first_window', 'timestamptz NOT NULL'],
  ['last_window', 'timestamptz NOT NULL'],
] as const;

const TEMPORALITY = ['unspecified', 'delta', 'cumulative'];
const iso = (ms: number) => new Date(ms).toISOString();
// JSON cannot hold NaN or ±Inf; quantiles and bucket bounds may (a histogram's last bound is +Inf by meaning).
const json = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

function rollupValues(row: RollupRow): unknown[] {
  const v = row.values;
  return [
    row.tenant,
    row.series,
    iso(row.windowStart),
    iso(row.windowEnd),
    row.kind,
    v.points,
    v.count,
    v.sum,
    v.min,
    v.max,
    v.avg,
    v.last,
    v.lastTimeMs === null ? null : iso(v.lastTimeMs),
    v.increase,
    v.rate,
    v.resets,
    v.quantiles.length === 0 ? null : json(Object.fromEntries(v.quantiles.map((q) => [String(q.quantile), q.value]))),
    v.buckets === null ? null : json(v.buckets),
    v.exponential === null ? null : json(v.exponential),
    row.conflicts,
  ];
}

function seriesValues(row: RollupRow, first: number, last: number): unknown[] {
  const { metric, attributes, resource, scope } = row.identity;
  return [
    row.tenant,
    row.series,
    metric.name,
    metric.description,
    metric.unit,
    metric.type,
    TEMPORALITY[metric.aggregationTemporality] ?? 'unspecified',
    metric.isMonotonic,
    json(plainAttributes(attributes)),
    json(plainAttributes(resource)),
    scope.name,
    scope.version,
    iso(first),
    iso(last),
  ];
}

/** `$1, $2, …` tuples for a multi-row statement. */
function tuples(rows: unknown[][], width: number): string {
  return rows.map((_, r) => `(${Array.from({ length: width }, (_c, j) => `$${r * width + j + 1}`).join(', ')})`).join(', ');
}

/** One CSV line (COPY … FORMAT csv): an unquoted empty field is NULL, every other value is quoted. */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map((v) => (v === null || v === undefined ? '' : `"${String(v).replaceAll('"', '""')}"`)).join(',')}\n`;
}

/** The partition a window start falls in: [from, to) aligned on the epoch, named table_pYYYYMMDD[HH]. */
export function partitionOf(table: string, windowStart: number, partitionMs: number): { name: string; from: number; to: number } {
  const from = Math.floor(windowStart / partitionMs) * partitionMs;
  const stamp = iso(from).slice(0, 13).replace(/[-T]/g, '');
  return { name: `${table}_p${partitionMs % DAY_MS === 0 ? stamp.slice(0, 8) : stamp}`, from, to: from + partitionMs };
}

/** The partitions of `table` (native range partitioning) with their upper bounds. */
async function partitionsOf(db: pg.Pool | pg.PoolClient, table: string): Promise<{ name: string; to: number }[]> {
  const result = await db.query<{ name: string; bound: string }>(
    `SELECT n.nspname || '.' || c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE i.inhparent = $1::regclass`,
    [table],
  );
  return result.rows.map((r) => {
    const to = /TO \('([^']+)'\)/.exec(r.bound);
    return { name: r.name, to: to ? Date.parse(to[1]) : Number.POSITIVE_INFINITY };
  });
}

/** Drops the partitions of `table` whose windows all started before `cutoff`; returns their names. */
export async function dropExpiredPartitions(pool: pg.Pool, table: string, cutoff: number): Promise<string[]> {
  return inLockedTransaction(pool, table, async (client) => {
    const expired = (await partitionsOf(client, table)).filter((p) => p.to <= cutoff).map((p) => p.name);
    for (const name of expired) await client.query(`DROP TABLE ${name}`);
    return expired;
  });
}

function rollupDdl(table: string, partitioned: boolean): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (${ROLLUP_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')}, PRIMARY KEY (${ROLLUP_KEY.join(', ')}))${partitioned ? ' PARTITION BY RANGE (window_start)' : ''}`;
}

function seriesDdl(table: string): string[] {
  const bare = table.split('.').pop()!;
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (${SERIES_COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')}, PRIMARY KEY (tenant, series))`,
    `CREATE INDEX IF NOT EXISTS ${bare}_name ON ${table} (tenant, name)`,
    // jsonb_path_ops serves `labels @> '{"k": "v"}'`, the usual label match.
    `CREATE INDEX IF NOT EXISTS ${bare}_labels ON ${table} USING gin (labels jsonb_path_ops)`,
  ];
}

/** The TimescaleDB statements for a resolution table: hypertable, compression by series, retention. */
export function timescaleDdl(table: string, partitionMs: number, retentionMs: number | null): string[] {
  const chunk = `interval '${partitionMs / 1000} seconds'`;
  const statements = [
    rollupDdl(table, false),
    `SELECT create_hypertable('${table}', 'window_start', chunk_time_interval => ${chunk}, if_not_exists => true)`,
    `ALTER TABLE ${table} SET (timescaledb.compress, timescaledb.compress_segmentby = 'tenant, series', timescaledb.compress_orderby = 'window_start')`,
    // A chunk is compressed once no window of it can still change (two chunk lengths back).
    `SELECT add_compression_policy('${table}', interval '${(2 * partitionMs) / 1000} seconds', if_not_exists => true)`,
  ];
  if (retentionMs !== null) statements.push(`SELECT add_retention_policy('${table}', interval '${retentionMs / 1000} seconds', if_not_exists => true)`);
  return statements;
}

/** A sink writing RollupRow batches into the series table and the resolution's table. */
export function rollupTablesSink(options: RollupTablesOptions): SinkSpec {
  const seriesTable = checkIdentifier('table', options.seriesTable ?? 'otlp_series');
  if (options.partitionMs < 3_600_000 || options.partitionMs % 3_600_000 !== 0) throw new Error(`postgres sink ${options.name}: partitions must span whole hours`);
  const now = options.now ?? Date.now;
  return {
    name: options.name,
    async create(ctx) {
      const url = ctx.config.postgres?.url;
      if (!url) throw new Error(`postgres sink ${options.name}: no PostgreSQL configured (set PG_URL or postgres.url)`);
      const table = checkIdentifier('table', ctx.targets[options.name] ?? options.table ?? `rollup_${options.resolution}`);
      const log = componentLogger('sink', { sink: options.name, table });
      const pool = sinkPool(url, options, log);
      const tables = new RollupTables(pool, table, seriesTable, options, log);

      const setup = await tablesAtStart(options.name, table, () => tables.setup(), log);

      // Retention runs at start and then every partition length (at most hourly), on one worker at a time.
      const expire = () => {
        if (options.retentionMs === null || tables.timescale) return;
        void setup.ready()
          .then(() => dropExpiredPartitions(pool, table, now() - options.retentionMs!))
          .then((dropped) => {
            if (dropped.length > 0) log.info({ dropped }, 'retention: dropped expired partitions');
          })
          .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'retention: could not drop expired partitions; next round retries'));
      };
      expire();
      const timer = setInterval(expire, Math.min(options.partitionMs, 3_600_000));
      timer.unref();

      const sink: ExternalSink<RollupRow> = {
        name: options.name,
        limits: { maxRows: 1_000 },
        key: (row) => `${row.tenant}\u0000${row.series}\u0000${row.windowStart}`,
        async write(rows) {
          await setup.ready();
          const cutoff = options.retentionMs === null ? Number.NEGATIVE_INFINITY : now() - options.retentionMs;
          const kept = rows.filter((r) => r.windowEnd > cutoff);
          if (kept.length < rows.length) log.info({ expired: rows.length - kept.length, retention: options.retentionMs }, 'rows older than the retention not written');
          if (kept.length > 0) {
            await tables.write(kept).catch((err: unknown) => {
              if ((err as { code?: string }).code === '42P01') setup.again(); // dropped meanwhile: create them again
              throw err;
            });
          }
        },
        classify(err) {
          if (err instanceof TableSetupError) return { kind: 'retryable', answer: err.message };
          // 23514 here means no partition took a row (one was dropped under us): the next attempt creates it again.
          if ((err as { code?: string }).code === '23514') return { kind: 'retryable', answer: (err as Error).message };
          return classifyPostgresError(err);
        },
        async health() {
          await pool.query('SELECT 1');
        },
        async close() {
          clearInterval(timer);
          await pool.end();
        },
      };
      return sink;
    },
  };
}

/** The tables of one resolution and how rows go into them. */
class RollupTables {
  /** Whether the resolution table is a TimescaleDB hypertable (known after setup). */
  timescale = false;
  /**
   * What the series table holds, as far as this sink wrote it: each series' window range. A series whose rows keep
   * coming is written again only when its last window moved SERIES_REFRESH_MS past what is stored, so a batch of
   * 1m rows of known series writes no series rows (the table's last_window trails by up to that much).
   */
  private readonly written = new Map<string, { first: number; last: number }>();
  /** Partitions known to exist (created or seen); a dropped one is created again by the 23514 path below. */
  private readonly partitions = new Set<string>();

  private readonly pool: pg.Pool;
  private readonly table: string;
  private readonly seriesTable: string;
  private readonly options: RollupTablesOptions;
  private readonly log: Logger;

  constructor(pool: pg.Pool, table: string, seriesTable: string, options: RollupTablesOptions, log: Logger) {
    this.pool = pool;
    this.table = table;
    this.seriesTable = seriesTable;
    this.options = options;
    this.log = log;
  }

  async setup(): Promise<void> {
    const available = this.options.timescale === 'auto' && (await this.pool.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'`)).rowCount! > 0;
    await inLockedTransaction(this.pool, this.table, async (client) => {
      for (const statement of seriesDdl(this.seriesTable)) await client.query(statement);
      if (available) {
        await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
        for (const statement of timescaleDdl(this.table, this.options.partitionMs, this.options.retentionMs)) await client.query(statement);
      } else {
        await client.query(rollupDdl(this.table, true));
      }
    });
    this.timescale = available;
    this.log.info({ table: this.table, seriesTable: this.seriesTable, timescale: available, method: this.options.method }, 'rollup tables ready');
  }

  async write(rows: RollupRow[]): Promise<void> {
    if (!this.timescale) await this.ensurePartitions(rows);
    // Rows sorted by key: concurrent batches then lock series rows in one order and cannot deadlock.
    const sorted = [...rows].sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : a.windowStart - b.windowStart));
    const series = this.seriesToWrite(sorted);
    try {
      await inTransaction(this.pool, async (client) => {
        if (series.length > 0) await this.upsertSeries(client, series);
        if (this.options.method === 'copy') await this.copyRollups(client, sorted);
        else await this.upsertRollups(client, sorted);
      });
    } catch (err) {
      // 23514: no partition for a row (retention dropped it, or someone did); 42P01: the tables are gone. Look again.
      const code = (err as { code?: string }).code;
      if (code === '23514' || code === '42P01') this.partitions.clear();
      if (code === '42P01') this.written.clear();
      throw err;
    }
    for (const s of series) {
      const key = `${s.row.tenant}\u0000${s.row.series}`;
      const known = this.written.get(key);
      this.written.delete(key);
      this.written.set(key, { first: Math.min(s.first, known?.first ?? s.first), last: Math.max(s.last, known?.last ?? s.last) });
    }
    for (const key of this.written.keys()) {
      if (this.written.size <= MAX_WRITTEN_SERIES) break;
      this.written.delete(key);
    }
  }

  private async ensurePartitions(rows: RollupRow[]): Promise<void> {
    const wanted = new Map<string, { name: string; from: number; to: number }>();
    for (const row of rows) {
      const p = partitionOf(this.table, row.windowStart, this.options.partitionMs);
      if (!this.partitions.has(p.name)) wanted.set(p.name, p);
    }
    if (wanted.size === 0) return;
    await inLockedTransaction(this.pool, this.table, async (client) => {
      for (const p of wanted.values()) {
        await client.query(`CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF ${this.table} FOR VALUES FROM ('${iso(p.from)}') TO ('${iso(p.to)}')`);
      }
    });
    for (const name of wanted.keys()) this.partitions.add(name);
  }

  /** The series rows a batch must write: series not written yet, or whose window range grew past what is stored. */
  private seriesToWrite(rows: RollupRow[]): { row: RollupRow; first: number; last: number }[] {
    const bySeries = new Map<string, { row: RollupRow; first: number; last: number }>();
    for (const row of rows) {
      const key = `${row.tenant}\u0000${row.series}`;
      const seen = bySeries.get(key);
      if (seen === undefined) bySeries.set(key, { row, first: row.windowStart, last: row.windowStart });
      else {
        seen.first = Math.min(seen.first, row.windowStart);
        seen.last = Math.max(seen.last, row.windowStart);
      }
    }
    return [...bySeries].filter(([key, s]) => {
      const known = this.written.get(key);
      return known === undefined || s.first < known.first || s.last >= known.last + SERIES_REFRESH_MS;
    }).map(([, s]) => s);
  }

  private async upsertSeries(client: pg.PoolClient, series: { row: RollupRow; first: number; last: number }[]): Promise<void> {
    const values = series.map((s) => seriesValues(s.row, s.first, s.last));
    const columns = SERIES_COLUMNS.map(([c]) => c);
    await client.query(
      `INSERT INTO ${this.seriesTable} (${columns.join(', ')}) VALUES ${tuples(values, columns.length)}
       ON CONFLICT (tenant, series) DO UPDATE SET first_window = LEAST(${this.seriesTable}.first_window, EXCLUDED.first_window),
         last_window = GREATEST(${this.seriesTable}.last_window, EXCLUDED.last_window)`,
      values.flat(),
    );
  }

  private conflictClause(): string {
    const updates = ROLLUP_COLUMNS.map(([c]) => c).filter((c) => !ROLLUP_KEY.includes(c));
    return `ON CONFLICT (${ROLLUP_KEY.join(', ')}) DO UPDATE SET ${updates.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
  }

  private async upsertRollups(client: pg.PoolClient, rows: RollupRow[]): Promise<void> {
    const values = rows.map(rollupValues);
    const columns = ROLLUP_COLUMNS.map(([c]) => c);
    await client.query(`INSERT INTO ${this.table} (${columns.join(', ')}) VALUES ${tuples(values, columns.length)} ${this.conflictClause()}`, values.flat());
  }

  private async copyRollups(client: pg.PoolClient, rows: RollupRow[]): Promise<void> {
    const columns = ROLLUP_COLUMNS.map(([c]) => c).join(', ');
    // A session-local staging table, emptied at each commit; the merge from it is one INSERT … ON CONFLICT.
    await client.query(`CREATE TEMP TABLE IF NOT EXISTS rollup_staging (LIKE ${this.table}) ON COMMIT DELETE ROWS`);
    await pipeline(Readable.from(rows.map((r) => csvLine(rollupValues(r)))), client.query(copyFrom(`COPY rollup_staging (${columns}) FROM STDIN WITH (FORMAT csv)`)));
    await client.query(`INSERT INTO ${this.table} (${columns}) SELECT ${columns} FROM rollup_staging ${this.conflictClause()}`);
  }
}
