// Round trip against the official OpenTelemetry JS SDK: what the SDK recorded, serialized by
// @opentelemetry/otlp-transformer (protobuf and JSON), decodes to exactly those values.
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ValueType, type Attributes, type AttributeValue, type HrTime } from '@opentelemetry/api';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource as SdkResource } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality as SdkTemporality, AggregationType, DataPointType, MeterProvider, MetricReader, type Histogram, type ExponentialHistogram } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { decodeLogs } from './decodeLogs.ts';
import { decodeMetrics } from './decodeMetrics.ts';
import { decodeTraces } from './decodeTraces.ts';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './jsonDecode.ts';
import type { AnyValue, Attribute } from './model.ts';

const sdkResource = resourceFromAttributes({ 'service.name': 'cart', 'host.name': 'node-d', 'process.pid': 4242, weight: 0.5, tags: ['a', 'b'] });

function value(v: unknown): AnyValue {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'boolean') return { type: 'bool', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'double', value: v };
  if (v instanceof Uint8Array) return { type: 'bytes', value: v };
  if (Array.isArray(v)) return { type: 'array', value: v.map(value) };
  if (v !== null && typeof v === 'object') return { type: 'kvlist', value: attrs(v as Attributes) };
  return { type: 'empty', value: null };
}

function attrs(a: Attributes | Record<string, unknown>): Attribute[] {
  return Object.entries(a).map(([key, v]) => ({ key, ...value(v as AttributeValue) }) as Attribute);
}

function time(t: HrTime): { ms: number; nanos: number } {
  return { ms: t[0] * 1000 + Math.floor(t[1] / 1e6), nanos: t[1] % 1e6 };
}

function resourceOf(r: SdkResource): object {
  return { attributes: attrs(r.attributes), droppedAttributesCount: 0, entityRefs: [], schemaUrl: r.schemaUrl ?? '' };
}

describe('traces recorded by the SDK', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: sdkResource, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('checkout', '1.2.3');
  const root = tracer.startSpan('GET /cart', { kind: 1, attributes: { 'http.status_code': 200, ratio: 0.25, ok: true, path: '/cart', ids: [1, 2, 3] } });
  root.addEvent('cache miss', { key: 'k1' });
  root.setStatus({ code: 2, message: 'boom' });
  const { trace, context } = await import('@opentelemetry/api');
  const child = tracer.startSpan('SELECT', { kind: 2, links: [{ context: root.spanContext(), attributes: { why: 'follows' } }] }, trace.setSpan(context.active(), root));
  child.end();
  root.end();
  const recorded = exporter.getFinishedSpans();

  const expected = recorded.map((s) => ({
    resource: resourceOf(s.resource),
    scope: { name: 'checkout', version: '1.2.3', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    traceState: '',
    parentSpanId: s.parentSpanContext?.spanId ?? '',
    flags: expect.any(Number),
    name: s.name,
    kind: s.kind + 1, // the API's INTERNAL is 0, OTLP's is 1
    startTimeMs: time(s.startTime).ms,
    startTimeNanos: time(s.startTime).nanos,
    endTimeMs: time(s.endTime).ms,
    endTimeNanos: time(s.endTime).nanos,
    attributes: attrs(s.attributes),
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map((e) => ({ timeMs: time(e.time).ms, timeNanos: time(e.time).nanos, name: e.name, attributes: attrs(e.attributes ?? {}), droppedAttributesCount: e.droppedAttributesCount ?? 0 })),
    droppedEventsCount: s.droppedEventsCount,
    links: s.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, traceState: '', attributes: attrs(l.attributes ?? {}), droppedAttributesCount: l.droppedAttributesCount ?? 0, flags: expect.any(Number) })),
    droppedLinksCount: s.droppedLinksCount,
    statusCode: s.status.code,
    statusMessage: s.status.message ?? '',
  }));

  it('ProtobufTraceSerializer bytes decode to what was recorded', () => {
    const spans = decodeTraces(ProtobufTraceSerializer.serializeRequest(recorded)!);
    expect(spans).toEqual(expected);
    expect(spans.map((s) => s.flags & 0xff)).toEqual(recorded.map((s) => s.spanContext().traceFlags));
    expect(spans[0].resource).toBe(spans[1].resource); // one shared Resource object per ResourceSpans
  });

  it('JsonTraceSerializer output decodes to the same records', () => {
    const json = JsonTraceSerializer.serializeRequest(recorded)!;
    expect(decodeTracesJson(json)).toEqual(decodeTraces(ProtobufTraceSerializer.serializeRequest(recorded)!));
  });
});

class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

