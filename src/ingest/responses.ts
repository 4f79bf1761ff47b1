// Response bodies: Export{Trace,Metrics,Logs}ServiceResponse (with partial_success when items were rejected) and
// google.rpc.Status for errors, in protobuf or OTLP/JSON, as the OTLP specification asks of a server.
// The messages are tiny, so they are written here field by field.
import type { Signal } from '../otlp/index.ts';
import type { RequestFormat } from '../producer/index.ts';

// ExportXPartialSuccess: field 1 is the rejected count, named per signal; field 2 the error message.
const REJECTED_NAME: Record<Signal, string> = { traces: 'rejectedSpans', metrics: 'rejectedDataPoints', logs: 'rejectedLogRecords' };

function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function varintField(field: number, v: number): Buffer {
  return Buffer.from([...varint(field << 3), ...varint(v)]);
}

function bytesField(field: number, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([...varint((field << 3) | 2), ...varint(bytes.length)]), bytes]);
}

/** The success response; partial_success is set when `rejected` > 0 or a message is given. */
export function exportResponse(signal: Signal, format: RequestFormat, rejected: number, message: string): Buffer {
  const partial = rejected > 0 || message !== '';
  if (format === 'json') {
    const body = partial ? { partialSuccess: { [REJECTED_NAME[signal]]: String(rejected), errorMessage: message } } : {};
    return Buffer.from(JSON.stringify(body));
  }
  if (!partial) return Buffer.alloc(0);
  const fields: Buffer[] = [];
  if (rejected > 0) fields.push(varintField(1, rejected));
  if (message !== '') fields.push(bytesField(2, Buffer.from(message)));
  return bytesField(1, Buffer.concat(fields));
}

/** gRPC status codes the gateway answers with. */
export const GrpcCode = { OK: 0, INVALID_ARGUMENT: 3, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14, UNAUTHENTICATED: 16, INTERNAL: 13 } as const;

/** google.rpc.Status bytes, with a RetryInfo detail when `retryAfterSeconds` is given. */
export function statusProto(code: number, message: string, retryAfterSeconds?: number): Buffer {
  const fields = [varintField(1, code), bytesField(2, Buffer.from(message))];
  if (retryAfterSeconds !== undefined) {
    // Any { type_url, value: RetryInfo { retry_delay: Duration { seconds } } }
    const retryInfo = bytesField(1, varintField(1, retryAfterSeconds));
    const any = Buffer.concat([bytesField(1, Buffer.from('type.googleapis.com/google.rpc.RetryInfo')), bytesField(2, retryInfo)]);
    fields.push(bytesField(3, any));
  }
  return Buffer.concat(fields);
}

/** An error body in the request's format (google.rpc.Status, or its JSON mapping). */
export function statusBody(format: RequestFormat, code: number, message: string): Buffer {
  return format === 'json' ? Buffer.from(JSON.stringify({ code, message })) : statusProto(code, message);
}
