// Tenants end to end: two tenants send the same series through the gateway (X-Scope-OrgID), a YAML rollup
// topology runs on the real broker, and PostgreSQL holds separate rows per tenant; output records name their tenant.
import { afterAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { createGateway } from '../../src/ingest/index.ts';
import { registerSnappy } from '../../src/kafka/index.ts';
import { encodeMetrics, seriesId } from '../../src/otlp/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { parseTopology } from '../../src/topology/load.ts';
import { formatProblem } from '../../src/topology/problems.ts';
import { gaugePoint, rollupInput } from '../../src/topology/testdata/metricPoints.ts';
import { KEEP_RECORDS } from '../fixtures/counting.ts';
import { readTopic } from '../helpers/consume.ts';
import { createTopic, kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';

const BASE = Date.UTC(2026, 0, 1);

describe('tenants end to end', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('keep two tenants’ identical series apart from the gateway to the PostgreSQL rows', async () => {
    registerSnappy(); // the gateway compresses with snappy; createKafka registers it, the test's plain client does not
    const client = kafka();
    const metrics = await createTopic('tenant-metrics', 3, KEEP_RECORDS);
    const output = await createTopic('tenant-out', 3, KEEP_RECORDS);
    const { pool, schema, drop } = await pgSchema();
    cleanups.push(drop);

    const gateway = createGateway(client, { httpPort: 0, grpcPort: null, topics: { traces: unique('t-spans'), metrics, logs: unique('t-logs') }, partitions: 3, transactionalId: unique('gw'), tenancy: { mode: 'header' } });
    cleanups.push(() => gateway.stop());
    const { httpPort } = await gateway.start();
    // Both tenants send the same exports, interleaved, as two customers of one platform would.
    for (const points of rollupInput(BASE)) {
      for (const tenant of ['acme', 'globex']) {
        const res = await fetch(`http://127.0.0.1:${httpPort}/v1/metrics`, { method: 'POST', body: encodeMetrics(points), headers: { 'Content-Type': 'application/x-protobuf', 'X-Scope-OrgID': tenant } });
        expect(res.status, await res.clone().text()).toBe(200);
      }
    }

    const application = unique('tenant-rollup');
    const yaml = `
application: ${application}
source: {type: otlp_metrics, topic: ${metrics}}
steps:
  - filter: {name: "test.*", type: gauge}
  - window: {type: tumbling, size: 10s}
  - aggregate: {function: summary, field: value, store: rollup}
  - to: {topic: ${output}}
  - sink: {type: postgres, table: ${schema}.rollup}
`;
    const compiled = parseTopology(yaml, 'tenants.yaml');
    if (!compiled.ok) throw new Error(compiled.problems.map(formatProblem).join('\n'));
    const worker = new Worker({ topology: compiled.topology, config: resolveConfig([envLayer(stackSettings())]) });
    cleanups.push(() => worker.stop());
    await worker.start();

    const a = seriesId(gaugePoint('test.temperature', 'a', 0, 0));
    const b = seriesId(gaugePoint('test.temperature', 'b', 0, 0));
    const perTenant = [
      { key: a, window_start: BASE, count: 2, sum: 42 },
      { key: a, window_start: BASE + 10_000, count: 1, sum: 25 },
      { key: b, window_start: BASE, count: 1, sum: 30 },
      { key: b, window_start: BASE + 10_000, count: 1, sum: 35 },
    ];
    const expected = ['acme', 'globex'].flatMap((tenant) => perTenant.map((r) => ({ tenant, ...r })));
    const sortRows = (rows: typeof expected) => rows.sort((x, y) => x.tenant.localeCompare(y.tenant) || x.key.localeCompare(y.key) || x.window_start - y.window_start);

    const deadline = Date.now() + 60_000;
    let rows: typeof expected = [];
    while (rows.length < expected.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      rows = (await pool.query(`SELECT tenant, key, window_start::float8 AS window_start, count::int AS count, sum FROM ${schema}.rollup`).catch(() => ({ rows: [] }))).rows as typeof expected;
    }
    expect(sortRows(rows)).toEqual(sortRows(expected));

    const records = await readTopic(client, output, { count: expected.length, timeoutMs: 30_000 });
    const seen = records.map((m) => ({ tenant: m.headers?.tenant?.toString(), key: m.key?.toString() })).sort((x, y) => `${x.tenant}${x.key}`.localeCompare(`${y.tenant}${y.key}`));
    expect(seen).toEqual(sortRows(expected).map((r) => ({ tenant: r.tenant, key: `${r.tenant}/${r.key}` })));
  });
});
