// Scaling test: three worker processes share six partitions; one is killed and another joins mid-run.
// Results equal the oracle exactly, and the log shows state restored from the changelog by a worker taking over.
import { describe, expect, it } from 'vitest';
import { countingInput, countingOracle, type WindowRow } from '../fixtures/counting.ts';
import { readTopic } from '../helpers/consume.ts';
import { produceRecords } from '../helpers/produce.ts';
import { createTopic, kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';
import { startWorker, type WorkerProcess } from '../helpers/workers.ts';

const sortRows = (rows: WindowRow[]) => rows.sort((a, b) => a.key.localeCompare(b.key) || a.window_start - b.window_start);

describe('consumer-group scaling', () => {
  it('3 workers, one killed, one joining: nothing lost or doubled, state restored on takeover', async () => {
    const client = kafka();
    const input = await createTopic('scale-in', 6);
    const output = unique('scale-out');
    const { pool, schema, drop } = await pgSchema();
    const workers: WorkerProcess[] = [];
    try {
      const records = countingInput({ records: 60_000, keys: 60, partitions: 6, base: Date.UTC(2026, 0, 1), stepMs: 20, seed: 99 });
      await produceRecords(client, input, records);
      const expected = countingOracle(records);
      const env = { ...stackSettings(), APP: unique('scale'), INPUT: input, OUTPUT: output, TABLE: `${schema}.counts`, MAX_BYTES: '1024', SESSION_TIMEOUT: '8000' };
      const rowCount = async () => Number((await pool.query('SELECT count(*) FROM counts').catch(() => ({ rows: [{ count: 0 }] }))).rows[0].count);

      for (let i = 1; i <= 3; i++) workers.push(startWorker(`worker-${i}`, env));
      await Promise.all(workers.map((w) => w.waitFor('worker started')));
      // Let the three share the work for a moment, then kill one and add a fourth.
      await new Promise((r) => setTimeout(r, 1500));
      console.log(`before the kill: ${await rowCount()} of ${expected.length} windows`);
      workers[0].child.kill('SIGKILL');
      await workers[0].exited;
      const joiner = startWorker('worker-4', env);
      workers.push(joiner);
      await joiner.waitFor('worker started');

      const deadline = Date.now() + 180_000;
      while (Date.now() < deadline && (await rowCount()) < expected.length) await new Promise((r) => setTimeout(r, 500));
      console.log(`after the takeover: ${await rowCount()} of ${expected.length} windows`);

      const live = workers.slice(1);
      const restored = live.filter((w) => /"restoredEntries":[1-9]/.test(w.output()) && w.output().includes('state restored from changelog'));
      expect(restored.length, 'a surviving or joining worker restored state from the changelog').toBeGreaterThan(0);

      for (const w of live) w.child.kill('SIGTERM');
      for (const w of live) expect(await w.exited, `${w.name}\n${w.output().slice(-1500)}`).toBe(0);

      const table = (await pool.query('SELECT key, window_start::float8 AS window_start, count::int AS count, sum FROM counts')).rows as WindowRow[];
      expect(sortRows(table)).toEqual(expected);
      const out = await readTopic(client, output, { count: expected.length + 1, timeoutMs: 20_000 });
      const fromTopic = out.map((m) => {
        const [key, start] = m.key!.toString().split('@');
        const v = JSON.parse(m.value!.toString()) as { count: number; sum: number };
        return { key, window_start: Number(start), count: v.count, sum: v.sum };
      });
      expect(fromTopic).toHaveLength(expected.length);
      expect(sortRows(fromTopic)).toEqual(expected);
    } finally {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      await drop();
    }
  });
});
