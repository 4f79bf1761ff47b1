// `otlp-streams run` on a topology file, as a child process against the real stack: OTLP metric records in,
// 10-second rollups out, /metrics served, and SIGTERM ends it with exit code 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { encodeMetrics, seriesId } from '../../src/otlp/index.ts';
import { gaugePoint, rollupInput } from '../../src/topology/testdata/metricPoints.ts';
import { readTopic } from '../helpers/consume.ts';
import { KEEP_RECORDS } from '../fixtures/counting.ts';
import { createTopic, kafka, stackSettings, unique } from '../helpers/stack.ts';

const BASE = Date.UTC(2026, 0, 1);

/** The example topology with this test's own application id and topics. */
function topologyFile(dir: string, application: string, input: string, output: string): string {
  const doc = parseDocument(readFileSync('topologies/rollup-10s.yaml', 'utf8'));
  doc.set('application', application);
  doc.setIn(['source', 'topic'], input);
  doc.setIn(['steps', 3, 'to', 'topic'], output);
  const file = join(dir, 'rollup.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

/** Resolves with the metrics URL the `run` command logs once the worker is up. */
function metricsUrl(child: ChildProcess, log: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        log.push(line);
        const entry = JSON.parse(line) as { msg?: string; metrics?: string };
        if (entry.msg === 'running' && entry.metrics) resolve(entry.metrics);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    child.once('exit', (code) => reject(new Error(`run exited with ${code} before it was running:\n${log.join('\n')}`)));
  });
}

describe('otlp-streams run <topology file>', () => {
  const dir = mkdtempSync(join(tmpdir(), 'topology-run-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('rolls OTLP gauge points up into 10-second summaries per series', async () => {
    const client = kafka();
    // Records carry 2026-01-01 times: keep them past the broker's 7-day time retention (see KEEP_RECORDS).
    const input = await createTopic('otlp-metrics-in', 1, KEEP_RECORDS);
    const output = await createTopic('rollup-out', 1, KEEP_RECORDS);
    const file = topologyFile(dir, unique('rollup'), input, output);

    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: input, acks: -1, messages: rollupInput(BASE).map((points) => ({ partition: 0, value: encodeMetrics(points), timestamp: String(BASE) })) });
    await producer.disconnect();

    const log: string[] = [];
    child = spawn('bin/otlp-streams', ['run', file, '--http-port', '0'], { env: { ...process.env, ...stackSettings(), LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await metricsUrl(child, log);

    const records = await readTopic(client, output, { count: 4, timeoutMs: 60_000 });
    const a = seriesId(gaugePoint('test.temperature', 'a', 0, 0));
    const b = seriesId(gaugePoint('test.temperature', 'b', 0, 0));
    type Row = { key: string; start: number };
    const rows: Row[] = records.map((m) => ({ key: m.key?.toString() ?? '', ...(JSON.parse(m.value!.toString()) as { start: number }) }));
    const byKeyAndStart = (x: Row, y: Row) => x.key.localeCompare(y.key) || x.start - y.start;
    expect(rows.sort(byKeyAndStart)).toEqual(
      [
        { key: a, start: BASE, end: BASE + 10_000, count: 2, sum: 42, min: 20, max: 22 },
        { key: a, start: BASE + 10_000, end: BASE + 20_000, count: 1, sum: 25, min: 25, max: 25 },
        { key: b, start: BASE, end: BASE + 10_000, count: 1, sum: 30, min: 30, max: 30 },
        { key: b, start: BASE + 10_000, end: BASE + 20_000, count: 1, sum: 35, min: 35, max: 35 },
      ].sort(byKeyAndStart),
    );

    const metrics = await (await fetch(url)).text();
    expect(metrics).toMatch(/otlp_streams_records_in_total\{[^}]*\} 4/);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(log.join('\n')).toContain('"msg":"stopped"');
  });
});
