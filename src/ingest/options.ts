// The gateway's options, with every default in one place, and the cross-field checks.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { DeliveryMode, PartitionerName } from '../producer/index.ts';
import type { Signal } from '../otlp/index.ts';
import type { Tenancy } from './tenancy.ts';
import type { GatewayTls } from './tls.ts';

export interface GatewayOptions {
  /** Interface to listen on (default 127.0.0.1; 0.0.0.0 in a container). */
  host: string;
  /** OTLP/HTTP port (default 4318; 0 picks a free one). */
  httpPort: number;
  /** OTLP/gRPC port (default 4317; 0 picks a free one; null turns gRPC off). */
  grpcPort: number | null;
  topics: Record<Signal, string>;
  /** Partitions of topics the gateway creates (existing topics keep theirs). */
  partitions: number;
  partitioner: PartitionerName;
  delivery: DeliveryMode;
  /**
   * Kafka transactional id of this instance (lane i adds `-i`). Default: unique per gateway instance, so replicas
   * never fence each other; set a stable one per instance to have a restart fence its predecessor.
   */
  transactionalId: string;
  /** Kafka producers writing in parallel (each one transaction or send in flight). */
  producers: number;
  /** Caps the record size below the topic's max.message.bytes. */
  maxMessageBytes?: number;
  /** Largest request body, after decompression (413 beyond). */
  maxBodyBytes: number;
  /** Bytes of requests being read, split or produced at once (429 beyond): bounds the gateway's memory. At least 2 × maxBodyBytes. */
  maxInflightBytes: number;
  /** Retry-After for 429 / 503 answers, in seconds. */
  retryAfterSeconds: number;
  /** A request not acknowledged by Kafka within this time gets 503. */
  deliveryTimeoutMs: number;
  tenancy: Tenancy;
  /** TLS on both listeners; with a client CA, every client must present a certificate it signed. */
  tls?: GatewayTls;
  /** Each tenant's share of maxInflightBytes (default: a quarter of it, but at least 2 × maxBodyBytes). */
  tenantMaxInflightBytes?: number;
  /** Each tenant's rate limit in spans / data points / log records per second (default: none). */
  tenantItemsPerSecond?: number;
  /** Each tenant's rate limit in request bytes (after decompression) per second (default: none). */
  tenantBytesPerSecond?: number;
  /** Tenants whose limits are tracked at once; with X-Scope-OrgID, more wait until one is idle (429). */
  maxTenants: number;
  // Bounds on the work and memory of one request (see docs/ingest.md, "Bounded work per request").
  /** Largest OTLP/JSON body after decompression, if below maxBodyBytes (413 beyond): parsing takes up to ~25× its size. */
  maxJsonBodyBytes: number;
  /** Most bytes the records of one request may hold (413 beyond); default 4 × maxBodyBytes. */
  maxRequestRecordBytes?: number;
  /** Most bytes the records may hold per byte of request body (413 beyond): a resource copied into many records. */
  maxAmplification: number;
  /** Most spans, data points or log records in one request (400 beyond). */
  maxRequestItems: number;
  /** Most attributes of a metrics or logs resource, whose key sorts them, nested ones included (400 beyond). */
  maxResourceAttributes: number;
  /** Concurrent gRPC calls per connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
  maxGrpcStreams: number;
}

/**
 * A transactional id no other gateway shares: host name (the container id under Docker), process id, and a random
 * part for several gateways in one process or hosts that share a name.
 */
export function instanceTransactionalId(prefix = 'otlp-streams-ingest'): string {
  return `${prefix}-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Defaults for every option (a fresh transactional id on every call). */
export function defaultGatewayOptions(): GatewayOptions {
  return {
    host: '127.0.0.1',
    httpPort: 4318,
    grpcPort: 4317,
    topics: { traces: 'otlp_spans', metrics: 'otlp_metrics', logs: 'otlp_logs' },
    partitions: 6,
    partitioner: 'murmur2',
    delivery: 'transactional',
    transactionalId: instanceTransactionalId(),
    producers: 4,
    maxBodyBytes: 16 << 20,
    maxInflightBytes: 256 << 20,
    retryAfterSeconds: 5,
    deliveryTimeoutMs: 15_000,
    tenancy: { mode: 'none' },
    maxTenants: 1000,
    maxJsonBodyBytes: 4 << 20,
    maxAmplification: 32,
    maxRequestItems: 100_000,
    maxResourceAttributes: 1024,
    maxGrpcStreams: 32,
  };
}

/** The bytes the records of one request may hold at most (before the amplification limit). */
export function maxRequestRecordBytes(o: GatewayOptions): number {
  return o.maxRequestRecordBytes ?? 4 * o.maxBodyBytes;
}

/** Checks rules across options; throws an Error naming the option. */
export function validateGatewayOptions(o: GatewayOptions): void {
  const positive = (name: string, v: number) => {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}: expected a positive integer, got ${v}`);
  };
  positive('partitions', o.partitions);
  positive('producers', o.producers);
  positive('maxBodyBytes', o.maxBodyBytes);
  positive('maxInflightBytes', o.maxInflightBytes);
  positive('retryAfterSeconds', o.retryAfterSeconds);
  // A request holds its body and its records (about the body's size again) until Kafka acknowledges.
  if (o.maxInflightBytes < 2 * o.maxBodyBytes) throw new Error(`maxInflightBytes (${o.maxInflightBytes}) must be at least twice maxBodyBytes (${o.maxBodyBytes})`);
  if (!['murmur2', 'sarama_compat'].includes(o.partitioner)) throw new Error(`partitioner: expected murmur2 or sarama_compat, got ${o.partitioner}`);
  if (!['transactional', 'idempotent'].includes(o.delivery)) throw new Error(`delivery: expected transactional or idempotent, got ${o.delivery}`);
  if (o.grpcPort !== null && o.grpcPort !== 0 && o.grpcPort === o.httpPort) throw new Error(`grpcPort and httpPort are both ${o.httpPort}`);
  for (const name of ['maxJsonBodyBytes', 'maxAmplification', 'maxRequestItems', 'maxResourceAttributes', 'maxGrpcStreams'] as const) positive(name, o[name]);
  positive('maxRequestRecordBytes', maxRequestRecordBytes(o));
  positive('maxTenants', o.maxTenants);
  if (o.tenantItemsPerSecond !== undefined) positive('tenantItemsPerSecond', o.tenantItemsPerSecond);
  if (o.tenantBytesPerSecond !== undefined) positive('tenantBytesPerSecond', o.tenantBytesPerSecond);
  const checkShare = (name: string, share: number) => {
    positive(name, share);
    // Below twice the body limit, a tenant's largest request could never fit: it would get 429 forever.
    if (share < 2 * o.maxBodyBytes) throw new Error(`${name} (${share}) must be at least twice maxBodyBytes (${o.maxBodyBytes})`);
    if (share > o.maxInflightBytes) throw new Error(`${name} (${share}) must not exceed maxInflightBytes (${o.maxInflightBytes})`);
  };
  checkShare('tenantMaxInflightBytes', tenantMaxInflightBytes(o));
  if (o.tenancy.mode === 'auth') {
    for (const [tenant, limits] of o.tenancy.credentials.limits) if (limits.maxInflightBytes !== undefined) checkShare(`limits.${tenant}.maxInflightBytes`, limits.maxInflightBytes);
  }
  if (o.tenancy.mode === 'auth' && o.tenancy.credentials.clients.size > 0 && o.tls?.clientCa === undefined) {
    throw new Error('the tenants file maps client certificates (clients:), which needs a client CA (--tls-client-ca)');
  }
}

/** Each tenant's share of the in-flight byte budget. */
export function tenantMaxInflightBytes(o: Pick<GatewayOptions, 'tenantMaxInflightBytes' | 'maxInflightBytes' | 'maxBodyBytes'>): number {
  return o.tenantMaxInflightBytes ?? Math.min(o.maxInflightBytes, Math.max(Math.floor(o.maxInflightBytes / 4), 2 * o.maxBodyBytes));
}
