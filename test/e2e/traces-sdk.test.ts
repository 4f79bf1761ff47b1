// Traces end to end with a real client: an app instrumented with the OpenTelemetry JS SDK exports to `otlp-streams
// ingest` (its own process), the trace-index topology (topologies/trace-index.yaml with this test's topics) assembles
// and indexes the spans, and the query service returns each trace by id span for span as the SDK exported it (the
// exporter's bytes are captured), and finds it by the SDK's attributes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace, type Context } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { createKafka } from '../../src/kafka/index.ts';
import { attributeText, decodeTraces, encodeTracesJson, murmur2, type Span } from '../../src/otlp/index.ts';
import { QueryService } from '../../src/query/service.ts';
import { Worker } from '../../src/runtime/index.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';
import { waitForAllCommitted } from '../helpers/workers.ts';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.ts';

const PARTITIONS = 2;
const sortSpans = (spans: Span[]) => [...spans].sort((a, b) => (a.spanId < b.spanId ? -1 : 1)).map((s) => encodeTracesJson([s]));

describe('OpenTelemetry JS SDK → ingest → trace-index → query service', () => {
  let gateway: GatewayProcess | undefined;
  let worker: Worker | undefined;
  let service: QueryService | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'traces-sdk-'));
  afterAll(async () => {
    await service?.stop();
    await worker?.stop();
    expect(await gateway?.stop()).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('returns every trace the SDK exported, span for span, and finds it by its attributes', async () => {
    const config = resolveConfig([envLayer(stackSettings())]);
    const id = unique('traces-sdk');
    const topics = { spans: `${id}.spans`, traces: `${id}.traces`, index: `${id}.index` };
    gateway = await startGatewayProcess(stackSettings().KAFKA_BROKERS, ['--traces-topic', topics.spans, '--partitions', String(PARTITIONS), '--transactional-id', unique('traces-sdk-gw')]);

    // The app: checkout places orders and calls payment (a child span in another service); some charges fail.
    const sent: Buffer[] = [];
    const exporter = new OTLPTraceExporter({ url: `${gateway.url}/v1/traces` });
    const capturing: SpanExporter = {
      export(spans: ReadableSpan[], done) {
        sent.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!));
        exporter.export(spans, done);
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush(),
    };
    const checkout = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'checkout' }), spanProcessors: [new BatchSpanProcessor(capturing)] });
    const payment = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'payment' }), spanProcessors: [new BatchSpanProcessor(capturing)] });
    for (let order = 0; order < 20; order++) {
      const root = checkout.getTracer('checkout').startSpan('PlaceOrder', { attributes: { 'order.id': order } });
      const ctx: Context = trace.setSpan(context.active(), root);
      const charge = payment.getTracer('payment').startSpan('Charge', { attributes: { 'payment.amount': 10 + order } }, ctx);
      if (order % 5 === 0) charge.setStatus({ code: 2, message: 'card declined' });
      charge.end();
      root.end();
    }
    await Promise.all([checkout.forceFlush(), payment.forceFlush()]);
    await Promise.all([checkout.shutdown(), payment.shutdown()]);
    const spans = sent.flatMap((b) => decodeTraces(b));
    expect(spans).toHaveLength(40);

    // Stream time moves with the data, per partition: a span a minute later on each partition closes the traces, and
    // one two minutes later reaches the next index flush.
    const later = Math.max(...spans.map((s) => s.endTimeMs));
    for (const [n, offset] of [60_000, 120_000].entries()) {
      const covered = new Set<number>();
      for (let i = 0; covered.size < PARTITIONS; i++) {
        const traceId = `c10c${n}${i.toString(16).padStart(27, '0')}`;
        const partition = murmur2.partition(Buffer.from(traceId), PARTITIONS);
        if (covered.has(partition)) continue;
        covered.add(partition);
        const ms = later + offset;
        const body = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'clock' } }] }, scopeSpans: [{ spans: [{ traceId, spanId: 'c10c000000000001', name: 'tick', startTimeUnixNano: `${ms}000000`, endTimeUnixNano: `${ms}000000` }] }] }] };
        const res = await fetch(`${gateway.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expect(res.status, await res.text()).toBe(200);
      }
    }

    const doc = parse(readFileSync('topologies/trace-index.yaml', 'utf8')) as { application: string; source: { topic: string }; steps: Array<Record<string, Record<string, unknown>>> };
    doc.application = id;
    doc.source.topic = topics.spans;
    Object.assign(doc.steps[1].trace_index, { traces_topic: topics.traces, index_topic: topics.index });
    const loaded = parseTopology(stringify(doc), `${id}.yaml`);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    worker = new Worker({ topology: loaded.topology, config, commitIntervalMs: 200, httpPort: 0 });
    await worker.start();
    await waitForAllCommitted(kafka(), id, topics.spans, []);

    service = new QueryService(createKafka(config), config, { host: '127.0.0.1', port: 0, dataDir, peers: [], topics: { traces: topics.traces, index: topics.index }, tenancy: { mode: 'none' } });
    await service.start();
    await service.ready;
    const url = `http://127.0.0.1:${service.port}`;
    const byTrace = new Map<string, Span[]>();
    for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
    expect(byTrace.size).toBe(20);
    for (const [traceId, exported] of byTrace) {
      const res = await fetch(`${url}/api/traces/${traceId}`, { headers: { accept: 'application/protobuf' } });
      expect(res.status, traceId).toBe(200);
      expect(sortSpans(decodeTraces(new Uint8Array(await res.arrayBuffer())))).toEqual(sortSpans(exported));
    }
    const search = async (query: string) => {
      const res = await fetch(`${url}/api/search?${query}&limit=100`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { traces: { traceID: string }[] }).traces.map((t) => t.traceID.padStart(32, '0')).sort();
    };
    const declined = [...byTrace].filter(([, list]) => list.some((s) => s.statusCode === 2)).map(([traceId]) => traceId).sort();
    expect(declined).toHaveLength(4);
    expect(await search(`q=${encodeURIComponent('{ resource.service.name = "payment" && status = error }')}`)).toEqual(declined);
    expect(await search(`tags=${encodeURIComponent('order.id=7')}`)).toEqual([...byTrace].filter(([, list]) => list.some((s) => s.attributes.some((a) => a.key === 'order.id' && attributeText(a) === '7'))).map(([t]) => t));
  });
});
