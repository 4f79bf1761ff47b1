// One export request, whatever the transport: validate and split (nothing is produced from a bad request),
// reserve memory, produce, and describe the outcome. HTTP and gRPC only translate bodies and statuses.
import type { IHeaders } from 'kafkajs';
import { OtlpDecodeError, RequestLimitError, type Signal } from '../otlp/index.ts';
import {
  KafkaUnavailableError, NoRoomError, ProducerClosedError, RecordsTooLargeError, type OtlpProducer, type PreparedRequest, type RequestFormat, type RequestPlan,
} from '../producer/index.ts';
import { JsonConversionError, type JsonConverter } from './jsonConverter.ts';
import type { Reservation } from './limiter.ts';
import type { GatewayMetrics } from './metrics.ts';
import { maxRequestRecordBytes, type GatewayOptions } from './options.ts';
import { TENANT_HEADER } from '../otlp/tenant.ts';

/** What happened to a request; `kind` maps to an HTTP status and a gRPC code (outcome.ts). */
export type ExportOutcome =
  | { kind: 'accepted'; rejected: number; items: number; message: string }
  | { kind: 'invalid' | 'too_large' | 'unsupported' | 'unauthenticated' | 'forbidden' | 'overloaded' | 'unavailable' | 'draining' | 'internal'; message: string; retryAfterSeconds?: number };

export interface ExportContext {
  producer: OtlpProducer;
  metrics: GatewayMetrics;
  options: GatewayOptions;
  json: JsonConverter;
}

export interface ExportInput {
  signal: Signal;
  format: RequestFormat;
  body: Buffer;
  tenant: string | undefined;
  reservation: Reservation;
}

const ITEM_NAME: Record<Signal, string> = { traces: 'spans', metrics: 'data points', logs: 'log records' };

/**
 * Validates, splits and produces one request; never throws. The records are measured and reserved in the in-flight
 * budget one by one before any is built: a request whose records would be too large is refused (413), and one whose
 * records do not fit the budget now gets 429 — in both cases before their values are allocated.
 */
export async function exportRequest(ctx: ExportContext, input: ExportInput): Promise<ExportOutcome> {
  const { producer, metrics, options } = ctx;
  const { signal, reservation } = input;
  metrics.bytes.inc({ signal }, input.body.length);
  if (producer.state !== 'ready') return { kind: 'unavailable', message: `Kafka unavailable (producer ${producer.state})` };

  const headers: IHeaders | undefined = input.tenant === undefined ? undefined : { [TENANT_HEADER]: input.tenant };
  const cap = recordsCap(options, input.body.length, reservation);
  let plan: RequestPlan;
  try {
    let protobuf: Uint8Array = input.body;
    if (input.format === 'json') {
      protobuf = await ctx.json.toProtobuf(signal, input.body, options.maxRequestItems);
      if (!reservation.add(protobuf.length)) return { kind: 'overloaded', message: 'too many bytes in flight; retry later' };
    }
    plan = await producer.plan(signal, protobuf, {
      headers,
      limits: { maxItems: options.maxRequestItems, maxResourceAttributes: options.maxResourceAttributes },
      maxHeldBytes: cap.bytes,
      reserve: (bytes) => reservation.add(bytes),
    });
  } catch (err) {
    if (err instanceof OtlpDecodeError || err instanceof RequestLimitError) return { kind: 'invalid', message: err.message };
    if (err instanceof JsonConversionError) return { kind: err.kind, message: err.message };
    if (err instanceof RecordsTooLargeError) return { kind: 'too_large', message: describeTooLarge(err, cap.why) };
    if (err instanceof NoRoomError) return { kind: 'overloaded', message: 'too many bytes in flight; retry later' };
    return { kind: 'internal', message: `could not split the request: ${(err as Error).message}` };
  }

  const rejected = plan.rejected.length;
  if (plan.records === 0 && rejected > 0) {
    metrics.rejections.inc({ signal, reason: 'item_too_large' }, rejected);
    return { kind: 'too_large', message: describeOversized(plan) };
  }
  let prepared: PreparedRequest;
  try {
    prepared = await producer.build(plan);
  } catch (err) {
    return { kind: 'internal', message: `could not build the records: ${(err as Error).message}` };
  }
  const rejectedMessage = rejected === 0 ? '' : describeOversized(prepared);
  if (rejected > 0) metrics.rejections.inc({ signal, reason: 'item_too_large' }, rejected);

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

/**
 * The most bytes this request's records may hold, and which limit that is: the per-request limit, the amplification
 * limit on the body, or what the in-flight budget could ever give it (beyond that it could never run: 413, not 429).
 */
export function recordsCap(options: GatewayOptions, bodyBytes: number, reservation: Reservation): { bytes: number; why: string } {
  const caps = [
    { bytes: maxRequestRecordBytes(options), why: `the limit of ${maxRequestRecordBytes(options)} bytes per request (maxRequestRecordBytes)` },
    { bytes: options.maxAmplification * bodyBytes, why: `${options.maxAmplification} × the body's ${bodyBytes} bytes (maxAmplification)` },
    { bytes: reservation.room, why: `what the in-flight budget (maxInflightBytes, or the tenant's share of it) can hold besides the body: ${reservation.room} bytes` },
  ];
  return caps.reduce((a, b) => (b.bytes < a.bytes ? b : a));
}

function describeTooLarge(err: RecordsTooLargeError, why: string): string {
  return (
    `the request would become more than ${err.limit} bytes of Kafka records (${err.records} records when splitting stopped), over ${why}: ` +
    'each record repeats its resource and scope, and a request becomes one record per resource × scope × trace id (traces) ' +
    'or per resource (metrics, logs), plus one per piece of a record over the Kafka message size; send fewer traces or resources per request'
  );
}

function describeOversized(prepared: Pick<PreparedRequest, 'rejected' | 'signal' | 'topic'>): string {
  const shown = prepared.rejected.slice(0, 3).map((o) => `${o.path} (${o.bytes} bytes)`).join(', ');
  const more = prepared.rejected.length > 3 ? ` and ${prepared.rejected.length - 3} more` : '';
  return `${prepared.rejected.length} ${ITEM_NAME[prepared.signal]} larger than the largest Kafka message of ${prepared.topic}, even alone: ${shown}${more}`;
}
