// pg and the sinks' connection handling against the stack's PostgreSQL.
import { describe, expect, it } from 'vitest';
import { logger } from '../../src/log.ts';
import { inTransaction, sinkPool } from '../../src/sinks/postgres/pool.ts';
import { pgSchema, stackSettings } from '../helpers/stack.ts';

describe('PostgreSQL', () => {
  it('creates a table and round-trips rows, upserting on the natural key', async () => {
    const { pool, drop } = await pgSchema();
    try {
      await pool.query('CREATE TABLE rollup (series text, window_start timestamptz, count bigint, sum double precision, PRIMARY KEY (series, window_start))');
      const rows = Array.from({ length: 50 }, (_, i) => [`s${i % 5}`, new Date(Date.UTC(2026, 0, 1, 0, i)), i, i * 1.5]);
      for (const r of rows) await pool.query('INSERT INTO rollup VALUES ($1, $2, $3, $4)', r);
      // Idempotent rewrite of the same key replaces, never duplicates.
      await pool.query('INSERT INTO rollup VALUES ($1, $2, $3, $4) ON CONFLICT (series, window_start) DO UPDATE SET count = EXCLUDED.count, sum = EXCLUDED.sum', rows[0]);
      const { rows: back } = await pool.query('SELECT series, window_start, count::int AS count, sum FROM rollup ORDER BY window_start');
      expect(back).toHaveLength(50);
      expect(back.map((r) => [r.series, r.window_start, r.count, r.sum])).toEqual(rows);
    } finally {
      await drop();
    }
  });

  it('inTransaction: a connection the server drops mid-transaction fails that call, not the process, and the pool goes on', async () => {
    const { pool: admin, drop } = await pgSchema();
    const pool = sinkPool(stackSettings().PG_URL, {}, logger.child({ test: 'pool' }));
    try {
      let backend = 0;
      const dropped = inTransaction(pool, async (client) => {
        backend = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
        // The server ends this connection (as a restart does, 57P01) while the transaction is open and idle.
        await admin.query('SELECT pg_terminate_backend($1)', [backend]);
        await new Promise((r) => setTimeout(r, 200));
        await client.query('SELECT 1');
      });
      await expect(dropped).rejects.toThrow();
      // The dropped connection was discarded: the next transaction gets a working one.
      const pid = await inTransaction(pool, async (client) => (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number);
      expect(pid).not.toBe(backend);
    } finally {
      await pool.end();
      await drop();
    }
  });
});
