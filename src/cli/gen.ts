// `otlp-streams gen`: seeded, realistic OTLP traffic to the gateway or straight to Kafka, with progress.
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { registerSecret } from '../config/index.ts';
import { loadConfig } from './loadConfig.ts';
import { runGen, type GenStats, type GenTarget } from '../gen/index.ts';
import { createKafka } from '../kafka/index.ts';
import type { Signal } from '../otlp/index.ts';
import { createOtlpProducer, type PartitionerName } from '../producer/index.ts';

const num = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`expected a non-negative number, got "${v}"`);
  return n;
};

interface GenFlags {
  config?: string;
  target: 'http' | 'kafka';
  url: string;
  signals: string;
  seed: number;
  rate: number;
  duration: number;
  spansPerRequest: number;
  concurrency: number;
  metricsInterval: number;
  partitioner: PartitionerName;
  tenant?: string;
  token?: string;
}

/** The `gen` command. */
export function genCommand(): Command {
  return new Command('gen')
    .description('generate realistic OTLP traffic (a simulated shop: traces across services, metrics of every type, logs with trace context)')
    .option('-c, --config <file>', 'YAML or JSON config file (Kafka connection, for --target kafka)')
    .addOption(new Option('--target <target>', 'http: to the gateway; kafka: straight to the topics').choices(['http', 'kafka']).default('http'))
    .option('--url <url>', 'gateway base URL (OTLP/HTTP)', 'http://127.0.0.1:4318')
    .option('--signals <list>', 'comma-separated: traces,metrics,logs', 'traces,metrics,logs')
    .option('--seed <n>', 'random seed (same seed, same traffic)', num, 1)
    .option('--rate <spans/s>', 'spans per second; 0 = as fast as possible', num, 1000)
    .option('--duration <seconds>', 'how long to run', num, 10)
    .option('--spans-per-request <n>', 'spans per trace request (whole traces)', num, 500)
    .option('--concurrency <n>', 'requests in flight', num, 4)
    .option('--metrics-interval <seconds>', 'seconds between metric collections', num, 10)
    .addOption(new Option('--partitioner <name>', 'for --target kafka').choices(['murmur2', 'sarama_compat']).default('murmur2'))
    .option('--tenant <id>', 'X-Scope-OrgID header for a multi-tenant gateway')
    .addOption(new Option('--token <token>', 'bearer token for a gateway with authentication (for https with a private CA, set NODE_EXTRA_CA_CERTS)').env('OTLP_INGEST_TOKEN'))
    .action(async (flags: GenFlags) => runGenCommand(flags));
}

async function runGenCommand(flags: GenFlags): Promise<void> {
  const signals = flags.signals.split(',').map((s) => s.trim()) as Signal[];
  const unknown = signals.filter((s) => !['traces', 'metrics', 'logs'].includes(s));
  if (unknown.length > 0) throw new Error(`--signals: unknown ${unknown.join(', ')}`);
  let target: GenTarget;
  let close = async () => {};
  if (flags.target === 'kafka') {
    const producer = createOtlpProducer({ kafka: createKafka(loadConfig({ file: flags.config })), partitioner: flags.partitioner, transactionalId: `otlp-streams-gen-${process.pid}` });
    await producer.connect();
    target = { kind: 'kafka', producer };
    close = () => producer.disconnect();
  } else {
    const headers: Record<string, string> = {};
    if (flags.tenant) headers['X-Scope-OrgID'] = flags.tenant;
    if (flags.token) {
      registerSecret(flags.token);
      headers.Authorization = `Bearer ${flags.token}`;
    }
    target = { kind: 'http', url: flags.url.replace(/\/$/, ''), headers };
  }
  const bar = process.stdout.isTTY
    ? new cliProgress.SingleBar({ format: 'gen [{bar}] {value}/{total} s | {spans} spans/s | {requests} requests, {failed} failed' }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(Math.ceil(flags.duration), 0, { spans: 0, requests: 0, failed: 0 });
  let lastLog = 0;
  const stats = await runGen({
    target,
    signals,
    seed: flags.seed,
    rate: flags.rate,
    durationSeconds: flags.duration,
    spansPerRequest: flags.spansPerRequest,
    concurrency: flags.concurrency,
    metricsIntervalSeconds: flags.metricsInterval,
    onProgress: (s, elapsed) => {
      const spansPerSecond = Math.round(s.spans / Math.max(elapsed, 0.001));
      if (bar) bar.update(Math.min(Math.floor(elapsed), Math.ceil(flags.duration)), { spans: spansPerSecond, requests: s.requests, failed: s.failed });
      else if (elapsed - lastLog >= 5) {
        lastLog = elapsed;
        console.log(`[gen] ${elapsed.toFixed(0)} s: ${summary(s)}`);
      }
    },
  }).finally(() => {
    bar?.stop();
    return close();
  });
  console.log(`[gen] done: ${summary(stats)}`);
  if (stats.failed > 0) process.exitCode = 1;
}

function summary(s: GenStats): string {
  const errors = Object.entries(s.errors).map(([k, v]) => `${k}×${v}`).join(' ');
  return `${s.requests} requests (${s.failed} failed${errors ? `: ${errors}` : ''}), ${s.spans} spans, ${s.logRecords} log records, ${s.points} points, ${(s.bytes / 1e6).toFixed(1)} MB`;
}
