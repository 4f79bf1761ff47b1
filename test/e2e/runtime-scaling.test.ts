// Scaling test: three worker processes share six partitions; one is killed and another joins mid-run.
// Results equal the oracle exactly, and the log shows state restored from the changelog by a worker taking over.
import { describe, expect, it } from 'vitest';
import { countingInput, countingOracle, KEEP_RECORDS } from '../fixtures/counting.ts';
import { expectOracleResults, tableCount, waitForTable } from '../helpers/countingResults.ts';
import { produceRecords } from '../helpers/produce.ts';
import { createTopic, kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';
import { startWorker, waitForAllCommitted, waitForCommitted, type WorkerProcess } from '../helpers/workers.ts';

describe('consumer-group scaling', () => {
  it('3 workers, one killed, one joining: nothing lost or doubled, state restored on takeover', async () => {
    const client = kafka();
    const input = await createTopic('scale-in', 6, KEEP_RECORDS);
    const output = await createTopic('scale-out', 6, KEEP_RECORDS);
    const { pool, schema, drop } = await pgSchema();
    const workers: WorkerProcess[] = [];
    try {
      const records = countingInput({ records: 60_000, keys: 60, partitions: 6, base: Date.UTC(2026, 0, 1), stepMs: 20, seed: 99 });
      await produceRecords(client, input, records);
      const expected = countingOracle(records);
      const env = { ...stackSettings(), APP: unique('scale'), INPUT: input, OUTPUT: output, TABLE: `${schema}.counts`, MAX_BYTES: '1024', SESSION_TIMEOUT: '8000' };

      for (let i = 1; i <= 3; i++) workers.push(startWorker(`worker-${i}`, env));
      await Promise.all(workers.map((w) => w.waitFor('worker started')));
      // Let the three share the work until every partition has committed (so the partitions of the one killed have
      // state in the changelog for their next owner to restore, however slow the machine), then kill one and add a fourth.
      await waitForCommitted(client, env.APP, input, (offsets) => offsets.length === 6 && offsets.every((o) => o > 0n), workers);
      await new Promise((r) => setTimeout(r, 500));
      console.log(`before the kill: ${await tableCount(pool)} of ${expected.length} windows`);
      workers[0].child.kill('SIGKILL');
      await workers[0].exited;
      const joiner = startWorker('worker-4', env);
      workers.push(joiner);
      await joiner.waitFor('worker started');

      await waitForTable(pool, expected.length, 180_000);
      console.log(`after the takeover: ${await tableCount(pool)} of ${expected.length} windows`);

      const live = workers.slice(1);
      // Stop only once every input record is committed: the table fills before the last transactions commit.
      await waitForAllCommitted(client, env.APP, input, live);
      const restored = live.filter((w) => /"restoredEntries":[1-9]/.test(w.output()) && w.output().includes('state restored from changelog'));
      expect(restored.length, 'a surviving or joining worker restored state from the changelog').toBeGreaterThan(0);

      for (const w of live) w.child.kill('SIGTERM');
      for (const w of live) expect(await w.exited, `${w.name}\n${w.output().slice(-1500)}`).toBe(0);

      await expectOracleResults(pool, client, output, expected);
    } finally {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      await drop();
    }
  });
});
