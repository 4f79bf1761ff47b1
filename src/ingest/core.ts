// What the HTTP and gRPC front ends share: producer, limits (the gateway's and each tenant's), metrics, tenancy and the drain state.
import type { OtlpProducer } from '../producer/index.ts';
import type { ExportOutcome } from './exportRequest.ts';
import type { JsonConverter } from './jsonConverter.ts';
import type { InflightLimiter } from './limiter.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { GatewayOptions } from './options.ts';
import type { TenantLimiter } from './tenantLimits.ts';

export interface GatewayCore {
  options: GatewayOptions;
  producer: OtlpProducer;
  metrics: GatewayMetrics;
  limiter: InflightLimiter;
  /** Per-tenant budgets and rates. */
  tenants: TenantLimiter;
  /** Turns OTLP/JSON bodies into protobuf off the event loop. */
  json: JsonConverter;
  /** True once shutdown began: new requests get 503. */
  draining(): boolean;
  /** True when Kafka answers (cached briefly). */
  ready(): Promise<boolean>;
  /** Runs a request's work, counted so shutdown can wait for it. */
  track(work: () => Promise<void>): Promise<void>;
  /** Counts the outcome of a request. */
  count(signal: string, transport: 'http' | 'grpc', outcome: ExportOutcome): void;
}
