// PostgreSQL failing under a running worker: stopped for a minute and restarted, unreachable from the start, and
// refusing single rows. Each must end in "paused, then resumed with nothing lost" (or a paused worker with clear
// logs), never in a crashed or silently hung worker; a refused row goes to the dead-letter topic with the answer.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { DLQ_HEADERS, DLQ_TOPIC } from '../../src/dlq/index.ts';
import { topology, Worker } from '../../src/runtime/index.ts';
import { postgresSink } from '../../src/sinks/postgres/upsertSink.ts';
import { SINK_HEADER } from '../../src/sinks/util/index.ts';
import { readState, settingsFile } from '../../src/stack/index.ts';
import { postgresBinDir } from '../../src/stack/prerequisites.ts';
import { freePort } from '../../src/stack/processes.ts';
import { countingInput, countingOracle, KEEP_RECORDS } from '../fixtures/counting.ts';
import { readTopic } from '../helpers/consume.ts';
import { expectOracleResults, tableCount, waitForTable } from '../helpers/countingResults.ts';
import { produceRecords } from '../helpers/produce.ts';
import { createTopic, kafka, pgSchema, stackSettings, unique } from '../helpers/stack.ts';
import { startWorker, waitForAllCommitted } from '../helpers/workers.ts';
import { gaugeRollup, preparedCodec } from '../fixtures/rollupRecords.ts';

