// Ingest gateway benchmark: `otlp-streams ingest` as its own process on the local stack's broker (acks=all,
// snappy, 6 partitions), fed pre-generated OTLP/HTTP protobuf trace requests (seeded shop traffic, 500 spans each).
//   1. throughput: accepted spans/s with a fixed number of requests in flight (median of several runs), for both
//      delivery modes (transactional = default, idempotent);
//   2. latency: p50 / p99 / max over >= 1,000 requests sent open-loop at half the measured throughput;
//   3. peak RSS of the gateway process (VmHWM);
//   4. baseline in the same run: a plain kafkajs idempotent producer writing the same pre-split records.
// Authentication is on, as at an internet edge: a tenants file with one bearer token that every request carries, so
// token lookup and the tenant's share of the in-flight budget are part of the figures (BENCH_AUTH=0: off).
// `BENCH_PROFILE=1 npm run bench -- gateway` also writes a CPU profile of the gateway (node --cpu-prof) and prints its top self times.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'node:http';
import { CompressionTypes } from '../src/kafka/kafkajs.ts';
import type { Kafka } from 'kafkajs';
import { Traffic } from '../src/gen/index.ts';
import { createKafka } from '../src/kafka/index.ts';
import { envLayer, resolveConfig } from '../src/config/index.ts';
import { murmur2, splitTraces } from '../src/otlp/index.ts';
import { stackDown, stackEnv, stackUp } from '../src/stack/index.ts';
import { freePort } from '../src/stack/processes.ts';
import { median, quantile, report, type BenchResult } from './report.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SPANS_PER_REQUEST = 500;
const BODIES = 120;
const IN_FLIGHT = 16;
const RUNS = 3;
const RUN_SECONDS = 8;
const LATENCY_REQUESTS = 1200;
const profile = process.argv.includes('--profile') || process.env.BENCH_PROFILE === '1';
const AUTH = process.env.BENCH_AUTH !== '0';
const TOKEN = randomBytes(24).toString('base64url');
const authorization: Record<string, string> = AUTH ? { Authorization: `Bearer ${TOKEN}` } : {};

/** A tenants file for the gateway: one token of tenant `bench` (the gateway hashes it on load). */
function tenantsFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-gateway-')), 'tenants.yaml');
  writeFileSync(file, `tokens:\n  ${TOKEN}: bench\n`);
  return file;
}

const log = (line: string) => console.log(`[gateway] ${line}`);

interface Body {
  bytes: Buffer;
  spans: number;
}

function generateBodies(): Body[] {
  const traffic = new Traffic({ seed: 1, startMs: 1_767_225_600_000 });
  return Array.from({ length: BODIES }, () => {
    const t = traffic.encodedTraces(SPANS_PER_REQUEST);
    return { bytes: t.traces, spans: t.spans };
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

// One POST with node:http (less client overhead than fetch); resolves with status and milliseconds.
function post(port: number, body: Buffer): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent, headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length, ...authorization } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface GatewayProc {
  proc: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

async function startGateway(brokers: string, delivery: string, profileDir?: string): Promise<GatewayProc> {
  const port = await freePort();
  const suffix = randomBytes(3).toString('hex');
  const args = ['ingest', '--no-grpc', '--http-port', String(port), '--delivery', delivery, '--partitions', '6',
    '--traces-topic', `bench-spans-${suffix}`, '--metrics-topic', `bench-metrics-${suffix}`, '--logs-topic', `bench-logs-${suffix}`,
    '--transactional-id', `bench-gateway-${suffix}`, ...(AUTH ? ['--tenants', tenantsFile()] : [])];
  const env = { ...process.env, KAFKA_BROKERS: brokers, LOG_LEVEL: 'warn', NODE_OPTIONS: profileDir ? `--cpu-prof --cpu-prof-dir=${profileDir}` : '' };
  const proc = spawn(join(root, 'bin', 'otlp-streams'), args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) break;
    } catch {
      /* starting */
    }
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error('gateway did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    proc, port,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Accepted spans/s with IN_FLIGHT requests outstanding for `seconds`. */
async function throughput(port: number, bodies: Body[], seconds: number): Promise<{ spansPerSecond: number; spans: number; refused: number }> {
  let spans = 0;
  let refused = 0;
  let next = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        const body = bodies[next++ % bodies.length];
        const { status } = await post(port, body.bytes);
        if (status === 200) spans += body.spans;
        else refused++;
      }
    }),
  );
  return { spansPerSecond: spans / ((performance.now() - t0) / 1000), spans, refused };
}

/** Latencies of `count` requests sent open-loop at `spansPerSecond`. */
async function latencies(port: number, bodies: Body[], spansPerSecond: number, count: number): Promise<{ ms: number[]; refused: number }> {
  const intervalMs = (SPANS_PER_REQUEST / spansPerSecond) * 1000;
  const pending: Array<Promise<{ status: number; ms: number }>> = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(post(port, bodies[i % bodies.length].bytes));
  }
  const results = await Promise.all(pending);
  return { ms: results.filter((r) => r.status === 200).map((r) => r.ms), refused: results.filter((r) => r.status !== 200).length };
}

// utime + stime of a process in seconds (clock ticks of 1/100 s on Linux).
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

