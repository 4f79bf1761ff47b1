// A point dated centuries ahead does not stop a partition: it goes to the late topic with its reason, never moves
// stream time, and every window of its partition is still written exactly (table and output topic).
import { afterAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { countingInput, countingOracle, countingTopology, KEEP_RECORDS } from '../fixtures/counting.ts';
import { expectOracleResults, waitForTable } from '../helpers/countingResults.ts';
import { readTopic } from '../helpers/consume.ts';
import { produceRecords } from '../helpers/produce.ts';
import { createTopic, kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';

describe('runtime: event-time bounds', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('sends a point dated year 2500 to the late topic; its partition goes on and equals the oracle', async () => {
    const client = kafka();
    const input = await createTopic('future-in', 2, KEEP_RECORDS);
    const output = await createTopic('future-out', 2, KEEP_RECORDS);
    const { pool, schema, drop } = await pgSchema();
    cleanups.push(drop);
    const records = countingInput({ records: 3000, keys: 10, partitions: 2, base: Date.UTC(2026, 0, 1), stepMs: 100, seed: 25 });
    const future = { key: 'k0', partition: 0, timestamp: Date.UTC(2500, 0, 1), value: 7 };
    await produceRecords(client, input, records.slice(0, 1000));
    await produceRecords(client, input, [future]);
    await produceRecords(client, input, records.slice(1000));
    const expected = countingOracle(records);

    const application = unique('future');
    const worker = new Worker({ topology: countingTopology({ application, input, output, table: `${schema}.counts` }), config: resolveConfig([envLayer(stackSettings())]) });
    cleanups.push(() => worker.stop());
    await worker.start();
    expect(await waitForTable(pool, expected.length, 90_000)).toBe(expected.length);
    await expectOracleResults(pool, client, output, expected);

    const late = await readTopic(client, `${application}.late`, { count: 1, timeoutMs: 20_000 });
    expect(late).toHaveLength(1);
    expect(late[0].key?.toString()).toBe('k0');
    expect(late[0].headers?.['late.reason']?.toString()).toContain('leads the wall clock');
    expect(late[0].headers?.['late.source.partition']?.toString()).toBe('0');
    expect(Number(JSON.parse(late[0].value!.toString()).eventTime)).toBe(future.timestamp);
  });
});
