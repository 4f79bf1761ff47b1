// A commit that fails in the middle of a commit interval: each task's producer is fenced (as a new owner would)
// while it holds processed but uncommitted records. The worker discards the task, seeks the consumer back to the
// committed offset — kafkajs' own position is already past those records — and the restored task redoes them:
// the output topic and the table still equal the oracle.
import { appendFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { countingInput, countingOracle, countingTopology, KEEP_RECORDS } from '../fixtures/counting.ts';
import { tableRows, topicRows, waitForTable } from '../helpers/countingResults.ts';
import { produceRecords } from '../helpers/produce.ts';
import { createTopic, kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';

interface LogLine {
  msg?: string;
  partition?: number;
  committed?: string;
  position?: string;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('runtime: a commit fails mid-interval', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('discards the task, fetches the uncommitted records again and still equals the oracle', async () => {
    const client = kafka();
    const partitions = 3;
    const input = await createTopic('fence-in', partitions, KEEP_RECORDS);
    const output = await createTopic('fence-out', partitions, KEEP_RECORDS);
    const application = unique('fence');
    const { pool, schema, drop } = await pgSchema();
    cleanups.push(drop);
    const records = countingInput({ records: 15_000, keys: 30, partitions, base: Date.UTC(2026, 0, 1), stepMs: 40, seed: 31 });
    const expected = countingOracle(records);

    const lines: LogLine[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => {
      lines.push(JSON.parse(line) as LogLine);
      if (process.env.DEBUG_LOG) appendFileSync(process.env.DEBUG_LOG, line);
    } });
    const worker = new Worker({
      topology: countingTopology({ application, input, output, table: `${schema}.counts` }),
      config: resolveConfig([envLayer(stackSettings())]),
      // small fetches and a long interval: every commit covers many batches, and kafkajs runs far ahead of it
      maxBytesPerPartition: 4096,
      commitIntervalMs: 1000,
      logger,
    });
    cleanups.push(() => worker.stop());
    await worker.start();
    // The input arrives as a stream over a few seconds, so commits happen while records keep coming.
    const feeding = (async () => {
      for (let i = 0; i < records.length; i += 250) {
        await produceRecords(client, input, records.slice(i, i + 250));
        await new Promise((r) => setTimeout(r, 30));
      }
    })();

    // Every task has committed and holds processed records above its committed offset...
    const busy = () =>
      [...Array(partitions).keys()].every((p) => {
        const t = worker.tasks.get(p);
        return t !== undefined && t.stats.commits >= 1 && t.position > t.nextOffset;
      });
    await until('tasks with uncommitted work', busy, 60_000);
    // ...when a producer with each task's transactional id fences it, as a new owner of the partition would.
    for (let p = 0; p < partitions; p++) {
      const fencer = client.producer({ transactionalId: `${application}-${input}-${p}`, idempotent: true, maxInFlightRequests: 1 });
      await fencer.connect();
      // kafkajs sends InitProducerId with the transactional id (the fencing request) at the first transaction()
      await (await fencer.transaction()).abort();
      await fencer.disconnect();
    }

    await feeding;
    expect(await waitForTable(pool, expected.length, 90_000)).toBe(expected.length);
    const discarded = lines.filter((l) => l.msg?.includes('task discarded'));
    expect(discarded.length).toBeGreaterThanOrEqual(partitions);
    // The fenced commits dropped processed work that had not committed: only the seek brings it back.
    expect(discarded.some((l) => BigInt(l.position ?? '0') > BigInt(l.committed ?? '0'))).toBe(true);
    expect(await tableRows(pool)).toEqual(expected);
    expect(await topicRows(client, output, expected.length)).toEqual(expected);
  });
});
