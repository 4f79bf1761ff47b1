// `otlp-streams ingest`: the OTLP ingest gateway, until SIGTERM / SIGINT (then drains and exits 0).
import { Command, Option } from 'commander';
import { loadConfig } from './loadConfig.ts';
import type { Config } from '../config/index.ts';
import { createGateway, defaultGatewayOptions, emptyCredentials, loadCredentialsFile, loadGatewayTls, parseTokenList, type GatewayOptions, type Tenancy } from '../ingest/index.ts';
import { createKafka } from '../kafka/index.ts';

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got "${v}"`);
  return n;
};

/** Flags named as the gateway options they set; the rest are the CLI's own. */
type PassedOptions = 'partitioner' | 'delivery' | 'maxBodyBytes' | 'maxInflightBytes' | 'maxMessageBytes' | 'tenantMaxInflightBytes'
  | 'tenantItemsPerSecond' | 'tenantBytesPerSecond' | 'maxTenants' | 'maxJsonBodyBytes' | 'maxRequestRecordBytes' | 'maxAmplification'
  | 'maxRequestItems' | 'maxResourceAttributes' | 'maxGrpcStreams';

interface IngestFlags extends Pick<GatewayOptions, PassedOptions> {
  config?: string;
  host: string;
  httpPort: number;
  grpcPort: number;
  grpc: boolean;
  tracesTopic: string;
  metricsTopic: string;
  logsTopic: string;
  partitions: number;
  producers: number;
  retryAfter: number;
  tenants?: string;
  tenantHeader: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  transactionalId?: string;
}

/** The `ingest` command. */
export function ingestCommand(): Command {
  const d = defaultGatewayOptions();
  return new Command('ingest')
    .description('OTLP ingest gateway: OTLP/HTTP and OTLP/gRPC in, keyed records on otlp_spans / otlp_metrics / otlp_logs out')
    .option('-c, --config <file>', "YAML or JSON config file (Kafka connection; the gateway's credentials and TLS under ingest:)")
    .addOption(new Option('--host <address>', 'interface to listen on (0.0.0.0 to be reachable from outside a container)').env('INGEST_HOST').default(d.host))
    .option('--http-port <port>', 'OTLP/HTTP port', int, d.httpPort)
    .option('--grpc-port <port>', 'OTLP/gRPC port', int, d.grpcPort ?? 4317)
    .option('--no-grpc', 'do not serve OTLP/gRPC')
    .option('--traces-topic <topic>', 'topic for spans', d.topics.traces)
    .option('--metrics-topic <topic>', 'topic for metrics', d.topics.metrics)
    .option('--logs-topic <topic>', 'topic for logs', d.topics.logs)
    .option('--partitions <n>', 'partitions of topics created by the gateway', int, d.partitions)
    .addOption(
      new Option('--partitioner <name>', 'murmur2 = Java/kafkajs default; sarama_compat = OTel Collector default. Use what the other producers of the topics use')
        .choices(['murmur2', 'sarama_compat'])
        .default(d.partitioner),
    )
    .addOption(
      new Option('--delivery <mode>', 'transactional: a failed request leaves nothing visible to read_committed readers; idempotent: at-least-once')
        .choices(['transactional', 'idempotent'])
        .default(d.delivery),
    )
    .option('--transactional-id <id>', 'Kafka transactional id of this instance, unique across instances (default: otlp-streams-ingest-<host>-<pid>-<random>, so replicas never fence each other)')
    .option('--producers <n>', 'Kafka producers writing in parallel, each with one transaction (or send) in flight', int, d.producers)
    .option('--max-body-bytes <n>', 'largest request body after decompression (413 beyond)', int, d.maxBodyBytes)
    .option('--max-inflight-bytes <n>', 'bytes of requests handled at once (429 beyond); bounds memory', int, d.maxInflightBytes)
    .option('--max-message-bytes <n>', "cap records below the topic's max.message.bytes", int)
    .option('--max-json-body-bytes <n>', 'largest OTLP/JSON body after decompression, if below --max-body-bytes (413 beyond); parsing takes up to ~25x its size', int, d.maxJsonBodyBytes)
    .option('--max-request-record-bytes <n>', 'most bytes the Kafka records of one request may hold, resource copies included (413 beyond; default 4 x --max-body-bytes)', int)
    .option('--max-amplification <n>', "most bytes of records per byte of request body (413 beyond)", int, d.maxAmplification)
    .option('--max-request-items <n>', 'most spans, data points or log records per request (400 beyond)', int, d.maxRequestItems)
    .option('--max-resource-attributes <n>', 'most attributes of a metrics or logs resource, nested ones included (400 beyond)', int, d.maxResourceAttributes)
    .option('--max-grpc-streams <n>', 'concurrent OTLP/gRPC calls per connection', int, d.maxGrpcStreams)
    .option('--retry-after <seconds>', 'Retry-After on 429 / 503', int, d.retryAfterSeconds)
    .option('--tenants <file>', 'tenants file (tokens: {<token or sha256:hex>: tenant}, clients: {<cert CN>: tenant}, limits): authentication on, the tenant comes from the credential (also INGEST_TENANTS; tokens inline: INGEST_TENANT_TOKENS=tenant=token,...)')
    .option('--tenant-header', 'multi-tenant without authentication: require X-Scope-OrgID and put it on every record (for a gateway behind an authenticating proxy)', false)
    .option('--tls-cert <file>', 'PEM server certificate: serve OTLP/HTTP and OTLP/gRPC over TLS (also INGEST_TLS_CERT)')
    .option('--tls-key <file>', 'PEM server key (also INGEST_TLS_KEY)')
    .option('--tls-client-ca <file>', 'PEM CA bundle: every client must present a certificate it signed (mTLS); the tenants file maps certificate CNs to tenants (also INGEST_TLS_CLIENT_CA)')
    .option('--tenant-max-inflight-bytes <n>', "each tenant's share of --max-inflight-bytes (default: a quarter of it, at least twice --max-body-bytes)", int)
    .option('--tenant-items-per-second <n>', "each tenant's rate limit in spans / data points / log records per second (default: none)", int)
    .option('--tenant-bytes-per-second <n>', "each tenant's rate limit in request bytes per second (default: none)", int)
    .option('--max-tenants <n>', 'tenants whose limits are tracked at once (with --tenant-header, more get 429 until one is idle)', int, d.maxTenants)
    .action(async (flags: IngestFlags) => runIngest(flags));
}

async function runIngest(flags: IngestFlags): Promise<void> {
  const config = loadConfig({ file: flags.config });
  const tls = loadGatewayTls({
    cert: flags.tlsCert ?? config.ingest?.tls?.cert,
    key: flags.tlsKey ?? config.ingest?.tls?.key,
    clientCa: flags.tlsClientCa ?? config.ingest?.tls?.clientCa,
  });
  const gateway = createGateway(createKafka(config), {
    host: flags.host,
    httpPort: flags.httpPort,
    grpcPort: flags.grpc ? flags.grpcPort : null,
    topics: { traces: flags.tracesTopic, metrics: flags.metricsTopic, logs: flags.logsTopic },
    partitions: flags.partitions,
    partitioner: flags.partitioner,
    delivery: flags.delivery,
    transactionalId: flags.transactionalId,
    producers: flags.producers,
    maxBodyBytes: flags.maxBodyBytes,
    maxInflightBytes: flags.maxInflightBytes,
    maxMessageBytes: flags.maxMessageBytes,
    retryAfterSeconds: flags.retryAfter,
    tenancy: tenancyOf(flags, config),
    tls,
    tenantMaxInflightBytes: flags.tenantMaxInflightBytes,
    tenantItemsPerSecond: flags.tenantItemsPerSecond,
    tenantBytesPerSecond: flags.tenantBytesPerSecond,
    maxTenants: flags.maxTenants,
    maxJsonBodyBytes: flags.maxJsonBodyBytes,
    maxRequestRecordBytes: flags.maxRequestRecordBytes,
    maxAmplification: flags.maxAmplification,
    maxRequestItems: flags.maxRequestItems,
    maxResourceAttributes: flags.maxResourceAttributes,
    maxGrpcStreams: flags.maxGrpcStreams,
  });
  // Listening before start(), so a SIGTERM while connecting still drains. While draining, a repeated SIGTERM (an
  // orchestrator may send several) is ignored; a second Ctrl-C gives up on the in-flight requests.
  let stopping = false;
  const stopSignal = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (!stopping) {
        stopping = true;
        resolve();
      } else if (signal === 'SIGINT') {
        console.error('[ingest] interrupted again: exiting without finishing in-flight requests');
        process.exit(130);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  const ports = await gateway.start();
  console.log(`[ingest] OTLP/HTTP on ${flags.host}:${ports.httpPort}${ports.grpcPort === null ? '' : `, OTLP/gRPC on ${flags.host}:${ports.grpcPort}`}`);
  await stopSignal;
  await gateway.stop();
  console.log('[ingest] stopped cleanly');
}

/** Authentication when credentials are configured (a tenants file, inline tokens), else X-Scope-OrgID if asked, else single-tenant. */
export function tenancyOf(flags: Pick<IngestFlags, 'tenants' | 'tenantHeader'>, config: Pick<Config, 'ingest'>): Tenancy {
  const file = flags.tenants ?? config.ingest?.tenants;
  const inline = config.ingest?.tenantTokens;
  if (file === undefined && inline === undefined) return flags.tenantHeader ? { mode: 'header' } : { mode: 'none' };
  const credentials = emptyCredentials();
  if (file !== undefined) loadCredentialsFile(file, credentials);
  if (inline !== undefined) parseTokenList(inline, 'INGEST_TENANT_TOKENS', credentials);
  if (credentials.tokens.size === 0 && credentials.clients.size === 0) throw new Error(`${file ?? 'INGEST_TENANT_TOKENS'}: no tokens and no clients`);
  return { mode: 'auth', credentials };
}
