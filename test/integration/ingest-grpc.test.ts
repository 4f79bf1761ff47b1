// The ingest gateway over OTLP/gRPC: the collector services' Export methods, status codes, bearer-token tenancy
// (with the idempotent, non-transactional delivery mode and the sarama_compat partitioner).
import { credentials, makeGenericClientConstructor, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Traffic } from '../../src/gen/index.ts';
import { createGateway, otlpServiceDefinition, parseCredentials, type Gateway } from '../../src/ingest/index.ts';
import { registerSnappy } from '../../src/kafka/index.ts';
import { decodeTraces, encodeTraces, sarama_compat, splitMetrics, splitTraces, type Signal, type Span } from '../../src/otlp/index.ts';
import { manyTracesLargeResource, metricsResourceWithAttributes } from '../../src/otlp/testing/hostile.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, unique } from '../helpers/stack.ts';

type ExportClient = Client & { Export(req: Buffer, md: Metadata, cb: (err: ServiceError | null, res?: Buffer) => void): void };

function exportClient(signal: Signal, port: number, options: Record<string, number> = {}): ExportClient {
  const Ctor = makeGenericClientConstructor(otlpServiceDefinition(signal), `${signal}Service`);
  return new Ctor(`127.0.0.1:${port}`, credentials.createInsecure(), options) as unknown as ExportClient;
}

function call(client: ExportClient, body: Buffer, token?: string): Promise<{ err: ServiceError | null; res?: Buffer }> {
  const md = new Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) => client.Export(body, md, (err, res) => resolve({ err, res })));
}

describe('ingest gateway over gRPC', () => {
  const client = kafka();
  const traffic = new Traffic({ seed: 21, startMs: 1_767_225_600_000 });
  const topics = { traces: unique('grpc-spans'), metrics: unique('grpc-metrics'), logs: unique('grpc-logs') };
  let gateway: Gateway;
  let port: number;
  const clients: ExportClient[] = [];
  const gatewayInflight = async () => Number(/^otlp_ingest_inflight_bytes (\d+)/m.exec(await gateway.metrics.registry.metrics())?.[1] ?? NaN);
  const open = (signal: Signal, options: Record<string, number> = {}) => {
    const c = exportClient(signal, port, options);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    registerSnappy();
    gateway = createGateway(client, {
      httpPort: 0, grpcPort: 0, topics, partitions: 4, partitioner: 'sarama_compat', delivery: 'idempotent', transactionalId: unique('gw'),
      maxMessageBytes: 16 * 1024, maxBodyBytes: 256 * 1024, maxInflightBytes: 1 << 20,
      tenancy: { mode: 'auth', credentials: parseCredentials({ tokens: { 's3cret-a': 'tenant-a' } }, 'test') },
    });
    port = (await gateway.start()).grpcPort!;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await gateway?.stop();
  });

  it('exports traces (gzip-compressed call) with the tenant of the token, keyed and partitioned like the collector', async () => {
    const { traces, spans } = traffic.encodedTraces(200);
    const { err, res } = await call(open('traces', { 'grpc.default_compression_algorithm': 2 }), traces, 's3cret-a');
    expect(err).toBeNull();
    expect(res).toEqual(Buffer.alloc(0));
    const expected = splitTraces(traces);
    const got = await readTopic(client, topics.traces, { count: expected.length });
    expect(got.flatMap((m) => decodeTraces(m.value!))).toHaveLength(spans);
    for (const m of got) {
      expect(m.partition).toBe(sarama_compat.partition(m.key!, 4));
      expect(m.headers?.tenant?.toString()).toBe('tenant-a');
    }
  });

  it('exports metrics', async () => {
    const { metrics } = traffic.encodedMetrics(1_767_225_610_000);
    const { err } = await call(open('metrics'), metrics, 's3cret-a');
    expect(err).toBeNull();
    expect(await readTopic(client, topics.metrics, { count: splitMetrics(metrics).length })).toHaveLength(splitMetrics(metrics).length);
  });

  it('answers UNAUTHENTICATED without a known token', async () => {
    const traces = traffic.encodedTraces(5).traces;
    expect((await call(open('logs'), traces)).err?.code).toBe(status.UNAUTHENTICATED);
    expect((await call(open('logs'), traces, 'nope')).err?.code).toBe(status.UNAUTHENTICATED);
  });

  it('answers INVALID_ARGUMENT with the problem for malformed requests', async () => {
    const traces = traffic.encodedTraces(5).traces;
    const { err } = await call(open('traces'), traces.subarray(0, traces.length - 3), 's3cret-a');
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/invalid OTLP protobuf/);
  });

  it('reports items that can never fit through partial_success, and refuses requests over the size limit', async () => {
    const spans = decodeTraces(traffic.encodedTraces(20).traces);
    const huge: Span = { ...spans[0], spanId: 'eeeeeeeeeeeeeeee', attributes: [{ key: 'blob', type: 'string', value: 'y'.repeat(20_000) }] };
    const { err, res } = await call(open('traces'), encodeTraces([...spans, huge]), 's3cret-a');
    expect(err).toBeNull();
    expect(res![0]).toBe(0x0a); // partial_success
    expect(res!.toString('latin1')).toContain('larger than the largest Kafka message');
    const tooBig = await call(open('traces'), Buffer.alloc(300 * 1024, 0), 's3cret-a');
    expect(tooBig.err?.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('refuses requests that would multiply, saying why, and compressed messages over the limit once decompressed', async () => {
    // 400 trace ids under a 100 KB resource: 40 MB of records from a 110 KB message.
    const bomb = await call(open('traces'), manyTracesLargeResource(400, 100_000), 's3cret-a');
    expect(bomb.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(bomb.err?.details).toMatch(/bytes of Kafka records.*repeats its resource/);
    const tooMany = await call(open('metrics'), metricsResourceWithAttributes(2000), 's3cret-a');
    expect(tooMany.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(tooMany.err?.details).toMatch(/more than 1024 attributes.*maxResourceAttributes/);
    // Gzip on the wire is a few KB; decompressed it is over the 256 KB receive limit.
    const zipped = await call(open('logs', { 'grpc.default_compression_algorithm': 2 }), Buffer.alloc(1 << 20, 0), 's3cret-a');
    expect(zipped.err?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(await gatewayInflight()).toBe(0);
  });
});
