// Crash test: a worker process counting and summing per key is killed with SIGKILL at random moments and
// restarted; the output topic (read committed) and the Postgres table equal the oracle exactly. Every other kill
// waits until the worker has committed since the previous one (or everything), so state is in the changelog
// whatever the machine's speed (a kill before any commit, e.g. during start-up on a busy machine, leaves nothing to
// restore); the others land at a moment of the clock alone (during start-up, restore or a commit).
import { describe, expect, it } from 'vitest';
import { countingInput, countingOracle, KEEP_RECORDS } from '../fixtures/counting.ts';
import { expectOracleResults, tableCount, waitForTable } from '../helpers/countingResults.ts';
import { produceRecords } from '../helpers/produce.ts';
import { createTopic, kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';
import { seededRandom, startWorker, waitForAllCommitted, waitForProgress } from '../helpers/workers.ts';

describe('exactly-once under SIGKILL', () => {
  it('survives 5 kills at random moments with nothing missing and nothing counted twice', async () => {
    const client = kafka();
    const input = await createTopic('crash-in', 6, KEEP_RECORDS);
    const output = await createTopic('crash-out', 6, KEEP_RECORDS);
    const { pool, schema, drop } = await pgSchema();
    try {
      const records = countingInput({ records: 60_000, keys: 60, partitions: 6, base: Date.UTC(2026, 0, 1), stepMs: 20, seed: 2026 });
      await produceRecords(client, input, records);
      const expected = countingOracle(records);
      const env = { ...stackSettings(), APP: unique('crash'), INPUT: input, OUTPUT: output, TABLE: `${schema}.counts`, MAX_BYTES: '2048', SESSION_TIMEOUT: '8000' };

      const random = seededRandom(42);
      let restoredWithState = 0;
      let committed = 0n;
      for (let kill = 1; kill <= 5; kill++) {
        const worker = startWorker(`worker-${kill}`, env);
        await worker.waitFor('worker started');
        // More than before, or all of it: a worker that finished its input (a fast machine) commits no more.
        if (kill % 2 === 1) committed = await waitForProgress(client, env.APP, input, committed, [worker]);
        await new Promise((r) => setTimeout(r, 200 + random() * 1000));
        worker.child.kill('SIGKILL');
        await worker.exited;
        if (worker.output().includes('state restored from changelog')) restoredWithState++;
        console.log(`kill ${kill}: ${await tableCount(pool)} of ${expected.length} windows in the table`);
      }

      const last = startWorker('worker-final', env);
      await last.waitFor('worker started');
      if ((await waitForTable(pool, expected.length, 180_000)) < expected.length) console.log(`final worker did not finish:\n${last.output().slice(-6000)}`);
      // Stop only once every input record is committed: the table fills before the last transactions commit.
      await waitForAllCommitted(client, env.APP, input, [last]);
      last.child.kill('SIGTERM');
      expect(await last.exited, last.output().slice(-2000)).toBe(0);
      if (last.output().includes('state restored from changelog')) restoredWithState++;
      expect(restoredWithState).toBeGreaterThan(0);

      await expectOracleResults(pool, client, output, expected);
    } finally {
      await drop();
    }
  });
});