const exec = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stack's PostgreSQL, stopped and started with pg_ctl the way the stack runs it (native stack only). */
function stackPostgres() {
  const state = readState();
  const proc = state?.processes.find((p) => p.name === 'postgres' && p.dataDir);
  const bin = postgresBinDir();
  if (state?.mode !== 'native' || !proc?.dataDir || !bin) throw new Error('this test stops and restarts PostgreSQL with pg_ctl: it needs the native stack (npm run stack:up on a machine without Docker)');
  const dataDir = proc.dataDir;
  // The server options the stack started it with, as PostgreSQL recorded them: every argument but -D <dir>.
  const recorded = [...readFileSync(join(dataDir, 'postmaster.opts'), 'utf8').matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  const d = recorded.indexOf('-D');
  const options = recorded.filter((_, i) => i !== d && i !== d + 1).join(' ');
  const pgCtl = (args: string[]) => (process.getuid?.() === 0 ? exec('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args]) : exec(join(bin, 'pg_ctl'), args));
  const running = () => existsSync(join(dataDir, 'postmaster.pid'));
  return {
    running,
    stop: () => pgCtl(['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']),
    async start() {
      await pgCtl(['-D', dataDir, '-o', options, '-l', proc.log, '-w', '-t', '60', 'start']);
      // The stack checks its processes by pid: record the new one, so the stack is still reused as healthy.
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const current = readState();
      const entry = current?.processes.find((p) => p.name === 'postgres');
      if (current && entry) {
        entry.pid = pid;
        writeFileSync(settingsFile(), JSON.stringify(current, null, 2) + '\n');
      }
    },
  };
}

/** Resident memory of a process, MB. */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

describe('postgres sink: outages and rejections', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  // Every cleanup runs even when one fails: a failed one must not leave PostgreSQL stopped for the suites after this.
  afterAll(async () => {
    const failures: unknown[] = [];
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => failures.push(err));
    if (failures.length > 0) throw new AggregateError(failures, 'cleanup failed');
  });

  it('PostgreSQL stopped for 60 s under load: the worker pauses, memory stays bounded, it resumes, and the table and topic equal the oracle', { timeout: 420_000 }, async () => {
    const postgres = stackPostgres();
    const client = kafka();
    const partitions = 3;
    const input = await createTopic('outage-in', partitions, KEEP_RECORDS);
    const output = await createTopic('outage-out', partitions, KEEP_RECORDS);
    const { pool, schema, drop } = await pgSchema();
    cleanups.push(drop);
    // This test's own connections are dropped by the stop too; without a listener that would end the test process.
    pool.on('error', () => {});
    const records = countingInput({ records: 60_000, keys: 60, partitions, base: Date.UTC(2026, 0, 1), stepMs: 40, seed: 60 });
    const expected = countingOracle(records);
    const worker = startWorker('outage', { ...stackSettings(), APP: unique('outage'), INPUT: input, OUTPUT: output, TABLE: `${schema}.counts` });
    cleanups.push(async () => {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    });
    // Beside it, the postgres_rollup sink topology (otlp-streams run) on a rollup topic, under load as well.
    const rollupTopic = await createTopic('outage-rollup', partitions, KEEP_RECORDS);
    // 50 gauge series × 600 minutes, one integer value each: the oracle is a row count and an exact sum.
    const rollupCodec = await preparedCodec(rollupTopic, resolveConfig([envLayer(stackSettings())]));
    const rollupBase = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 12 * 3_600_000;
    const rollups = Array.from({ length: 600 * 50 }, (_, i) => ({ series: i % 50, start: rollupBase + Math.floor(i / 50) * 60_000, value: (i * 31) % 1000 }));
    const rollupMessages = rollups.map((r) => gaugeRollup(rollupCodec, { name: 'outage.gauge', resource: [{ key: 'host.name', type: 'string', value: `host-${r.series}` }], tenant: '', start: r.start, end: r.start + 60_000, values: [r.value] }));
    const dir = mkdtempSync(join(tmpdir(), 'outage-'));
    const sinkFile = join(dir, 'sink-postgres-1m.yaml');
    const rollupApp = unique('outage-rollup');
    writeFileSync(sinkFile, `application: ${rollupApp}\nsource: { type: otlp_rollup, topic: ${rollupTopic} }\nsteps:\n  - sink: { type: postgres_rollup, resolution: 1m, table: ${schema}.rollup_1m, series_table: ${schema}.otlp_series, retention: forever }\n`);
    const rollupWorker = startWorker('outage-rollup', stackSettings(), sinkFile);
    cleanups.push(async () => {
      if (rollupWorker.child.exitCode === null) rollupWorker.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    // Pushed last so it runs first: the schema drop needs PostgreSQL back.
    cleanups.push(async () => {
      if (!postgres.running()) await postgres.start();
    });
    await worker.waitFor('tasks initialised');
    await rollupWorker.waitFor('"msg":"running"');

    // Load throughout: 400 records (and 200 rollup records) every 300 ms, through the outage and past it.
    let fed = 0;
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const feeding = (async () => {
      for (let i = 0; i < records.length; i += 400) {
        await produceRecords(client, input, records.slice(i, i + 400));
        const r = (i / 400) * 200;
        if (r < rollupMessages.length) await producer.send({ topic: rollupTopic, acks: -1, messages: rollupMessages.slice(r, r + 200) });
        fed = i + 400;
        await sleep(300);
      }
      for (let r = (records.length / 400) * 200; r < rollupMessages.length; r += 5_000) await producer.send({ topic: rollupTopic, acks: -1, messages: rollupMessages.slice(r, r + 5_000) });
    })();
    // The worker writes windows while PostgreSQL is up.
    while ((await tableCount(pool)) === 0) await sleep(250);
    await sleep(2_000);
    const baseline = rssMb(worker.child.pid!);
    const rollupBaseline = rssMb(rollupWorker.child.pid!);

    await postgres.stop();
    const stoppedAt = Date.now();
    const fedAtStop = fed;
    await worker.waitFor('sink failing; partition paused until it answers', 30_000);
    await rollupWorker.waitFor('sink failing; partition paused until it answers', 30_000);
    let peak = baseline;
    let rollupPeak = rollupBaseline;
    while (Date.now() - stoppedAt < 60_000) {
      expect(worker.child.exitCode, worker.output().slice(-3000)).toBeNull();
      expect(rollupWorker.child.exitCode, rollupWorker.output().slice(-3000)).toBeNull();
      peak = Math.max(peak, rssMb(worker.child.pid!));
      rollupPeak = Math.max(rollupPeak, rssMb(rollupWorker.child.pid!));
      await sleep(1_000);
    }
    console.log(`outage: RSS ${baseline.toFixed(0)} MB before, ${peak.toFixed(0)} MB at most during (rollup sink: ${rollupBaseline.toFixed(0)} → ${rollupPeak.toFixed(0)} MB); ${fed - fedAtStop} records fed meanwhile`);
    expect(fed - fedAtStop).toBeGreaterThan(10_000); // the outage was under load
    expect(peak - baseline).toBeLessThan(200);
    expect(rollupPeak - rollupBaseline).toBeLessThan(200);
    expect(worker.output()).toContain('circuit breaker open');
    await postgres.start();

    await worker.waitFor('circuit breaker closed', 60_000);
    await worker.waitFor('partition resumed', 60_000);
    await feeding;
    if ((await waitForTable(pool, expected.length, 180_000)) < expected.length) console.log(worker.output().slice(-6000));
    await expectOracleResults(pool, client, output, expected);
    // The rollup sink: every record a row, nothing doubled (upserts), the values exact.
    await waitForAllCommitted(client, rollupApp, rollupTopic, [rollupWorker], 180_000);
    const stored = (await pool.query('SELECT count(*)::int AS n, sum(sum)::bigint AS total FROM rollup_1m')).rows[0] as { n: number; total: string };
    expect({ n: stored.n, total: Number(stored.total) }).toEqual({ n: rollups.length, total: rollups.reduce((a, r) => a + r.value, 0) });
    expect(rollupWorker.output()).toContain('partition resumed');
    rollupWorker.child.kill('SIGTERM');
    expect(await rollupWorker.exited, rollupWorker.output().slice(-2000)).toBe(0);
    expect(worker.child.exitCode).toBeNull();
    expect(worker.output()).not.toContain('consumer crashed');
    const said = (text: string) => worker.output().split('\n').filter((l) => l.includes(text)).length;
    console.log(`worker log: ${said('partition paused')} pauses, ${said('partition resumed')} resumes, ${said('sink write failed; retrying')} retry lines, ${said('circuit breaker open')} breaker openings, ${said('task discarded')} tasks discarded`);
    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.output().slice(-2000)).toBe(0);
  });

  it('PostgreSQL unreachable at start: the worker starts, pauses with clear logs, and stops cleanly', { timeout: 120_000 }, async () => {
    const client = kafka();
    const input = await createTopic('unreachable-in', 2, KEEP_RECORDS);
    const output = await createTopic('unreachable-out', 2, KEEP_RECORDS);
    const records = countingInput({ records: 3_000, keys: 10, partitions: 2, base: Date.UTC(2026, 0, 1), stepMs: 40, seed: 5 });
    await produceRecords(client, input, records);
    const nowhere = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
    const worker = startWorker('unreachable', { ...stackSettings(), PG_URL: nowhere, APP: unique('unreachable'), INPUT: input, OUTPUT: output, TABLE: 'counts' });
    cleanups.push(async () => {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    });
    await worker.waitFor('PostgreSQL unreachable at start; the tables are created at the first write');
    await worker.waitFor('worker started');
    await worker.waitFor('sink failing; partition paused until it answers');
    await worker.waitFor('circuit breaker open');
    const out = worker.output();
    expect(out).toContain('ECONNREFUSED');
    expect(out).toContain('could not create table counts');
    // Still running, still paused: nothing committed past the rows the sink has not taken.
    await sleep(3_000);
    expect(worker.child.exitCode).toBeNull();
    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.output().slice(-2000)).toBe(0);
  });

  it('a row the server refuses goes to the dead-letter topic with its answer, and the other rows land', { timeout: 120_000 }, async () => {
    const client = kafka();
    const input = await createTopic('refused-in', 2, KEEP_RECORDS);
    const { pool, schema, drop } = await pgSchema();
    cleanups.push(drop);
    const sinkName = unique('items');
    const app = topology(unique('refused'))
      .stream({ topic: input, decode: (m) => [{ key: m.key!.toString(), timestamp: Number(m.timestamp), value: m.value!.toString() }] })
      .toSink(postgresSink({ name: sinkName, table: `${schema}.items`, columns: { key: 'text', n: 'bigint' }, key: ['key'] }), (value: string, key) => ({ key, n: value }))
      .build();
    const bad = new Map([
      [57, 'abc'],
      [133, '99999999999999999999'],
    ]);
    const records = Array.from({ length: 200 }, (_, i) => ({ key: `r${i}`, partition: i % 2, timestamp: Date.UTC(2026, 0, 1) + i, value: bad.get(i) ?? String(i) }));
    await produceRecords(client, input, records);
    const worker = new Worker({ topology: app, config: resolveConfig([envLayer(stackSettings())]), logger: pino({ level: 'warn' }) });
    cleanups.push(() => worker.stop());
    await worker.start();

    expect(await waitForTable(pool, 198, 60_000, 'items')).toBe(198);
    const dead = (await readTopic(client, DLQ_TOPIC, { quietMs: 3_000, timeoutMs: 60_000 })).filter((m) => m.headers?.[SINK_HEADER]?.toString() === sinkName);
    const answers = new Map(dead.map((m) => [JSON.parse(m.value!.toString()).key as string, m.headers![DLQ_HEADERS.error]!.toString()]));
    expect([...answers.keys()].sort()).toEqual(['r133', 'r57']);
    expect(answers.get('r57')).toMatch(/^22P02 invalid input syntax for type bigint: "abc"/);
    expect(answers.get('r133')).toMatch(/^22003 .*out of range for type bigint/);
    for (const m of dead) expect(m.headers![DLQ_HEADERS.sourceTopic]!.toString()).toBe(input);
    const { rows } = await pool.query('SELECT key, n::text AS n FROM items');
    expect(rows.map((r: { key: string; n: string }) => `${r.key}=${r.n}`).sort()).toEqual(records.filter((_, i) => !bad.has(i)).map((r) => `${r.key}=${r.value}`).sort());
    const metrics = await worker.metrics.registry.getSingleMetricAsString('otlp_streams_sink_dead_letters_total');
    expect(metrics).toContain(`otlp_streams_sink_dead_letters_total{sink="${sinkName}"`);
    expect(metrics).toMatch(/} 2$/m);
  });
});
