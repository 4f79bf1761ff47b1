// A live run over a range, then a backfill of the same range into a fresh table: the two tables are identical.
import { describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { backfill, Worker, type BackfillProgress } from '../../src/runtime/index.ts';
import { countingInput, countingOracle, countingTopology, KEEP_RECORDS } from '../fixtures/counting.ts';
import { produceRecords } from '../helpers/produce.ts';
import { createTopic, kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';

async function waitForRows(query: () => Promise<number>, want: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await query()) < want) await new Promise((r) => setTimeout(r, 250));
}

describe('backfill', () => {
  it('replays a time range into another table with exactly the rows of the live run', async () => {
    const client = kafka();
    const input = await createTopic('bf-in', 3, KEEP_RECORDS);
    const { pool, schema, drop } = await pgSchema();
    try {
      const base = Date.UTC(2026, 0, 1);
      const records = countingInput({ records: 2000, keys: 20, partitions: 3, base, stepMs: 100, seed: 11 });
      await produceRecords(client, input, records);
      const expected = countingOracle(records);
      const config = resolveConfig([envLayer(stackSettings())]);
      const topo = countingTopology({ application: unique('bf'), input, output: unique('bf-out'), table: `${schema}.live` });

      const live = new Worker({ topology: topo, config });
      await live.start();
      await waitForRows(async () => Number((await pool.query('SELECT count(*) FROM live')).rows[0].count), expected.length);
      await live.stop();

      const sentinelTime = records[records.length - 1].timestamp;
      const progress: BackfillProgress[] = [];
      const result = await backfill({ topology: topo, config, from: base, to: sentinelTime, sinkTargets: { counts: `${schema}.replayed` }, onProgress: (p) => progress.push(p) });
      expect(result.records).toBe(records.length - 3); // every record but the three sentinels

      const q = (table: string) => pool.query(`SELECT key, window_start, count, sum FROM ${table} ORDER BY key, window_start`).then((r) => r.rows);
      const liveRows = await q('live');
      expect(liveRows).toHaveLength(expected.length);
      expect(await q('replayed')).toEqual(liveRows);
      expect(progress.at(-1)).toMatchObject({ done: records.length - 3, total: records.length - 3 });
    } finally {
      await drop();
    }
  });
});
