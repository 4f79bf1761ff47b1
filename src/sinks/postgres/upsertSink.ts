// PostgreSQL sink: rows upserted by their natural key, so a replay rewrites the same rows instead of adding new ones.
import pg from 'pg';
import type { ExternalSink } from '../../runtime/sinks.ts';
import type { SinkSpec } from '../../runtime/topology.ts';

export interface PostgresSinkOptions {
  /** Sink name in the topology; a backfill can override the table with `--sink-target <name>=<table>`. */
  name: string;
  table: string;
  /** Column name → SQL type, in table order. */
  columns: Record<string, string>;
  /** The natural key: these columns are the primary key and the upsert's conflict target. */
  key: string[];
}

const IDENT = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

function checkIdentifier(what: string, name: string): string {
  if (!IDENT.test(name)) throw new Error(`postgres sink: ${what} "${name}" must be a lower-case SQL identifier`);
  return name;
}

/** A sink writing rows (objects keyed by column name) with INSERT … ON CONFLICT (key) DO UPDATE. */
export function postgresSink(options: PostgresSinkOptions): SinkSpec {
  const columns = Object.keys(options.columns).map((c) => checkIdentifier('column', c));
  for (const k of options.key) if (!columns.includes(k)) throw new Error(`postgres sink ${options.name}: key column ${k} is not among the columns`);
  return {
    name: options.name,
    async create(ctx) {
      const url = ctx.config.postgres?.url;
      if (!url) throw new Error(`postgres sink ${options.name}: no PostgreSQL configured (set PG_URL or postgres.url)`);
      const table = checkIdentifier('table', ctx.targets[options.name] ?? options.table);
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      const ddl = `CREATE TABLE IF NOT EXISTS ${table} (${columns.map((c) => `${c} ${options.columns[c]}`).join(', ')}, PRIMARY KEY (${options.key.join(', ')}))`;
      // Several workers start at once: CREATE TABLE IF NOT EXISTS alone races in PostgreSQL, so take a lock for it.
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
        await client.query(ddl);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new Error(`postgres sink ${options.name}: could not create table ${table}: ${(err as Error).message}`, { cause: err });
      } finally {
        client.release();
      }
      const updates = columns.filter((c) => !options.key.includes(c));
      const conflict = updates.length > 0 ? `DO UPDATE SET ${updates.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}` : 'DO NOTHING';
      const sink: ExternalSink = {
        name: options.name,
        async write(rows) {
          // One statement cannot touch a row twice: keep the last row per key.
          const byKey = new Map<string, Record<string, unknown>>();
          for (const row of rows as Record<string, unknown>[]) byKey.set(JSON.stringify(options.key.map((k) => row[k])), row);
          const unique = [...byKey.values()];
          for (let i = 0; i < unique.length; i += 1000) {
            const chunk = unique.slice(i, i + 1000);
            const values: unknown[] = [];
            const tuples = chunk.map((row, r) => `(${columns.map((c, j) => (values.push(row[c]), `$${r * columns.length + j + 1}`)).join(', ')})`);
            await pool.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (${options.key.join(', ')}) ${conflict}`, values);
          }
        },
        close: () => pool.end(),
      };
      return sink;
    },
  };
}
