// The stack's own lifecycle, on a second native stack in a folder of its own: up, reuse, status, down, and `start` until Ctrl-C.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, portOpen } from '../../src/stack/processes.ts';
import type { StackState } from '../../src/stack/index.ts';

const cli = join(import.meta.dirname, '../../src/cli/main.ts');
const dirs: string[] = [];
/** `start` processes of a test, killed after it if an assertion failed before they were stopped. */
const children: ChildProcess[] = [];

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'otlp-streams-lifecycle-'));
  dirs.push(dir);
  return dir;
}

function envFor(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OTLP_STREAMS_STACK_DIR: dir };
  // This test is about the processes the stack starts itself, never an external stack.
  for (const name of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'PG_URL', 'VM_URL', 'PROM_URL', 'INFLUX_URL']) delete env[name];
  return env;
}

function otlpStreams(dir: string, ...args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { env: envFor(dir), encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function readState(dir: string): StackState {
  return JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as StackState;
}

function ports(state: StackState): number[] {
  const urls = [state.schemaRegistry?.url, state.postgres?.url, state.victoriaMetrics?.url, state.prometheus?.url].filter((u): u is string => !!u);
  return [...state.kafka.brokers.map((b) => Number(b.split(':')[1])), ...urls.map((u) => Number(new URL(u).port))];
}

async function expectAllGone(state: StackState): Promise<void> {
  expect(state.processes.map((p) => p.name).sort()).toEqual(['influxdb', 'kafka', 'postgres', 'prometheus', 'schema-registry', 'victoria-metrics']);
  for (const p of state.processes) expect(isAlive(p.pid), `${p.name} (pid ${p.pid}) still running`).toBe(false);
  for (const port of ports(state)) expect(await portOpen(port), `port ${port} still open`).toBe(false);
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) {
    if (existsSync(join(dir, 'stack.json'))) otlpStreams(dir, 'stack', 'down');
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('otlp-streams stack', () => {
  it('up starts every component, a second up reuses it, status reports it, down leaves no process running', async () => {
    const dir = freshDir();
    const first = otlpStreams(dir, 'stack', 'up', '--mode', 'native');
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/ready in [\d.]+ s \((warm|cold) start, native, Kafka 3\.9\.1\)/);
    expect(first.out).toMatch(/KAFKA_BROKERS=127\.0\.0\.1:\d+/);
    const state = readState(dir);
    for (const p of state.processes) expect(isAlive(p.pid), p.name).toBe(true);

    const second = otlpStreams(dir, 'stack', 'up', '--mode', 'native');
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain('(reused, native');
    expect(readState(dir).processes.map((p) => p.pid)).toEqual(state.processes.map((p) => p.pid));

    const status = otlpStreams(dir, 'stack', 'status');
    expect(status.code, status.out).toBe(0);
    expect(status.out.match(/^\s+up\s/gm)).toHaveLength(6);

    const down = otlpStreams(dir, 'stack', 'down');
    expect(down.code, down.out).toBe(0);
    await expectAllGone(state);
    expect(existsSync(join(dir, 'stack.json'))).toBe(false);
    expect(otlpStreams(dir, 'stack', 'status').code).toBe(1);
  });

  it('start (the README run command) runs stack, gateway, rollup, trace index, log index and query service until Ctrl-C, then stops what it started and exits 0', async () => {
    const dir = freshDir();
    const child = spawn(process.execPath, [cli, 'start', '--mode', 'native', '--http-port', '0', '--grpc-port', '0', '--metrics-port', '0'], {
      env: envFor(dir),
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: join(import.meta.dirname, '../..'),
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 240_000;
    while (!out.includes('[start] running') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    expect(out).toContain('[start] running; Ctrl-C stops everything');
    const state = readState(dir);
    for (const p of state.processes) expect(isAlive(p.pid), p.name).toBe(true);

    // The main job end to end: OTLP/HTTP into the gateway, the 1-minute rollup into PostgreSQL.
    const gateway = /OTLP\/HTTP (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
    expect(gateway, out).toBeDefined();
    // A recent minute: the 1m table keeps 7 days (older windows are not written), and Kafka dates rollups when written.
    const minute = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
    const gauge = (ms: number, value: number) => ({
      resourceMetrics: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cart' } }] },
        scopeMetrics: [{ scope: { name: 'lifecycle-test' }, metrics: [{ name: 'queue_depth', gauge: { dataPoints: [{ timeUnixNano: `${ms}000000`, asDouble: value }] } }] }],
      }],
    });
    for (const [ms, value] of [[minute + 1_000, 2], [minute + 30_000, 4], [minute + 59_000, 9], [minute + 180_000, 1]]) {
      const res = await fetch(`${gateway}/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(gauge(ms, value)) });
      expect(res.status, await res.text()).toBe(200);
    }
    const pool = new pg.Pool({ connectionString: state.postgres!.url });
    let rows: Array<{ count: string; sum: number; min: number; max: number }> = [];
    for (const until = Date.now() + 60_000; Date.now() < until && rows.length === 0; await new Promise((r) => setTimeout(r, 500))) {
      rows = (await pool.query('SELECT count, sum, min, max FROM rollup_1m WHERE window_start = to_timestamp($1 / 1000.0)', [minute]).catch(() => ({ rows: [] }))).rows;
    }
    await pool.end();
    expect(rows.map((r) => ({ ...r, count: Number(r.count) }))).toEqual([{ count: 3, sum: 15, min: 2, max: 9 }]);

    // Traces end to end: a trace into the gateway, assembled and indexed by trace-index, served by the query service.
    // Stream time moves per partition, so one-span "clock" traces on many trace ids (every partition gets some) come
    // a minute later — the trace goes quiet and is written — and two minutes later — its index segment is written.
    const query = /query service: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(query, out).toBeDefined();
    const span = (traceId: string, spanId: string, service: string, ms: number) => ({
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'lifecycle-test' }, spans: [{ traceId, spanId, name: 'GET /cart', kind: 2, startTimeUnixNano: `${ms}000000`, endTimeUnixNano: `${ms + 25}000000` }] }],
      }],
    });
    const traceId = '5eed0000000000000000000000000001';
    const sent = Date.now() - 3_600_000;
    const post = async (body: unknown) => {
      const res = await fetch(`${gateway}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, await res.text()).toBe(200);
    };
    await post(span(traceId, '5eed000000000001', 'lifecycle-cart', sent));
    for (const later of [60_000, 120_000]) {
      for (let i = 0; i < 48; i++) await post(span(`c10c${later}${String(i).padStart(4, '0')}`.padEnd(32, '0'), 'c10c000000000001', 'clock', sent + later));
    }
    let found: { status: number; body: string } = { status: 0, body: '' };
    for (const until = Date.now() + 90_000; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
      const res = await fetch(`${query}/api/search?tags=${encodeURIComponent('service.name=lifecycle-cart')}&limit=5`).catch(() => undefined);
      found = res ? { status: res.status, body: await res.text() } : found;
      if (found.status === 200 && found.body.includes(traceId.replace(/^0+/, ''))) break;
    }
    expect(found.body, out.slice(-4000)).toContain(traceId.replace(/^0+/, ''));
    const byId = await fetch(`${query}/api/traces/${traceId}`);
    expect(byId.status).toBe(200);
    expect(JSON.stringify(await byId.json())).toContain('lifecycle-cart');

    // Logs end to end: a log of the trace into the gateway, written and indexed by log-index once a later record of
    // the same resource (the same partition) moves stream time past the flush, then found by the trace's logs and a search.
    const log = (ms: number, body: string, withTrace: boolean) => ({
      resourceLogs: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'lifecycle-cart' } }] },
        scopeLogs: [{ scope: { name: 'lifecycle-test' }, logRecords: [{ timeUnixNano: `${ms}000000`, severityNumber: 17, severityText: 'ERROR', body: { stringValue: body }, ...(withTrace ? { traceId, spanId: '5eed000000000001' } : {}) }] }],
      }],
    });
    for (const [ms, body, withTrace] of [[sent, 'cart checkout failed: card declined', true], [sent + 60_000, 'clock tick', false]] as const) {
      const res = await fetch(`${gateway}/v1/logs`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(log(ms, body, withTrace)) });
      expect(res.status, await res.text()).toBe(200);
    }
    let logs = '';
    for (const until = Date.now() + 90_000; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
      const res = await fetch(`${query}/api/logs/trace/${traceId}`).catch(() => undefined);
      logs = res?.status === 200 ? await res.text() : logs;
      if (logs.includes('card declined')) break;
    }
    expect(logs, out.slice(-4000)).toContain('card declined');
    const search = await fetch(`${query}/api/logs/search?q=${encodeURIComponent('"card declined" AND service:lifecycle-cart')}`);
    expect(await search.text()).toContain('cart checkout failed');

    child.kill('SIGINT');
    expect(await exited, out).toBe(0);
    expect(out).toContain('[start] stopped cleanly');
    await expectAllGone(state);
  });
});
