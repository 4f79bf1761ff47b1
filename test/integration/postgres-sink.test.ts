// The Postgres sink against the real server: concurrent creation by several workers, idempotent upserts.
import { describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { postgresSink } from '../../src/sinks/postgres/upsertSink.ts';
import { pgSchema, stackSettings } from '../helpers/stack.ts';

describe('postgres sink', () => {
  it('lets several workers create the table at once, and rewriting rows leaves the same table', async () => {
    const { pool, schema, drop } = await pgSchema();
    try {
      const config = resolveConfig([envLayer(stackSettings())]);
      const spec = postgresSink({ name: 'rows', table: `${schema}.rows`, columns: { key: 'text', window_start: 'bigint', value: 'double precision' }, key: ['key', 'window_start'] });
      const sinks = await Promise.all(Array.from({ length: 6 }, () => spec.create({ application: 'test', targets: {}, config })));
      const rows = Array.from({ length: 2500 }, (_, i) => ({ key: `k${i % 50}`, window_start: Math.floor(i / 50) * 60_000, value: i / 2 }));
      await sinks[0].write(rows);
      // A replay writes the same rows again (also twice in one batch): nothing is added or changed.
      await sinks[1].write([...rows, ...rows.slice(0, 10)]);
      const { rows: back } = await pool.query('SELECT key, window_start::float8 AS window_start, value FROM rows ORDER BY window_start, key');
      expect(back).toHaveLength(2500);
      expect(back).toEqual([...rows].sort((a, b) => a.window_start - b.window_start || a.key.localeCompare(b.key)));
      for (const s of sinks) await s.close();
    } finally {
      await drop();
    }
  });
});
