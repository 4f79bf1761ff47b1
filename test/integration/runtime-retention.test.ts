// Records removed from the input log while a worker was away (retention, or an operator's delete-records): the next
// worker is restored at the committed offset, below the log start. It moves on to the log start — and only there,
// after asking the broker — and its results equal the oracle over the records that are left.
import { afterAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { countingInput, countingOracle, countingTopology, KEEP_RECORDS } from '../fixtures/counting.ts';
import { expectOracleResults, waitForTable } from '../helpers/countingResults.ts';
import { produceRecords } from '../helpers/produce.ts';
import { createTopic, kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';

describe('runtime: input records gone from the log', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('a restored task below the log start moves on to it and equals the oracle over the records left', async () => {
    const client = kafka();
    const input = await createTopic('retained-in', 1, KEEP_RECORDS);
    const output = await createTopic('retained-out', 1, KEEP_RECORDS);
    const { pool, schema, drop } = await pgSchema();
    cleanups.push(drop);
    const records = countingInput({ records: 3000, keys: 5, partitions: 1, base: Date.UTC(2026, 0, 1), stepMs: 100, seed: 31 });
    const [processed, deleted, kept] = [records.slice(0, 1000), records.slice(1000, 1500), records.slice(1500)];
    const application = unique('retained');
    const config = resolveConfig([envLayer(stackSettings())]);
    const admin = client.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());

    // A first worker processes and commits the first 1,000 records, then stops.
    await produceRecords(client, input, processed);
    const first = new Worker({ topology: countingTopology({ application, input, output, table: `${schema}.counts` }), config });
    await first.start();
    const deadline = Date.now() + 60_000;
    while ((await committedOffset(admin, application, input)) < processed.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await first.stop();
    expect(await committedOffset(admin, application, input)).toBe(processed.length);

    // The rest arrives, and the next 500 records are deleted before anyone reads them.
    await produceRecords(client, input, [...deleted, ...kept]);
    await admin.deleteTopicRecords({ topic: input, partitions: [{ partition: 0, offset: String(processed.length + deleted.length) }] });

    const expected = countingOracle([...processed, ...kept]);
    const second = new Worker({ topology: countingTopology({ application, input, output, table: `${schema}.counts` }), config });
    cleanups.push(() => second.stop());
    await second.start();
    expect(await waitForTable(pool, expected.length, 90_000)).toBeGreaterThanOrEqual(expected.length);
    await expectOracleResults(pool, client, output, expected);
  });
});

async function committedOffset(admin: ReturnType<ReturnType<typeof kafka>['admin']>, groupId: string, topic: string): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Number(committed?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
}