/** The same records the gateway writes, produced by a plain idempotent kafkajs producer (acks=all, snappy). */
async function baseline(kafka: Kafka, bodies: Body[], seconds: number): Promise<number> {
  const topic = `bench-baseline-${randomBytes(3).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const batches = bodies.map((b) => ({ spans: b.spans, messages: splitTraces(b.bytes).map((r) => ({ key: r.key, value: r.value, partition: murmur2.partition(r.key, 6) })) }));
  let spans = 0;
  let i = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    // Several requests per send, like the gateway's group commit under load.
    const group = [0, 1, 2, 3].map(() => batches[i++ % batches.length]);
    await producer.send({ topic, acks: -1, compression: CompressionTypes.Snappy, messages: group.flatMap((g) => g.messages) });
    spans += group.reduce((n, g) => n + g.spans, 0);
  }
  const rate = spans / ((performance.now() - t0) / 1000);
  await producer.disconnect();
  return rate;
}

function summarizeProfile(dir: string): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return log('no CPU profile written');
  const profileData = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
    samples: number[];
    timeDeltas: number[];
  };
  const selfUs = new Map<number, number>();
  profileData.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profileData.timeDeltas[i] ?? 0)));
  const byFn = new Map<string, number>();
  let total = 0;
  for (const node of profileData.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.startsWith('file://') ? `${relative(root, fileURLToPath(url))}:${lineNumber + 1}` : url || 'native';
    const key = `${functionName || '(anonymous)'} ${where}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  log(`CPU profile ${join(dir, file)} — top self time:`);
  for (const [fn, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 20)) log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${fn}`);
}

async function main(): Promise<void> {
  const up = await stackUp({ log });
  const brokers = up.state.kafka.brokers.join(',');
  const kafka = createKafka(resolveConfig([envLayer(stackEnv(up.state))]), { clientId: 'bench-gateway' });
  const bodies = generateBodies();
  const bytesPerSpan = bodies.reduce((n, b) => n + b.bytes.length, 0) / bodies.reduce((n, b) => n + b.spans, 0);
  log(`${BODIES} requests of ${SPANS_PER_REQUEST} spans, ${bytesPerSpan.toFixed(0)} bytes/span, authentication ${AUTH ? 'on (bearer token)' : 'off'}`);
  const results: BenchResult[] = [];
  const profileDir = profile ? join(root, 'bench', 'results', 'gateway-profile') : undefined;
  if (profileDir) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  try {
    for (const delivery of ['transactional', 'idempotent']) {
      const gw = await startGateway(brokers, delivery, delivery === 'transactional' ? profileDir : undefined);
      try {
        await throughput(gw.port, bodies, 2); // warm-up: JIT, connections, topic metadata
        const runs: number[] = [];
        let refused = 0;
        let spans = 0;
        const cpuBefore = cpuSeconds(gw.proc.pid!);
        for (let r = 0; r < RUNS; r++) {
          const t = await throughput(gw.port, bodies, RUN_SECONDS);
          runs.push(t.spansPerSecond);
          refused += t.refused;
          spans += t.spans;
          log(`${delivery} run ${r + 1}: ${Math.round(t.spansPerSecond).toLocaleString('en-US')} spans/s${t.refused ? `, ${t.refused} refused` : ''}`);
        }
        const cpuPerSpanUs = ((cpuSeconds(gw.proc.pid!) - cpuBefore) / spans) * 1e6;
        const rate = median(runs);
        results.push(
          { metric: `${delivery}: accepted spans/s (median of ${RUNS} × ${RUN_SECONDS} s, ${IN_FLIGHT} in flight)`, value: Math.round(rate), unit: 'spans/s' },
          // Load-independent cost: the gateway's own CPU time per span, and what one core would carry at that cost.
          { metric: `${delivery}: gateway CPU time per span`, value: Math.round(cpuPerSpanUs * 100) / 100, unit: 'µs' },
          { metric: `${delivery}: spans/s one gateway core could carry (1 s ÷ CPU per span)`, value: Math.round(1e6 / cpuPerSpanUs), unit: 'spans/s' },
        );
        if (refused > 0) results.push({ metric: `${delivery}: refused requests during throughput runs`, value: refused, unit: 'requests' });
        const lat = await latencies(gw.port, bodies, rate / 2, LATENCY_REQUESTS);
        log(`${delivery} at ${Math.round(rate / 2).toLocaleString('en-US')} spans/s: ${lat.ms.length} requests`);
        results.push(
          { metric: `${delivery}: p50 latency at half rate (${lat.ms.length} requests)`, value: Math.round(quantile(lat.ms, 0.5) * 10) / 10, unit: 'ms' },
          { metric: `${delivery}: p99 latency at half rate`, value: Math.round(quantile(lat.ms, 0.99) * 10) / 10, unit: 'ms' },
          { metric: `${delivery}: max latency at half rate`, value: Math.round(Math.max(...lat.ms) * 10) / 10, unit: 'ms' },
          { metric: `${delivery}: gateway peak RSS`, value: peakRssMb(gw.proc.pid!), unit: 'MB' },
        );
        if (lat.refused > 0) results.push({ metric: `${delivery}: refused requests at half rate`, value: lat.refused, unit: 'requests' });
      } finally {
        await gw.stop();
      }
    }
    const base = await baseline(kafka, bodies, RUN_SECONDS);
    const gatewayRate = results[0].value;
    results.push(
      { metric: 'baseline: kafkajs idempotent producer, same records', value: Math.round(base), unit: 'spans/s' },
      { metric: 'ratio: gateway (transactional) ÷ baseline', value: Math.round((gatewayRate / base) * 100) / 100, unit: '×' },
      { metric: 'request size', value: Math.round(bytesPerSpan), unit: 'bytes/span' },
    );
  } finally {
    agent.destroy();
    if (!up.reused) await stackDown();
  }
  if (profileDir) summarizeProfile(profileDir);
  report('gateway', results);
}

await main();