describe('metrics recorded by the SDK', async () => {
  const reader = new ManualReader();
  const provider = new MeterProvider({
    resource: sdkResource,
    readers: [reader],
    views: [{ instrumentName: 'rpc.latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('billing', '0.9');
  meter.createCounter('requests', { unit: '{request}', description: 'served', valueType: ValueType.INT }).add(5, { route: '/a' });
  meter.createUpDownCounter('queue.depth', { valueType: ValueType.DOUBLE }).add(-2.5);
  meter.createGauge('temperature', { unit: 'Cel' }).record(21.5, { room: 'lab' });
  const latency = meter.createHistogram('http.duration', { unit: 'ms' });
  for (const v of [1, 7, 30, 700]) latency.record(v, { route: '/a' });
  const rpc = meter.createHistogram('rpc.latency', { unit: 's' });
  for (const v of [0.001, 0.01, 0.2, 4, -1]) rpc.record(Math.abs(v));
  const { resourceMetrics } = await reader.collect();

  const temporality = (t: SdkTemporality): number => (t === SdkTemporality.DELTA ? 1 : 2);
  const expected = resourceMetrics.scopeMetrics.flatMap((sm) =>
    sm.metrics.flatMap((m) =>
      m.dataPoints.map((dp) => {
        const base = {
          metric: {
            name: m.descriptor.name, description: m.descriptor.description, unit: m.descriptor.unit,
            type: ({ [DataPointType.GAUGE]: 'gauge', [DataPointType.SUM]: 'sum', [DataPointType.HISTOGRAM]: 'histogram', [DataPointType.EXPONENTIAL_HISTOGRAM]: 'exponentialHistogram' } as Record<number, string>)[m.dataPointType],
            aggregationTemporality: m.dataPointType === DataPointType.GAUGE ? 0 : temporality(m.aggregationTemporality),
            isMonotonic: m.dataPointType === DataPointType.SUM ? m.isMonotonic : false,
            metadata: [],
          },
          scope: { name: 'billing', version: '0.9', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
          resource: resourceOf(sdkResource),
          attributes: attrs(dp.attributes),
          startTimeMs: time(dp.startTime).ms, startTimeNanos: time(dp.startTime).nanos, timeMs: time(dp.endTime).ms, timeNanos: time(dp.endTime).nanos,
          flags: 0,
        };
        if (m.dataPointType === DataPointType.HISTOGRAM) {
          const h = dp.value as Histogram;
          return { ...base, type: 'histogram', count: h.count, sum: h.sum, bucketCounts: h.buckets.counts, explicitBounds: h.buckets.boundaries, exemplars: [], min: h.min, max: h.max };
        }
        if (m.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) {
          const h = dp.value as ExponentialHistogram;
          return {
            ...base, type: 'exponentialHistogram', count: h.count, sum: h.sum, scale: h.scale, zeroCount: h.zeroCount, positive: h.positive, negative: h.negative,
            exemplars: [], min: h.min, max: h.max, zeroThreshold: 0,
          };
        }
        return { ...base, type: base.metric.type, valueType: m.descriptor.valueType === ValueType.INT ? 'int' : 'double', value: dp.value as number, exemplars: [] };
      }),
    ),
  );

  it('covers gauge, sum, histogram and exponential histogram', () => {
    expect(new Set(expected.map((p) => p.type))).toEqual(new Set(['gauge', 'sum', 'histogram', 'exponentialHistogram']));
  });

  it('ProtobufMetricsSerializer bytes decode to what was recorded', () => {
    expect(decodeMetrics(ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!)).toEqual(expected);
  });

  it('JsonMetricsSerializer output decodes to the same records', () => {
    expect(decodeMetricsJson(JsonMetricsSerializer.serializeRequest(resourceMetrics)!)).toEqual(expected);
  });
});

describe('logs recorded by the SDK', async () => {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: sdkResource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('audit', '3.0');
  logger.emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'disk almost full', attributes: { 'disk.free': 1024, mount: '/' } });
  logger.emit({ severityNumber: SeverityNumber.INFO, body: { user: 'ann', n: 2 }, eventName: 'login', timestamp: [1_700_000_000, 123_456_789] });
  await provider.forceFlush(); // the simple processor exports asynchronously
  const recorded = exporter.getFinishedLogRecords();
  const expected = recorded.map((l) => ({
    resource: resourceOf(l.resource),
    scope: { name: 'audit', version: '3.0', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
    timeMs: time(l.hrTime).ms, timeNanos: time(l.hrTime).nanos,
    observedTimeMs: time(l.hrTimeObserved).ms, observedTimeNanos: time(l.hrTimeObserved).nanos,
    severityNumber: l.severityNumber ?? 0, severityText: l.severityText ?? '',
    body: value(l.body), attributes: attrs(l.attributes), droppedAttributesCount: l.droppedAttributesCount, flags: 0,
    traceId: '', spanId: '', eventName: l.eventName ?? '',
  }));

  it('ProtobufLogsSerializer bytes decode to what was recorded', () => {
    const decoded = decodeLogs(ProtobufLogsSerializer.serializeRequest(recorded)!);
    expect(decoded).toEqual(expected);
    expect(decoded[1].timeMs).toBe(1_700_000_000_123);
    expect(decoded[1].timeNanos).toBe(456_789);
  });

  it('JsonLogsSerializer output decodes to the same records', () => {
    expect(decodeLogsJson(JsonLogsSerializer.serializeRequest(recorded)!)).toEqual(expected);
  });
});
