// `otlp-streams query`: the query service (Tempo, Jaeger and Prometheus-metadata APIs over the materialized
// otlp.traces, otlp.index and otlp.series topics), until SIGTERM / SIGINT.
import { Command, Option } from 'commander';
import { loadConfig } from './loadConfig.ts';
import { tenancyOf } from './ingest.ts';
import { createKafka } from '../kafka/index.ts';
import { parsePartitions } from '../query/materialize.ts';
import { parsePipelineTargets } from '../query/pipeline/health.ts';
import { QUERY_DEFAULTS, QueryService } from '../query/service.ts';

interface QueryFlags {
  config?: string;
  host: string;
  port: number;
  dataDir: string;
  partitions?: string;
  peers?: string;
  tracesTopic: string;
  indexTopic: string;
  seriesTopic: string;
  logsTopic: string;
  tenants?: string;
  tenantHeader: boolean;
  postgres?: string;
  postgresSchema?: string;
  pipeline?: string;
}

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`expected a port number, got "${v}"`);
  return n;
};

/** Peer base URLs: http(s)://host:port, comma-separated. */
export function parsePeers(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((p) => {
    let url: URL;
    try {
      url = new URL(p);
    } catch {
      throw new Error(`--peers: "${p}" is not a URL (expected http://host:port)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--peers: "${p}" must be http:// or https://`);
    return url.origin;
  });
}

/** The `query` command. */
export function queryCommand(): Command {
  return new Command('query')
    .description('query service: materializes otlp.traces, otlp.logs.blocks, otlp.index and otlp.series into a local store and answers Tempo, Jaeger, Loki, log search and Prometheus-metadata queries')
    .option('-c, --config <file>', 'YAML or JSON config file (Kafka and schema registry connection; tenants under ingest:)')
    .addOption(new Option('--host <address>', 'interface to listen on').env('QUERY_HOST').default(QUERY_DEFAULTS.host))
    .option('--port <port>', "HTTP port (Tempo's default)", port, QUERY_DEFAULTS.port)
    .option('--data-dir <dir>', 'directory of the local store (LMDB); kept across restarts, which resume from its offsets', QUERY_DEFAULTS.dataDir)
    .option('--partitions <list>', 'partitions of the traces and index topics this replica serves, e.g. 0-3,7 (default: all)')
    .option('--peers <urls>', 'the other replicas, e.g. http://a:3200,http://b:3200: queries are answered by all and merged')
    .option('--traces-topic <topic>', 'compacted traces topic', QUERY_DEFAULTS.topics.traces)
    .option('--index-topic <topic>', 'compacted index topic', QUERY_DEFAULTS.topics.index)
    .option('--series-topic <topic>', "series catalog topic ('' to serve no Prometheus metadata)", QUERY_DEFAULTS.topics.series)
    .option('--logs-topic <topic>', "compacted log blocks topic ('' to serve no logs)", QUERY_DEFAULTS.topics.logs)
    .option('--tenants <file>', 'tenants file (tokens: {<token or sha256:hex>: tenant}): authentication on, the tenant comes from the bearer token, 401 without (also INGEST_TENANTS / INGEST_TENANT_TOKENS)')
    .option('--postgres <url>', "the PostgreSQL sinks' database, for metric charts and the service graph (default: the configured PG_URL; '' for none)")
    .option('--postgres-schema <schema>', "the schema of the sinks' tables (default: the connection's search path)")
    .option('--pipeline <targets>', 'topology processes whose health the web UI shows: name=http://host:metrics-port,… (otlp-streams start passes its own)')
    .option('--tenant-header', 'multi-tenant without authentication: require X-Scope-OrgID (behind an authenticating proxy)', false)
    .addHelpText(
      'after',
      `
Endpoints (docs/query.md):
  Tempo       /api/traces/<id>  /api/v2/traces/<id>  /api/search  /api/search/tags  /api/search/tag/<tag>/values
  Analysis    /api/traces/<id>/analysis (span tree, critical path, self times, error spans)
  Jaeger      /jaeger/api/services  /jaeger/api/services/<service>/operations  /jaeger/api/dependencies
  Prometheus  /prometheus/api/v1/series  /prometheus/api/v1/labels  /prometheus/api/v1/label/<name>/values
  Logs        /api/logs/search?q=  /api/logs/histogram  /api/logs/patterns  /api/logs/trace/<trace id> (docs/logs.md)
  Loki        /loki/api/v1/query_range  /loki/api/v1/query  /loki/api/v1/labels  /loki/api/v1/label/<name>/values
  Metrics     /api/metrics/query  /api/servicegraph (from the PostgreSQL sinks' rollup tables)
  Pipeline    /api/pipeline (the --pipeline processes' lag, throughput, late and dead letters, sinks, restores)
  Web UI      /ui/ (traces, service graph, logs, metrics, pipeline)
  Service     /metrics  /healthz  /readyz (200 once caught up with the end offsets seen at start; queries answer 503 until then)
Without --tenants or --tenant-header, X-Scope-OrgID (optional) picks the tenant.`,
    )
    .action(async (flags: QueryFlags) => runQuery(flags));
}

function rollupsOf(url: string | undefined, schema: string | undefined): { rollups?: { url: string; schema?: string } } {
  if (url === undefined || url === '') return {};
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`--postgres: expected a postgres:// URL, got "${url.replace(/:[^:@/]*@/, ':…@')}"`);
  return { rollups: { url, ...(schema ? { schema } : {}) } };
}

async function runQuery(flags: QueryFlags): Promise<void> {
  const config = loadConfig({ file: flags.config });
  const service = new QueryService(createKafka(config), config, {
    host: flags.host,
    port: flags.port,
    dataDir: flags.dataDir,
    partitions: flags.partitions === undefined ? undefined : parsePartitions(flags.partitions),
    peers: flags.peers === undefined ? [] : parsePeers(flags.peers),
    topics: { traces: flags.tracesTopic, index: flags.indexTopic, ...(flags.seriesTopic ? { series: flags.seriesTopic } : {}), ...(flags.logsTopic ? { logs: flags.logsTopic } : {}) },
    tenancy: tenancyOf(flags, config),
    ...rollupsOf(flags.postgres ?? config.postgres?.url, flags.postgresSchema),
    ...(flags.pipeline ? { pipeline: parsePipelineTargets(flags.pipeline) } : {}),
  });
  let stopping = false;
  const stopSignal = new Promise<void>((resolve) => {
    const onSignal = () => {
      if (stopping) process.exit(130);
      stopping = true;
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  const started = Date.now();
  const bound = await Promise.race([service.start(), stopSignal.then(() => undefined)]);
  if (bound !== undefined) {
    const base = `http://${flags.host === '0.0.0.0' ? '127.0.0.1' : flags.host}:${bound}`;
    console.log(`[query] listening on ${base}; catching up (readyz: ${base}/readyz)`);
    void service.ready.then(() => {
      const { records, spans } = service.materializer.stats();
      console.log(`[query] ready after ${records} records (${spans} spans) in ${((Date.now() - started) / 1000).toFixed(1)} s. Try:`);
      console.log(`  curl '${base}/api/search?limit=5'`);
      console.log(`  curl '${base}/api/search/tags'`);
      console.log(`  curl '${base}/jaeger/api/services'`);
      console.log(`  curl '${base}/prometheus/api/v1/labels'`);
      console.log(`  open ${base}/ui/ (the web UI)`);
    });
  }
  await stopSignal;
  await service.stop();
  console.log('[query] stopped cleanly');
}
