// One export request, whatever the transport: validate and split (nothing is produced from a bad request),
// reserve memory, produce, and describe the outcome. HTTP and gRPC only translate bodies and statuses.
import type { IHeaders } from 'kafkajs';
import { OtlpDecodeError, type Signal } from '../otlp/index.ts';
import { KafkaUnavailableError, ProducerClosedError, type OtlpProducer, type PreparedRequest, type RequestFormat } from '../producer/index.ts';
import type { Reservation } from './limiter.ts';
import type { GatewayMetrics } from './metrics.ts';
import { TENANT_HEADER } from '../otlp/tenant.ts';

/** What happened to a request; `kind` maps to an HTTP status and a gRPC code (outcome.ts). */
export type ExportOutcome =
  | { kind: 'accepted'; rejected: number; items: number; message: string }
  | { kind: 'invalid' | 'too_large' | 'unsupported' | 'unauthenticated' | 'forbidden' | 'overloaded' | 'unavailable' | 'draining' | 'internal'; message: string; retryAfterSeconds?: number };

export interface ExportContext {
  producer: OtlpProducer;
  metrics: GatewayMetrics;
}

export interface ExportInput {
  signal: Signal;
  format: RequestFormat;
  body: Buffer;
  tenant: string | undefined;
  reservation: Reservation;
}

const ITEM_NAME: Record<Signal, string> = { traces: 'spans', metrics: 'data points', logs: 'log records' };

/** Validates, splits and produces one request; never throws. */
export async function exportRequest(ctx: ExportContext, input: ExportInput): Promise<ExportOutcome> {
  const { producer, metrics } = ctx;
  const { signal } = input;
  metrics.bytes.inc({ signal }, input.body.length);
  if (producer.state !== 'ready') return { kind: 'unavailable', message: `Kafka unavailable (producer ${producer.state})` };

  const headers: IHeaders | undefined = input.tenant === undefined ? undefined : { [TENANT_HEADER]: input.tenant };
  let prepared: PreparedRequest;
  try {
    prepared = producer.prepare(signal, input.format === 'json' ? input.body.toString('utf8') : input.body, input.format, headers);
  } catch (err) {
    if (err instanceof OtlpDecodeError || err instanceof SyntaxError) return { kind: 'invalid', message: err.message };
    return { kind: 'internal', message: `could not split the request: ${(err as Error).message}` };
  }

  const rejected = prepared.rejected.length;
  const rejectedMessage = rejected === 0 ? '' : describeOversized(prepared);
  if (rejected > 0) metrics.rejections.inc({ signal, reason: 'item_too_large' }, rejected);
  if (prepared.records.length === 0 && rejected > 0) return { kind: 'too_large', message: rejectedMessage };
  if (!input.reservation.add(prepared.bytes)) return { kind: 'overloaded', message: 'too many bytes in flight; retry later' };

  const stop = metrics.produceSeconds.startTimer({ signal });
  try {
    await producer.send(prepared);
  } catch (err) {
    if (err instanceof KafkaUnavailableError || err instanceof ProducerClosedError) return { kind: 'unavailable', message: err.message };
    return { kind: 'unavailable', message: `Kafka write failed: ${(err as Error).message}` };
  }
  stop();
  metrics.items.inc({ signal }, prepared.items - rejected);
  metrics.records.inc({ signal }, prepared.records.length);
  return { kind: 'accepted', rejected, items: prepared.items - rejected, message: rejectedMessage };
}

function describeOversized(prepared: PreparedRequest): string {
  const shown = prepared.rejected.slice(0, 3).map((o) => `${o.path} (${o.bytes} bytes)`).join(', ');
  const more = prepared.rejected.length > 3 ? ` and ${prepared.rejected.length - 3} more` : '';
  return `${prepared.rejected.length} ${ITEM_NAME[prepared.signal]} larger than the largest Kafka message of ${prepared.topic}, even alone: ${shown}${more}`;
}
