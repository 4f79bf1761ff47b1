// `otlp-streams ingest`: the OTLP ingest gateway, until SIGTERM / SIGINT (then drains and exits 0).
import { Command, Option } from 'commander';
import { loadConfig } from './loadConfig.ts';
import { createGateway, defaultGatewayOptions, loadTokenTenancy, type GatewayOptions, type Tenancy } from '../ingest/index.ts';
import { createKafka } from '../kafka/index.ts';

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got "${v}"`);
  return n;
};

interface IngestFlags {
  config?: string;
  host: string;
  httpPort: number;
  grpcPort: number;
  grpc: boolean;
  tracesTopic: string;
  metricsTopic: string;
  logsTopic: string;
  partitions: number;
  partitioner: GatewayOptions['partitioner'];
  delivery: GatewayOptions['delivery'];
  transactionalId?: string;
  producers: number;
  maxBodyBytes: number;
  maxInflightBytes: number;
  maxMessageBytes?: number;
  retryAfter: number;
  tenants?: string;
  tenantHeader: boolean;
  maxJsonBodyBytes: number;
  maxRequestRecordBytes?: number;
  maxAmplification: number;
  maxRequestItems: number;
  maxResourceAttributes: number;
  maxGrpcStreams: number;
}

/** The `ingest` command. */
export function ingestCommand(): Command {
  const d = defaultGatewayOptions();
  return new Command('ingest')
    .description('OTLP ingest gateway: OTLP/HTTP and OTLP/gRPC in, keyed records on otlp_spans / otlp_metrics / otlp_logs out')
    .option('-c, --config <file>', 'YAML or JSON config file (Kafka connection)')
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
    .option('--tenants <file>', 'YAML/JSON "tokens: {<bearer token>: <tenant>}": require a bearer token, tenant from it')
    .option('--tenant-header', 'multi-tenant: require X-Scope-OrgID and put it on every record', false)
    .action(async (flags: IngestFlags) => runIngest(flags));
}

async function runIngest(flags: IngestFlags): Promise<void> {
  const config = loadConfig({ file: flags.config });
  let tenancy: Tenancy = { mode: 'none' };
  if (flags.tenants) tenancy = loadTokenTenancy(flags.tenants);
  else if (flags.tenantHeader) tenancy = { mode: 'header' };
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
    tenancy,
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
