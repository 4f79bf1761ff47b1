// PostgreSQL sink: rows upserted by their natural key, so a replay rewrites the same rows instead of adding new ones.
// The sink only encodes, sends and classifies; batching, retries, timeouts and the breaker come from src/sinks/util.
import { componentLogger } from '../../log.ts';
import type { SinkSpec } from '../../runtime/topology.ts';
import type { ExternalSink } from '../util/index.ts';
import { classifyPostgresError } from './classify.ts';
import { checkIdentifier, inLockedTransaction, sinkPool, tablesAtStart, TableSetupError, type PoolOptions } from './pool.ts';

export interface PostgresSinkOptions extends PoolOptions {
  /** Sink name in the topology; a backfill can override the table with `--sink-target <name>=<table>`. */
  name: string;
  table: string;
  /** Column name → SQL type, in table order. */
  columns: Record<string, string>;
  /** The natural key: these columns are the primary key and the upsert's conflict target. */
  key: string[];
}

type Row = Record<string, unknown>;

/** PostgreSQL's limit of bind parameters in one statement. */
const MAX_PARAMETERS = 65_535;

/** A sink writing rows (objects keyed by column name) with INSERT … ON CONFLICT (key) DO UPDATE. */
export function postgresSink(options: PostgresSinkOptions): SinkSpec {
  const columns = Object.keys(options.columns).map((c) => checkIdentifier('column', c));
  for (const k of options.key) if (!columns.includes(k)) throw new Error(`postgres sink ${options.name}: key column ${k} is not among the columns`);
  const maxRows = Math.min(1_000, Math.floor(MAX_PARAMETERS / columns.length));
  return {
    name: options.name,
    async create(ctx) {
      const url = ctx.config.postgres?.url;
      if (!url) throw new Error(`postgres sink ${options.name}: no PostgreSQL configured (set PG_URL or postgres.url)`);
      const table = checkIdentifier('table', ctx.targets[options.name] ?? options.table);
      const log = componentLogger('sink', { sink: options.name, table });
      const pool = sinkPool(url, options, log);

      const ddl = `CREATE TABLE IF NOT EXISTS ${table} (${columns.map((c) => `${c} ${options.columns[c]}`).join(', ')}, PRIMARY KEY (${options.key.join(', ')}))`;
      // Several workers start at once: CREATE TABLE IF NOT EXISTS alone races in PostgreSQL, so take a lock for it.
      const tables = await tablesAtStart(options.name, table, () => inLockedTransaction(pool, table, (client) => client.query(ddl)).then(() => undefined), log);

      const updates = columns.filter((c) => !options.key.includes(c));
      const conflict = updates.length > 0 ? `DO UPDATE SET ${updates.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}` : 'DO NOTHING';
      const keyOf = (row: Row) => options.key.map((k) => String(row[k])).join('\u0000');
      const sink: ExternalSink<Row> = {
        name: options.name,
        limits: { maxRows },
        key: keyOf,
        async write(rows) {
          await tables.ready();
          // One statement cannot touch a row twice: keep the last row per key (the runner did already; direct callers may not).
          const byKey = new Map<string, Row>();
          for (const row of rows) byKey.set(keyOf(row), row);
          const unique = [...byKey.values()];
          for (let i = 0; i < unique.length; i += maxRows) {
            const chunk = unique.slice(i, i + maxRows);
            const values: unknown[] = [];
            const tuples = chunk.map((row, r) => `(${columns.map((c, j) => (values.push(row[c]), `$${r * columns.length + j + 1}`)).join(', ')})`);
            try {
              await pool.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (${options.key.join(', ')}) ${conflict}`, values);
            } catch (err) {
              if ((err as { code?: string }).code === '42P01') tables.again(); // dropped meanwhile: create it again
              throw err;
            }
          }
        },
        classify: (err) => (err instanceof TableSetupError ? { kind: 'retryable', answer: err.message } : classifyPostgresError(err)),
        async health() {
          await pool.query('SELECT 1');
        },
        close: () => pool.end(),
      };
      return sink;
    },
  };
}
