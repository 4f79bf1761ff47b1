// OTLP/gRPC: the collector services' Export methods on @grpc/grpc-js, with the request bytes handed to the same
// splitter as HTTP (our codec does the protobuf; grpc-js only frames and decompresses).
import { Metadata, Server, status, type ServerUnaryCall, type ServiceDefinition, type sendUnaryData } from '@grpc/grpc-js';
import type { Signal } from '../otlp/index.ts';
import type { GatewayCore } from './core.ts';
import { admit } from './admission.ts';
import { exportRequest, type ExportOutcome } from './exportRequest.ts';
import { GRPC_CODE, isRetryable, retryAfterOf } from './outcome.ts';
import { exportResponse, statusProto } from './responses.ts';
import { certificateCn, grpcCredentials, type GatewayTls } from './tls.ts';

const SERVICES: Record<Signal, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.TraceService',
  metrics: 'opentelemetry.proto.collector.metrics.v1.MetricsService',
  logs: 'opentelemetry.proto.collector.logs.v1.LogsService',
};

const identity = (b: Buffer): Buffer => b;

/** The service definition of one signal's collector service, with raw bytes in and out. */
export function otlpServiceDefinition(signal: Signal): ServiceDefinition {
  return {
    Export: {
      path: `/${SERVICES[signal]}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}

/** A gRPC server with the three collector services registered (not yet bound). */
export function createGrpcServer(core: GatewayCore): Server {
  // grpc-js buffers a whole message (and, if compressed, its decompressed copy; both capped at the receive limit)
  // before our handler reserves it: per connection, up to maxGrpcStreams such messages are outside the budget.
  const server = new Server({
    'grpc.max_receive_message_length': core.options.maxBodyBytes,
    'grpc.max_send_message_length': 1 << 20,
    'grpc.max_concurrent_streams': core.options.maxGrpcStreams,
  });
  for (const signal of Object.keys(SERVICES) as Signal[]) {
    server.addService(otlpServiceDefinition(signal), {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        void core.track(() => handleExport(core, signal, call, callback));
      },
    });
  }
  return server;
}

async function handleExport(core: GatewayCore, signal: Signal, call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): Promise<void> {
  let outcome: ExportOutcome;
  try {
    outcome = await (async (): Promise<ExportOutcome> => {
      if (core.draining()) return { kind: 'draining', message: 'the gateway is shutting down; retry' };
      const first = (key: string) => {
        const v = call.metadata.get(key)[0];
        return v === undefined ? undefined : String(v);
      };
      // grpc-js shows the peer certificate only when the handshake verified it.
      const certificate = call.getAuthContext()?.sslPeerCertificate;
      const admission = admit(core, { authorization: first('authorization'), orgId: first('x-scope-orgid'), certificateCn: certificateCn(certificate) });
      if ('refused' in admission) return admission.refused;
      const { reservation } = admission;
      try {
        // Reserved before our decoding starts; grpc-js has held these bytes since the message arrived.
        const result = reservation.add(call.request.length)
          ? await exportRequest(core, { signal, format: 'protobuf', body: call.request, tenant: admission.tenant, reservation })
          : ({ kind: 'overloaded', message: 'too many bytes in flight; retry later' } as const);
        return admission.settle(result, call.request.length);
      } finally {
        reservation.release();
      }
    })();
  } catch (err) {
    outcome = { kind: 'internal', message: (err as Error).message };
  }
  core.count(signal, 'grpc', outcome);
  if (outcome.kind === 'accepted') {
    callback(null, exportResponse(signal, 'protobuf', outcome.rejected, outcome.message));
    return;
  }
  const code = GRPC_CODE[outcome.kind] as status;
  const metadata = new Metadata();
  if (isRetryable(outcome.kind)) {
    // RetryInfo tells OTLP clients a RESOURCE_EXHAUSTED is worth retrying, and when.
    metadata.set('grpc-status-details-bin', statusProto(code, outcome.message, retryAfterOf(outcome, core.options.retryAfterSeconds)));
  }
  callback({ code, details: outcome.message, metadata });
}

/** Binds the server (with TLS when given); resolves with the port it listens on. */
export function bindGrpc(server: Server, host: string, port: number, tls?: GatewayTls): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpcCredentials(tls), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}
