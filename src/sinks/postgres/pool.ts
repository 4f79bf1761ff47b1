// What every PostgreSQL sink sets on its connections, and how it runs DDL that several workers may race on.
import pg from 'pg';
import type { Logger } from '../../log.ts';
import { classifyPostgresError, describePostgresError } from './classify.ts';

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

/** Runs `work` in a transaction. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out connection the server drops (a restart, 57P01) emits 'error' on the client, not the pool: unheard,
  // that ends the process. The drop also fails the statement in flight or the next one, so the caller sees it there.
  let lost: Error | undefined;
  const onError = (err: Error) => (lost = err);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.off('error', onError);
    // A lost connection is closed rather than handed to the next write.
    client.release(lost);
  }
}

/** Runs `work` in a transaction holding an advisory lock named `lock`: CREATE … IF NOT EXISTS alone races in PostgreSQL. */
export function inLockedTransaction<T>(pool: pg.Pool, lock: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lock]);
    return work(client);
  });
}

/**
 * A sink's table setup, run at start and again before a write until it once succeeded. Tables that cannot be created
 * on a reachable server are a configuration error: the start fails. An unreachable server is not: the first write
 * that gets through creates them.
 */
export interface TableSetup {
  /** Resolves once the tables exist (running the setup if it has not succeeded yet). */
  ready(): Promise<void>;
  /** The tables are gone (42P01, someone dropped them): the next `ready` runs the setup again. */
  again(): void;
}

export async function tablesAtStart(sink: string, table: string, setup: () => Promise<void>, log: Logger): Promise<TableSetup> {
  let ready: Promise<void> | undefined;
  const ensure = () => {
    ready ??= setup().catch((err: unknown) => {
      ready = undefined;
      throw new TableSetupError(table, err);
    });
    return ready;
  };
  await ensure().catch((err: TableSetupError) => {
    if (classifyPostgresError(err.cause).kind === 'permanent') throw new Error(`postgres sink ${sink}: ${err.message}`, { cause: err });
    log.warn({ err: err.message }, 'PostgreSQL unreachable at start; the tables are created at the first write');
  });
  return { ready: ensure, again: () => (ready = undefined) };
}
