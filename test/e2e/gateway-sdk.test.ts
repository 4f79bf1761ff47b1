// A real client end to end: an app instrumented with the OpenTelemetry JS SDK and its OTLP/HTTP protobuf exporters
// sends traces, metrics and logs to `otlp-streams ingest` running as its own process. The records on Kafka carry
// the collector's keys, sit in the partitions murmur2 picks, and decode to exactly what the exporters sent
// (the exporters' bytes are captured by wrapping each exporter).
import { context, trace, type Context } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSnappy } from '../../src/kafka/index.ts';
import {
  decodeLogs, decodeMetrics, decodeTraces, murmur2, resourceKey, splitLogs, splitMetrics, splitTraces, type LogRecord, type MetricPoint, type Span,
} from '../../src/otlp/index.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.ts';

type ExportResult = { code: number };
const SUCCESS = 0; // ExportResultCode.SUCCESS of @opentelemetry/core

// Wraps an exporter, keeping the protobuf bytes of every batch it exports (the exporter serializes the same way).
function capturing<T, E extends { export(items: T, cb: (r: ExportResult) => void): void }>(inner: E, serialize: (items: T) => Uint8Array | undefined, sent: Buffer[]): E {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'export') {
        return (items: T, cb: (r: ExportResult) => void) => {
          sent.push(Buffer.from(serialize(items)!));
          target.export(items, (result) => {
            if (result.code !== SUCCESS) sent.pop();
            cb(result);
          });
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const PARTITIONS = 4;
const bySpanId = (a: { spanId: string }, b: { spanId: string }) => a.spanId.localeCompare(b.spanId) || (a as LogRecord).timeMs - (b as LogRecord).timeMs;
const pointId = (p: MetricPoint) => `${p.metric.name}|${JSON.stringify(p.attributes)}|${p.resource.attributes.map((a) => String(a.value)).join(',')}`;

describe('OpenTelemetry JS SDK → otlp-streams ingest → Kafka', () => {
  const client = kafka();
  const topics = { traces: unique('sdk-spans'), metrics: unique('sdk-metrics'), logs: unique('sdk-logs') };
  let gateway: GatewayProcess;

  beforeAll(async () => {
    registerSnappy();
    gateway = await startGatewayProcess(stackSettings().KAFKA_BROKERS, [
      '--traces-topic', topics.traces, '--metrics-topic', topics.metrics, '--logs-topic', topics.logs,
      '--partitions', String(PARTITIONS), '--transactional-id', unique('sdk-gw'),
    ]);
  });
  afterAll(async () => {
    const code = await gateway?.stop();
    expect(code).toBe(0);
  });

  it('delivers traces, metrics and logs with the expected keys, partitions and contents', async () => {
    const sentTraces: Buffer[] = [];
    const sentMetrics: Buffer[] = [];
    const sentLogs: Buffer[] = [];
    const checkout = resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.4.7', 'host.name': 'node-1' });
    const payment = resourceFromAttributes({ 'service.name': 'payment', 'deployment.environment.name': 'e2e' });
    const spanExporter = () =>
      capturing<ReadableSpan[], SpanExporter>(new OTLPTraceExporter({ url: `${gateway.url}/v1/traces` }), (s) => ProtobufTraceSerializer.serializeRequest(s), sentTraces);
    const checkoutTracer = new BasicTracerProvider({ resource: checkout, spanProcessors: [new BatchSpanProcessor(spanExporter())] });
    const paymentTracer = new BasicTracerProvider({ resource: payment, spanProcessors: [new BatchSpanProcessor(spanExporter())] });
    const logs = new LoggerProvider({
      resource: checkout,
      processors: [
        new BatchLogRecordProcessor({
          exporter: capturing<ReadableLogRecord[], LogRecordExporter>(new OTLPLogExporter({ url: `${gateway.url}/v1/logs` }), (l) => ProtobufLogsSerializer.serializeRequest(l), sentLogs),
        }),
      ],
    });
    const metricExporter = capturing<ResourceMetrics, PushMetricExporter>(
      new OTLPMetricExporter({ url: `${gateway.url}/v1/metrics` }), (m) => ProtobufMetricsSerializer.serializeRequest(m), sentMetrics,
    );
    const meters = new MeterProvider({ resource: payment, readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })] });

    // An app: checkout places orders and calls payment (a child span in another service), logging as it goes.
    const logger = logs.getLogger('checkout');
    const meter = meters.getMeter('payment');
    const charges = meter.createCounter('payment.charges', { unit: '{charge}' });
    const amount = meter.createHistogram('payment.amount', { unit: 'USD' });
    const queue = meter.createUpDownCounter('payment.queue.length');
    const rate = meter.createGauge('payment.fx.rate');
    for (let order = 0; order < 25; order++) {
      const root = checkoutTracer.getTracer('checkout').startSpan('PlaceOrder', { attributes: { 'order.id': order } });
      const ctx: Context = trace.setSpan(context.active(), root);
      const charge = paymentTracer.getTracer('payment').startSpan('Charge', { attributes: { 'payment.amount': 10 + order } }, ctx);
      charges.add(1, { 'payment.method': order % 3 === 0 ? 'card' : 'paypal', outcome: order % 7 === 0 ? 'declined' : 'ok' });
      amount.record(10 + order, { currency: 'USD' });
      queue.add(order % 2 === 0 ? 1 : -1);
      rate.record(1.08 + order / 1000, { pair: 'EURUSD' });
      if (order % 7 === 0) charge.setStatus({ code: 2, message: 'card declined' });
      charge.end();
      logger.emit({ severityNumber: 9, severityText: 'INFO', body: `order ${order} placed`, attributes: { 'order.id': order }, context: ctx });
      root.end();
    }
    await checkoutTracer.forceFlush();
    await paymentTracer.forceFlush();
    await logs.forceFlush();
    await meters.forceFlush();
    await Promise.all([checkoutTracer.shutdown(), paymentTracer.shutdown(), logs.shutdown(), meters.shutdown()]);
    expect(sentTraces.length).toBeGreaterThan(0);
    expect(sentMetrics.length).toBeGreaterThan(0);
    expect(sentLogs.length).toBeGreaterThan(0);

    // Traces: one record per resource × scope × trace id, keyed by the trace id.
    const expectedTraceRecords = sentTraces.flatMap((b) => splitTraces(b));
    const traceRecords = await readTopic(client, topics.traces, { count: expectedTraceRecords.length });
    expect(traceRecords).toHaveLength(expectedTraceRecords.length);
    const sentSpans: Span[] = sentTraces.flatMap((b) => decodeTraces(b)).sort(bySpanId);
    expect(sentSpans).toHaveLength(50);
    expect(new Set(traceRecords.map((m) => m.key!.toString()))).toEqual(new Set(sentSpans.map((s) => s.traceId)));
    for (const m of traceRecords) expect(m.partition).toBe(murmur2.partition(m.key!, PARTITIONS));
    expect(traceRecords.flatMap((m) => decodeTraces(m.value!)).sort(bySpanId)).toEqual(sentSpans);

    // Metrics: one record per resource, keyed by the resource-attributes hash.
    const expectedMetricRecords = sentMetrics.flatMap((b) => splitMetrics(b));
    const metricRecords = await readTopic(client, topics.metrics, { count: expectedMetricRecords.length });
    const paymentKey = resourceKey(decodeMetrics(sentMetrics[0])[0].resource.attributes);
    for (const m of metricRecords) {
      expect(m.key).toEqual(paymentKey);
      expect(m.partition).toBe(murmur2.partition(paymentKey, PARTITIONS));
    }
    const sentPoints = sentMetrics.flatMap((b) => decodeMetrics(b));
    expect(new Set(sentPoints.map((p) => p.type))).toEqual(new Set(['sum', 'histogram', 'gauge']));
    const byPoint = (a: MetricPoint, b: MetricPoint) => pointId(a).localeCompare(pointId(b));
    expect(metricRecords.flatMap((m) => decodeMetrics(m.value!)).sort(byPoint)).toEqual([...sentPoints].sort(byPoint));

    // Logs: keyed by the same resource hash as metrics of that resource would be, with trace context kept.
    const expectedLogRecords = sentLogs.flatMap((b) => splitLogs(b));
    const logRecords = await readTopic(client, topics.logs, { count: expectedLogRecords.length });
    const sentLogRecords = sentLogs.flatMap((b) => decodeLogs(b));
    expect(sentLogRecords).toHaveLength(25);
    expect(sentLogRecords.every((l) => /^[0-9a-f]{32}$/.test(l.traceId))).toBe(true);
    for (const m of logRecords) expect(m.key).toEqual(resourceKey(sentLogRecords[0].resource.attributes));
    expect(logRecords.flatMap((m) => decodeLogs(m.value!)).sort(bySpanId)).toEqual([...sentLogRecords].sort(bySpanId));
  });
});
