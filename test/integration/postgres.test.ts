// pg against the stack's PostgreSQL.
import { describe, expect, it } from 'vitest';
import { pgSchema } from '../helpers/stack.ts';

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
});
