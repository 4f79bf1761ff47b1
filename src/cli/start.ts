// `otlp-streams start` (what `npm start` runs): the main job on the local default stack — the stack, the ingest
// gateway, the topology workers and the query service — until Ctrl-C or SIGTERM, then everything it started stops
// cleanly.
import { join } from 'node:path';
import { loadConfig } from './loadConfig.ts';
import { createGateway, type Gateway } from '../ingest/index.ts';
import { createKafka } from '../kafka/index.ts';
import { QUERY_DEFAULTS, QueryService } from '../query/service.ts';
import { Worker } from '../runtime/index.ts';
import { sharedRunDir, stackDir } from '../stack/paths.ts';
import { formatProblem, loadTopologyFile } from '../topology/index.ts';
import { down, up } from './stack.ts';

export interface StartOptions {
  kafkaVersion: string;
  mode: 'auto' | 'native' | 'docker';
  gateway: boolean;
  httpPort: number;
  grpcPort: number;
  metricsPort: number;
  /** The query service's port (0: any free port); false: no query service. */
  queryPort: number | false;
  topology: string[];
}

/**
 * What `start` runs by default: the metrics chain, its PostgreSQL sinks and the raw-point chunks. Each topology starts after the one whose
 * topic it reads, which creates it. Span metrics and the service graph feed otlp.rollup.1m through their partials, so
 * they start before the 5m level.
 */
export const METRICS_CHAIN = [
  'topologies/metrics-rollup.yaml',
  'topologies/spanmetrics.yaml',
  'topologies/servicegraph.yaml',
  'topologies/spanmetrics-rollup.yaml',
  'topologies/metrics-rollup-5m.yaml',
  'topologies/metrics-rollup-1h.yaml',
  'topologies/metrics-rollup-1d.yaml',
  'topologies/sink-postgres-1m.yaml',
  'topologies/sink-postgres-5m.yaml',
  'topologies/sink-postgres-1h.yaml',
  'topologies/sink-postgres-1d.yaml',
  'topologies/compress.yaml',
];

/** The trace topologies `start` runs too: assembly and the index (what the query service reads), and tail sampling. */
export const TRACE_TOPOLOGIES = ['topologies/trace-index.yaml', 'topologies/tail-sampling.yaml'];

/** The log topologies `start` runs too: blocks and their index (what the query service's log search reads). */
export const LOG_TOPOLOGIES = ['topologies/log-index.yaml'];

/** Every topology `start` runs by default. */
export const DEFAULT_TOPOLOGIES = [...METRICS_CHAIN, ...TRACE_TOPOLOGIES, ...LOG_TOPOLOGIES];

const say = (line: string) => console.log(`[start] ${line}`);

export async function start(opts: StartOptions): Promise<void> {
  // Topology files are checked before anything starts, so a typo costs nothing.
  const topologies = opts.topology.map((file) => {
    const loaded = loadTopologyFile(file);
    if (!loaded.ok) throw new Error(`${file} is not a valid topology:\n${loaded.problems.map(formatProblem).join('\n')}`);
    return { file, topology: loaded.topology };
  });
  const result = await up(opts);
  const config = loadConfig();
  let gateway: Gateway | undefined;
  let query: QueryService | undefined;
  const workers: Worker[] = [];
  const stopAll = async () => {
    await query?.stop().catch((err: Error) => say(`query service stop failed: ${err.message}`));
    for (const w of workers) await w.stop().catch((err: Error) => say(`worker stop failed: ${err.message}`));
    await gateway?.stop().catch((err: Error) => say(`gateway stop failed: ${err.message}`));
  };
  try {
    if (opts.gateway) {
      gateway = createGateway(createKafka(config), { httpPort: opts.httpPort, grpcPort: opts.grpcPort });
      const ports = await gateway.start();
      say(`ingest gateway: OTLP/HTTP http://127.0.0.1:${ports.httpPort}/v1/{traces,metrics,logs}, OTLP/gRPC 127.0.0.1:${ports.grpcPort}`);
    }
    for (const [i, { file, topology }] of topologies.entries()) {
      const worker = new Worker({ topology, config, httpPort: opts.metricsPort === 0 ? 0 : opts.metricsPort + i });
      await worker.start();
      workers.push(worker);
      say(`topology ${topology.application} (${file}): reading ${topology.source.topic}, metrics http://127.0.0.1:${worker.httpPort}/metrics`);
    }
    if (opts.queryPort !== false) {
      // After the workers, which create the topics it reads; it answers once caught up with them.
      // Its store lives and goes with the stack's data (a new stack has new topics, whose offsets it must not resume).
      const dataDir = join(sharedRunDir(stackDir()), 'query');
      query = new QueryService(createKafka(config), config, {
        ...QUERY_DEFAULTS,
        dataDir,
        port: opts.queryPort,
        peers: [],
        tenancy: { mode: 'none' },
        ...(config.postgres ? { rollups: { url: config.postgres.url } } : {}),
        pipeline: workers.map((w) => ({ name: w.topology.application, url: `http://127.0.0.1:${w.httpPort}` })),
      });
      const port = await query.start();
      const url = `http://127.0.0.1:${port}`;
      say(`query service: ${url} — try ${url}/api/search?limit=20 (Tempo), ${url}/jaeger/api/services (Jaeger), ${url}/prometheus/api/v1/labels, ${url}/api/logs/search?q=error (logs), ${url}/loki/api/v1/labels (Loki), ${url}/readyz`);
      say(`web UI: ${url}/ui/`);
    }
  } catch (err) {
    await stopAll();
    if (!result.reused) await down();
    throw err;
  }
  say(result.reused ? 'running on the stack that was already up; Ctrl-C leaves the stack running' : 'running; Ctrl-C stops everything');
  await new Promise<void>((resolve) => {
    // Signal handlers alone do not keep Node's event loop alive.
    const keepAlive = setInterval(() => {}, 60_000);
    const stop = (signal: string) => {
      clearInterval(keepAlive);
      say(`${signal}: shutting down`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await stopAll();
  // Only what this command started is stopped.
  if (!result.reused) await down();
  say('stopped cleanly');
}
