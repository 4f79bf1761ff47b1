// `otlp-streams run <file>`: one worker of a topology file's consumer group, until SIGTERM / SIGINT.
import { Command } from 'commander';
import { loadConfig } from './loadConfig.ts';
import { componentLogger } from '../log.ts';
import { Worker } from '../runtime/index.ts';
import { DEFAULT_COMMIT_INTERVAL_MS } from '../runtime/worker.ts';
import { formatProblem, loadTopologyFile, parseDuration } from '../topology/index.ts';

export interface RunFlags {
  config?: string;
  httpPort: number;
  group?: string;
  idleFlush?: number;
  commitInterval?: number;
  sessionTimeout?: number;
}

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`expected a port number, got "${v}"`);
  return n;
};

const idleFlush = (v: string): number => {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) throw new Error(`--idle-flush: expected a duration like "30s", got "${v}"`);
  return ms;
};

const commitInterval = (v: string): number => {
  const ms = parseDuration(v);
  if (ms === undefined) throw new Error(`--commit-interval: expected a duration like "100ms" or 0, got "${v}"`);
  return ms;
};

const sessionTimeout = (v: string): number => {
  const ms = parseDuration(v);
  if (ms === undefined || ms < 6000) throw new Error(`--session-timeout: expected a duration of at least 6s (the broker's minimum), got "${v}"`);
  return ms;
};

/** Loads the topology and the config, starts a worker, and stops it cleanly on SIGTERM / SIGINT. */
export async function runTopology(file: string, flags: RunFlags): Promise<void> {
  const loaded = loadTopologyFile(file);
  if (!loaded.ok) {
    for (const problem of loaded.problems) console.error(formatProblem(problem));
    process.exit(1);
  }
  const config = loadConfig({ file: flags.config });
  const { topology } = loaded;
  const log = componentLogger('run', { application: topology.application, file });
  const worker = new Worker({ topology, config, groupId: flags.group, transactionalIdPrefix: flags.group, httpPort: flags.httpPort, idleFlushMs: flags.idleFlush, commitIntervalMs: flags.commitInterval, sessionTimeout: flags.sessionTimeout });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    try {
      await worker.stop();
      process.exit(0);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'stop failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  try {
    await worker.start();
  } catch (err) {
    await worker.stop().catch(() => {});
    throw new Error(`${file}: topology ${topology.application} could not start: ${(err as Error).message}`, { cause: err });
  }
  log.info({ input: topology.source.topic, group: worker.groupId, metrics: `http://127.0.0.1:${worker.httpPort}/metrics`, idleFlushMs: flags.idleFlush, commitIntervalMs: worker.policy.intervalMs }, 'running');
}

/** The `run` command. */
export function runCommand(): Command {
  return new Command('run')
    .description('run a topology file as one worker of its consumer group (more workers share the partitions)')
    .argument('<file>', 'topology YAML file')
    .option('-c, --config <file>', 'YAML or JSON config file (Kafka, PostgreSQL)')
    .option('--http-port <port>', '/metrics, /healthz and /readyz port (0: any free port)', port, 9464)
    .option('--group <id>', 'consumer group and transactional id prefix (default: the application id)')
    .option('--commit-interval <duration>', `commit each task's outputs, state and offsets in one transaction per interval (default: runtime.commitIntervalMs / COMMIT_INTERVAL_MS, else ${DEFAULT_COMMIT_INTERVAL_MS}ms; 0: every batch)`, commitInterval)
    .option('--session-timeout <duration>', 'how long the group waits for a worker that stopped answering (a crash) before its partitions move (default 30s)', sessionTimeout)
    .option('--idle-flush <duration>', 'close windows of partitions quiet for this long by wall clock (off by default: replays stay exact)', idleFlush)
    .action((file: string, flags: RunFlags) => runTopology(file, flags));
}
