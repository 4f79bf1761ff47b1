// Logs: server spans log what they did, with the span's trace context; failures log at ERROR.
import { SpanKind, StatusCode, type LogRecord, type Span } from '../otlp/index.ts';
import type { Random } from './random.ts';

/** Log records for some of the server spans of `spans` (all of the failed ones). */
export function logsForSpans(rng: Random, spans: readonly Span[]): LogRecord[] {
  const out: LogRecord[] = [];
  for (const s of spans) {
    if (s.kind !== SpanKind.SERVER) continue;
    const failed = s.statusCode === StatusCode.ERROR;
    if (!failed && !rng.chance(0.3)) continue;
    out.push({
      resource: s.resource,
      scope: s.scope,
      timeMs: s.endTimeMs,
      timeNanos: s.endTimeNanos,
      observedTimeMs: s.endTimeMs + rng.int(0, 5),
      observedTimeNanos: 0,
      severityNumber: failed ? 17 : 9,
      severityText: failed ? 'ERROR' : 'INFO',
      body: { type: 'string', value: failed ? `${s.name} failed: ${s.statusMessage}` : `${s.name} handled in ${s.endTimeMs - s.startTimeMs} ms` },
      attributes: [{ key: 'code.function', type: 'string', value: s.name }],
      droppedAttributesCount: 0,
      flags: 1,
      traceId: s.traceId,
      spanId: s.spanId,
      eventName: '',
    });
  }
  return out;
}
