// The ingest gateway: OTLP/HTTP and OTLP/gRPC in, keyed records on otlp_spans / otlp_metrics / otlp_logs out,
// answering success only after Kafka acknowledged (and, by default, committed) every record of the request.
import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import type { Kafka } from 'kafkajs';
import { componentLogger } from '../log.ts';
import { createOtlpProducer, type OtlpProducer } from '../producer/index.ts';
import type { GatewayCore } from './core.ts';
import { bindGrpc, createGrpcServer } from './grpcServer.ts';
import { httpHandler } from './httpServer.ts';
import { JsonConverter } from './jsonConverter.ts';
import { InflightLimiter } from './limiter.ts';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.ts';
import { defaultGatewayOptions, tenantMaxInflightBytes, validateGatewayOptions, type GatewayOptions } from './options.ts';
import { credentialTenants } from './credentials.ts';
import { TenantLimiter } from './tenantLimits.ts';
import { httpsOptions } from './tls.ts';

export interface Gateway {
  /** Connects to Kafka (creating missing topics), then listens; resolves with the bound ports. */
  start(): Promise<{ httpPort: number; grpcPort: number | null }>;
  /** Stops accepting, finishes in-flight requests, disconnects from Kafka. */
  stop(): Promise<void>;
  readonly metrics: GatewayMetrics;
  readonly producer: OtlpProducer;
  readonly options: GatewayOptions;
}

const READY_CACHE_MS = 2000;
const DRAIN_TIMEOUT_MS = 30_000;

/** Creates a gateway on `kafka` with `overrides` over the defaults. */
export function createGateway(kafka: Kafka, overrides: Partial<GatewayOptions> = {}): Gateway {
  // An override left undefined keeps the default (a CLI flag not given must not erase the unique transactional id).
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<GatewayOptions>;
  const options: GatewayOptions = { ...defaultGatewayOptions(), ...given };
  validateGatewayOptions(options);
  const log = componentLogger('ingest');
  const limiter = new InflightLimiter(options.maxInflightBytes);
  const metrics = createGatewayMetrics(() => limiter.inUse);
  const { tenancy } = options;
  const tenants = new TenantLimiter({
    defaults: { maxInflightBytes: tenantMaxInflightBytes(options), itemsPerSecond: options.tenantItemsPerSecond, bytesPerSecond: options.tenantBytesPerSecond },
    overrides: tenancy.mode === 'auth' ? tenancy.credentials.limits : undefined,
    // With authentication every tenant of the credentials may send at once; only header mode needs the cap.
    maxTenants: tenancy.mode === 'auth' ? Math.max(options.maxTenants, credentialTenants(tenancy.credentials).size) : options.maxTenants,
  });
  const producer = createOtlpProducer({
    kafka,
    partitioner: options.partitioner,
    topics: options.topics,
    delivery: options.delivery,
    transactionalId: options.transactionalId,
    producers: options.producers,
    createTopics: { numPartitions: options.partitions },
    maxMessageBytes: options.maxMessageBytes,
    deliveryTimeoutMs: options.deliveryTimeoutMs,
    log,
  });

  let draining = false;
  let inflight = 0;
  let idle: (() => void) | undefined;
  let readyAt = 0;
  let readyValue = false;
  let http: HttpServer | undefined;
  let grpc: GrpcServer | undefined;
  const json = new JsonConverter();

  const probeKafka = async (): Promise<boolean> => {
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      await admin.describeCluster();
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };

  const core: GatewayCore = {
    options,
    producer,
    metrics,
    limiter,
    tenants,
    json,
    draining: () => draining,
    async ready() {
      if (draining || producer.state !== 'ready') return false;
      if (Date.now() - readyAt > READY_CACHE_MS) {
        readyValue = await probeKafka();
        readyAt = Date.now();
      }
      return readyValue && producer.state === 'ready';
    },
    async track(work) {
      inflight++;
      try {
        await work();
      } catch (err) {
        log.error({ err }, 'request handler failed');
      } finally {
        if (--inflight === 0) idle?.();
      }
    },
    count(signal, transport, outcome) {
      metrics.requests.inc({ signal, transport, outcome: outcome.kind });
      if (outcome.kind !== 'accepted') {
        metrics.rejections.inc({ signal, reason: outcome.kind });
        log.debug({ signal, transport, outcome: outcome.kind, reason: outcome.message }, 'request refused');
      }
    },
  };

  return {
    metrics,
    producer,
    options,
    async start() {
      await producer.connect();
      http = options.tls ? createHttpsServer({ ...httpsOptions(options.tls), keepAliveTimeout: 65_000 }, httpHandler(core)) : createServer({ keepAliveTimeout: 65_000 }, httpHandler(core));
      await new Promise<void>((resolve, reject) => {
        http!.once('error', reject);
        http!.listen(options.httpPort, options.host, () => resolve());
      });
      const httpPort = (http.address() as AddressInfo).port;
      let grpcPort: number | null = null;
      if (options.grpcPort !== null) {
        grpc = createGrpcServer(core);
        grpcPort = await bindGrpc(grpc, options.host, options.grpcPort, options.tls);
      }
      const security = options.tls === undefined ? 'plaintext' : options.tls.clientCa === undefined ? 'tls' : 'mtls';
      if (tenancy.mode === 'auth' && options.tls === undefined && !['127.0.0.1', '::1', 'localhost'].includes(options.host)) {
        log.warn('authentication without TLS: bearer tokens cross the network in the clear (fine behind a proxy that terminates TLS; otherwise set --tls-cert and --tls-key)');
      }
      log.info({ httpPort, grpcPort, topics: options.topics, partitioner: options.partitioner, delivery: options.delivery, transactionalId: options.transactionalId, security, tenancy: tenancy.mode }, 'ingest gateway listening');
      return { httpPort, grpcPort };
    },
    async stop() {
      if (draining) return;
      draining = true;
      log.info({ inflight }, 'shutting down: no new requests, finishing in-flight ones');
      const httpClosed = new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
      http?.closeIdleConnections();
      const grpcClosed = new Promise<void>((resolve) => (grpc ? grpc.tryShutdown(() => resolve()) : resolve()));
      if (inflight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (idle = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS).unref()),
        ]);
      }
      http?.closeAllConnections();
      grpc?.forceShutdown();
      await Promise.all([httpClosed, grpcClosed]);
      await json.close();
      await producer.disconnect();
      log.info('stopped');
    },
  };
}
