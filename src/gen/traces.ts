// Traces: a request enters the frontend and fans out across services; each hop is a CLIENT span in the caller
// and a SERVER span in the callee (databases only get the CLIENT span), with log-normal durations and errors
// that propagate to callers some of the time.
import { SpanKind, StatusCode, type Attribute, type Span } from '../otlp/index.ts';
import type { Random } from './random.ts';
import type { Instance, Operation, Service } from './services.ts';

/** Splits fractional epoch milliseconds into the model's (ms, nanos) pair. */
export function msNanos(t: number): [number, number] {
  const ms = Math.floor(t);
  return [ms, Math.min(999_999, Math.round((t - ms) * 1e6))];
}

const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });
const int = (key: string, value: number): Attribute => ({ key, type: 'int', value });

interface TraceContext {
  rng: Random;
  instances: Map<string, Instance[]>;
  traceId: string;
  spans: Span[];
}

/** One trace starting at `startMs`; the spans come in the order they end. */
export function generateTrace(rng: Random, instances: Map<string, Instance[]>, startMs: number): Span[] {
  const ctx: TraceContext = { rng, instances, traceId: rng.hex(16), spans: [] };
  const frontend = instances.get('frontend')!;
  const instance = rng.pick(frontend);
  execute(ctx, instance, rng.pick(instance.service.operations), '', startMs);
  return ctx.spans;
}

function isDatabase(service: Service): boolean {
  return service.language === 'native';
}

// Runs `operation` in `instance` as a SERVER span; returns its end time and whether it failed.
function execute(ctx: TraceContext, instance: Instance, operation: Operation, parentSpanId: string, startMs: number): { endMs: number; failed: boolean } {
  const { rng } = ctx;
  const spanId = rng.hex(8);
  let t = startMs + rng.logNormal(operation.medianMs, 0.6) / 2;
  let failed = rng.chance(operation.errorRate);
  for (const c of operation.calls) {
    if (!rng.chance(c.probability)) continue;
    const callee = rng.pick(ctx.instances.get(c.service)!);
    const calleeOp = callee.service.operations.find((o) => o.name === c.operation)!;
    const result = clientCall(ctx, instance, callee, calleeOp, spanId, t);
    t = result.endMs;
    if (result.failed && rng.chance(0.5)) failed = true;
  }
  t += rng.logNormal(operation.medianMs, 0.6) / 2;
  const attributes: Attribute[] = operation.route
    ? [str('http.request.method', operation.name.split(' ')[0]), str('http.route', operation.route), int('http.response.status_code', failed ? 500 : 200)]
    : [str('rpc.system', 'grpc'), str('rpc.service', instance.service.name), str('rpc.method', operation.name)];
  ctx.spans.push(span(ctx, instance, spanId, parentSpanId, operation.name, SpanKind.SERVER, startMs, t, attributes, failed));
  return { endMs: t, failed };
}

function clientCall(ctx: TraceContext, caller: Instance, callee: Instance, op: Operation, parentSpanId: string, startMs: number): { endMs: number; failed: boolean } {
  const { rng } = ctx;
  const spanId = rng.hex(8);
  const network = rng.logNormal(0.3, 0.4);
  let endMs: number;
  let failed: boolean;
  let attributes: Attribute[];
  if (isDatabase(callee.service)) {
    endMs = startMs + network + rng.logNormal(op.medianMs, 0.8);
    failed = rng.chance(op.errorRate);
    attributes = [str('db.system', callee.service.name === 'redis' ? 'redis' : 'postgresql'), str('db.statement', op.name), str('server.address', callee.service.name)];
  } else {
    const result = execute(ctx, callee, op, spanId, startMs + network / 2);
    endMs = result.endMs + network / 2;
    failed = result.failed;
    attributes = [str('rpc.system', 'grpc'), str('rpc.service', callee.service.name), str('rpc.method', op.name), str('server.address', callee.service.name)];
  }
  ctx.spans.push(span(ctx, caller, spanId, parentSpanId, `${callee.service.name}/${op.name}`, SpanKind.CLIENT, startMs, endMs, attributes, failed));
  return { endMs, failed };
}

function span(
  ctx: TraceContext, instance: Instance, spanId: string, parentSpanId: string, name: string, kind: number,
  start: number, end: number, attributes: Attribute[], failed: boolean,
): Span {
  const [startTimeMs, startTimeNanos] = msNanos(start);
  const [endTimeMs, endTimeNanos] = msNanos(end);
  const events = failed
    ? [{ timeMs: endTimeMs, timeNanos: endTimeNanos, name: 'exception', droppedAttributesCount: 0, attributes: [str('exception.type', 'Error'), str('exception.message', `${name} failed`)] }]
    : [];
  return {
    resource: instance.resource,
    scope: instance.scope,
    traceId: ctx.traceId,
    spanId,
    traceState: '',
    parentSpanId,
    flags: 1,
    name,
    kind,
    startTimeMs,
    startTimeNanos,
    endTimeMs,
    endTimeNanos,
    attributes,
    droppedAttributesCount: 0,
    events,
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: failed ? StatusCode.ERROR : StatusCode.UNSET,
    statusMessage: failed ? `${name} failed` : '',
  };
}
