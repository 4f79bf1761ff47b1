// One worker, in process: the counting topology over a seeded topic equals the oracle in the output topic and the table.
import { afterAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { countingInput, countingOracle, countingTopology, KEEP_RECORDS } from '../fixtures/counting.ts';
import { readTopic } from '../helpers/consume.ts';
import { tableRows, topicRows, waitForTable } from '../helpers/countingResults.ts';
import { produceRecords } from '../helpers/produce.ts';
import { createTopic, kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';


describe('runtime: counting topology', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('produces exactly the oracle windows to the output topic and the Postgres table, and dead-letters a poison record', async () => {
    const client = kafka();
    const input = await createTopic('count-in', 3, KEEP_RECORDS);
    const output = await createTopic('count-out', 3, KEEP_RECORDS);
    const { pool, schema, drop } = await pgSchema();
    cleanups.push(drop);
    const records = countingInput({ records: 3000, keys: 30, partitions: 3, base: Date.UTC(2026, 0, 1), stepMs: 50, seed: 7 });
    await produceRecords(client, input, records.slice(0, 1500));
    await produceRecords(client, input, [{ key: 'k1', partition: 1, timestamp: records[1500].timestamp, value: 'not-a-number' }]);
    await produceRecords(client, input, records.slice(1500));
    const expected = countingOracle(records);

    const worker = new Worker({
      topology: countingTopology({ application: unique('count'), input, output, table: `${schema}.counts` }),
      config: resolveConfig([envLayer(stackSettings())]),
      httpPort: 0,
    });
    cleanups.push(() => worker.stop());
    await worker.start();

    await waitForTable(pool, expected.length, 60_000);
    expect(await tableRows(pool)).toEqual(expected);
    expect(await topicRows(client, output, expected.length)).toEqual(expected);

    const dead = await readTopic(client, 'otlp.dlq', { quietMs: 1500 });
    const ours = dead.filter((m) => m.headers?.['dlq.source.topic']?.toString() === input);
    expect(ours).toHaveLength(1);
    expect(ours[0].value?.toString()).toBe('not-a-number');
    expect(ours[0].headers?.['dlq.error']?.toString()).toContain('not a number');

    const metrics = await (await fetch(`http://127.0.0.1:${worker.httpPort}/metrics`)).text();
    expect(metrics).toContain('otlp_streams_records_in_total');
    expect((await fetch(`http://127.0.0.1:${worker.httpPort}/readyz`)).status).toBe(200);
  });
});
