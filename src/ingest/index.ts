// The ingest gateway: OTLP/HTTP and OTLP/gRPC to Kafka.
export { createGateway, type Gateway } from './gateway.ts';
export { defaultGatewayOptions, validateGatewayOptions, type GatewayOptions } from './options.ts';
export { loadTokenTenancy, resolveTenant, TENANT_HEADER, type Tenancy } from './tenancy.ts';
export { otlpServiceDefinition } from './grpcServer.ts';
export { exportResponse, statusProto } from './responses.ts';
