// What every PostgreSQL sink sets on its connections, and how it runs DDL that several workers may race on.
import pg from 'pg';
import type { Logger } from '../../log.ts';
import { describePostgresError } from './classify.ts';

export interface PoolOptions {
  /** A connection attempt gives up after this long, ms (default 5 s). */
  connectTimeoutMs?: number;
  /** The server cancels a statement after this long, and the client stops waiting for it too, ms (default 30 s). */
  statementTimeoutMs?: number;
}

const IDENT = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** A table or column name as the sinks accept it: lower case, optionally schema-qualified; never quoted or escaped. */
export function checkIdentifier(what: string, name: string): string {
  if (!IDENT.test(name)) throw new Error(`postgres sink: ${what} "${name}" must be a lower-case SQL identifier`);
  return name;
}

/** The tables could not be created; retried like a write, since the server may just be unreachable. */
export class TableSetupError extends Error {
  constructor(table: string, cause: unknown) {
    super(`could not create table ${table}: ${describePostgresError(cause)}`, { cause });
    this.name = 'TableSetupError';
  }
}

export function sinkPool(url: string, options: PoolOptions, log: Logger): pg.Pool {
  const statementMs = options.statementTimeoutMs ?? 30_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    statement_timeout: statementMs,
    // The client-side bound covers a server that stopped answering without closing the socket.
    query_timeout: statementMs + 5_000,
    keepAlive: true,
  });
  // An idle connection dropped by the server (a restart, 57P01) is reported here; without a listener it would
  // be an unhandled 'error' event and end the process. The pool already discarded that connection.
  pool.on('error', (err) => log.warn({ err: describePostgresError(err) }, 'idle PostgreSQL connection lost'));
  return pool;
}

/** Runs `work` in a transaction holding an advisory lock named `lock`: CREATE … IF NOT EXISTS alone races in PostgreSQL. */
export async function inLockedTransaction<T>(pool: pg.Pool, lock: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lock]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Runs `work` in a transaction. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
