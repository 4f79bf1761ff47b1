// How each outcome is spelled on the wire: HTTP status and gRPC code, and whether the client should retry.
import type { ExportOutcome } from './exportRequest.ts';
import { GrpcCode } from './responses.ts';

type Kind = ExportOutcome['kind'];

/** HTTP status per outcome (OTLP/HTTP: 429, 502, 503, 504 are the retryable ones). */
export const HTTP_STATUS: Readonly<Record<Kind, number>> = {
  accepted: 200,
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  too_large: 413,
  unsupported: 415,
  overloaded: 429,
  internal: 500,
  unavailable: 503,
  draining: 503,
};

/** gRPC code per outcome (OTLP/gRPC: UNAVAILABLE retryable, RESOURCE_EXHAUSTED retryable with RetryInfo). */
export const GRPC_CODE: Readonly<Record<Kind, number>> = {
  accepted: GrpcCode.OK,
  invalid: GrpcCode.INVALID_ARGUMENT,
  unauthenticated: GrpcCode.UNAUTHENTICATED,
  forbidden: GrpcCode.PERMISSION_DENIED,
  too_large: GrpcCode.INVALID_ARGUMENT,
  unsupported: GrpcCode.INVALID_ARGUMENT,
  overloaded: GrpcCode.RESOURCE_EXHAUSTED,
  internal: GrpcCode.INTERNAL,
  unavailable: GrpcCode.UNAVAILABLE,
  draining: GrpcCode.UNAVAILABLE,
};

/** Outcomes after which the client should come back later (with Retry-After / RetryInfo). */
export function isRetryable(kind: Kind): boolean {
  return kind === 'overloaded' || kind === 'unavailable' || kind === 'draining';
}

/** Seconds the client should wait before retrying: the outcome's own (a tenant's rate), or the gateway's default. */
export function retryAfterOf(outcome: ExportOutcome, fallback: number): number {
  return outcome.kind !== 'accepted' && outcome.retryAfterSeconds !== undefined ? outcome.retryAfterSeconds : fallback;
}
