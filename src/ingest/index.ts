// The ingest gateway: OTLP/HTTP and OTLP/gRPC to Kafka.
export { createGateway, type Gateway } from './gateway.ts';
export { defaultGatewayOptions, validateGatewayOptions, type GatewayOptions } from './options.ts';
export { loadTokenTenancy, resolveTenant, TENANT_HEADER, type Presented, type Tenancy } from './tenancy.ts';
export { emptyCredentials, loadCredentialsFile, parseCredentials, parseTokenList, tokenDigest, type Credentials } from './credentials.ts';
export { loadGatewayTls, type GatewayTls } from './tls.ts';
export { otlpServiceDefinition } from './grpcServer.ts';
export { exportResponse, statusProto } from './responses.ts';
