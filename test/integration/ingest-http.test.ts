// The ingest gateway over OTLP/HTTP against the real broker: keys, partitions and values on Kafka, status codes,
// partial success, limits and tenancy.
import { gzipSync } from 'node:zlib';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Traffic } from '../../src/gen/index.ts';
import { createGateway, type Gateway } from '../../src/ingest/index.ts';
import { registerSnappy } from '../../src/kafka/index.ts';
import {
  decodeLogs, decodeMetrics, decodeTraces, encodeTraces, encodeTracesJson, murmur2, splitLogs, splitMetrics, splitTraces, type Span,
} from '../../src/otlp/index.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, unique } from '../helpers/stack.ts';

const T0 = 1_767_225_600_000; // 2026-01-01

function topicsFor(prefix: string) {
  return { traces: unique(`${prefix}-spans`), metrics: unique(`${prefix}-metrics`), logs: unique(`${prefix}-logs`) };
}

async function endOffsets(client: Kafka, topic: string): Promise<number> {
  const admin = client.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

function post(port: number, path: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-protobuf', ...headers } });
}

const bySpanId = (a: Span, b: Span) => a.spanId.localeCompare(b.spanId);

describe('ingest gateway over HTTP', () => {
  const client = kafka();
  const traffic = new Traffic({ seed: 11, startMs: T0 });
  const topics = topicsFor('http');
  let gateway: Gateway;
  let port: number;

  beforeAll(async () => {
    registerSnappy();
    gateway = createGateway(client, { httpPort: 0, grpcPort: null, topics, partitions: 3, transactionalId: unique('gw') });
    port = (await gateway.start()).httpPort;
  });
  afterAll(async () => gateway?.stop());

  it('writes gzip protobuf traces keyed by trace id, partitioned by murmur2, decoding to what was sent', async () => {
    const { traces, spans } = traffic.encodedTraces(300);
    const res = await post(port, '/v1/traces', gzipSync(traces), { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(0);

    const expected = splitTraces(traces);
    const got = await readTopic(client, topics.traces, { count: expected.length });
    expect(got).toHaveLength(expected.length);
    expect(new Set(got.map((m) => m.key!.toString('latin1')))).toEqual(new Set(expected.map((r) => r.key.toString('latin1'))));
    for (const m of got) {
      expect(m.key!.toString('latin1')).toMatch(/^[0-9a-f]{32}$/);
      expect(m.partition).toBe(murmur2.partition(m.key!, 3));
      expect(decodeTraces(m.value!).every((s) => s.traceId === m.key!.toString('latin1'))).toBe(true);
    }
    const received = got.flatMap((m) => decodeTraces(m.value!)).sort(bySpanId);
    expect(received).toHaveLength(spans);
    expect(received).toEqual(decodeTraces(traces).sort(bySpanId));
  });

  it('takes OTLP/JSON and answers in JSON', async () => {
    const spans = decodeTraces(traffic.encodedTraces(20).traces);
    const before = await endOffsets(client, topics.traces);
    const res = await post(port, '/v1/traces', encodeTracesJson(spans), { 'Content-Type': 'application/json' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(await endOffsets(client, topics.traces)).toBeGreaterThan(before);
  });

  it('writes metrics and logs keyed by the resource hash', async () => {
    const { metrics, points } = traffic.encodedMetrics(T0 + 10_000);
    const { logs } = traffic.encodedTraces(200);
    expect((await post(port, '/v1/metrics', metrics)).status).toBe(200);
    expect((await post(port, '/v1/logs', logs)).status).toBe(200);
    const expectedMetrics = splitMetrics(metrics);
    const gotMetrics = await readTopic(client, topics.metrics, { count: expectedMetrics.length });
    expect(gotMetrics.map((m) => m.key!.toString('hex')).sort()).toEqual(expectedMetrics.map((r) => r.key.toString('hex')).sort());
    for (const m of gotMetrics) expect(m.partition).toBe(murmur2.partition(m.key!, 3));
    expect(gotMetrics.flatMap((m) => decodeMetrics(m.value!))).toHaveLength(points);
    const gotLogs = await readTopic(client, topics.logs, { count: splitLogs(logs).length });
    const bySpan = (a: { spanId: string }, b: { spanId: string }) => a.spanId.localeCompare(b.spanId);
    expect(gotLogs.flatMap((m) => decodeLogs(m.value!)).sort(bySpan)).toEqual(decodeLogs(logs).sort(bySpan));
  });

  it('refuses malformed bodies with 400 and a message naming the problem, producing nothing', async () => {
    const before = await endOffsets(client, topics.traces);
    const good = traffic.encodedTraces(10).traces;
    const truncated = await post(port, '/v1/traces', good.subarray(0, good.length - 7));
    expect(truncated.status).toBe(400);
    expect(truncated.headers.get('content-type')).toBe('application/x-protobuf');
    const badJson = await post(port, '/v1/traces', '{"resourceSpans": [', { 'Content-Type': 'application/json' });
    expect(badJson.status).toBe(400);
    const body = (await badJson.json()) as { code: number; message: string };
    expect(body.code).toBe(3);
    expect(body.message).toMatch(/json/i);
    const badTraceId = encodeTracesJson(decodeTraces(good)).replace(/"traceId":"[0-9a-f]{32}"/, '"traceId":"abc"');
    const wrongId = await post(port, '/v1/traces', badTraceId, { 'Content-Type': 'application/json' });
    expect(wrongId.status).toBe(400);
    expect(((await wrongId.json()) as { message: string }).message).toMatch(/traceId/);
    const badGzip = await post(port, '/v1/traces', good, { 'Content-Encoding': 'gzip' });
    expect(badGzip.status).toBe(400);
    expect(await endOffsets(client, topics.traces)).toBe(before);
  });

  it('answers 415 for other media types and encodings, 404 and 405 for other routes', async () => {
    expect((await post(port, '/v1/traces', 'x', { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await post(port, '/v1/traces', 'x', { 'Content-Encoding': 'br' })).status).toBe(415);
    expect((await post(port, '/v1/spans', 'x')).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/v1/traces`)).status).toBe(405);
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/otlp_ingest_requests_total\{signal="traces",transport="http",outcome="accepted"\} [1-9]/);
    expect(text).toMatch(/otlp_ingest_rejections_total\{signal="traces",reason="invalid"\} [1-9]/);
    expect(text).toMatch(/otlp_ingest_items_total\{signal="traces"\} [1-9]/);
    expect(text).toContain('otlp_ingest_produce_seconds_bucket');
  });
});

describe('ingest gateway limits and tenancy', () => {
  const client = kafka();
  const traffic = new Traffic({ seed: 12, startMs: T0 });
  const topics = topicsFor('limits');
  let gateway: Gateway;
  let port: number;
  const tenant = { 'X-Scope-OrgID': 'team-a' };

  beforeAll(async () => {
    registerSnappy();
    gateway = createGateway(client, {
      httpPort: 0, grpcPort: null, topics, partitions: 2, transactionalId: unique('gw'),
      // Room for two requests of ~45 KB, each with its records (~150 KB with their objects: 512 bytes per record).
      maxMessageBytes: 8192, maxBodyBytes: 64 * 1024, maxInflightBytes: 640 * 1024, tenancy: { mode: 'header' },
      tenantMaxInflightBytes: 640 * 1024, // the 429 below is the gateway's budget: the one tenant may use all of it
    });
    port = (await gateway.start()).httpPort;
  });
  afterAll(async () => gateway?.stop());

  const hugeSpan = (base: Span): Span => ({ ...base, spanId: 'ffffffffffffffff', attributes: [{ key: 'blob', type: 'string', value: 'x'.repeat(10_000) }] });

  it('requires X-Scope-OrgID and puts the tenant on every record', async () => {
    const { traces } = traffic.encodedTraces(20);
    expect((await post(port, '/v1/traces', traces)).status).toBe(401);
    expect((await post(port, '/v1/traces', traces, tenant)).status).toBe(200);
    const got = await readTopic(client, topics.traces, { count: splitTraces(traces).length });
    expect(got.every((m) => m.headers?.tenant?.toString() === 'team-a')).toBe(true);
  });

  it('splits records over the message size and reports items that can never fit as partial success', async () => {
    const spans = decodeTraces(traffic.encodedTraces(200).traces);
    const body = encodeTraces([...spans, hugeSpan(spans[0])]);
    const res = await post(port, '/v1/traces', body, tenant);
    expect(res.status).toBe(200);
    const json = await post(port, '/v1/traces', encodeTracesJson([...spans.slice(0, 5), hugeSpan(spans[0])]), { ...tenant, 'Content-Type': 'application/json' });
    expect(await json.json()).toMatchObject({ partialSuccess: { rejectedSpans: '1', errorMessage: expect.stringMatching(/spans\[\d+\] \(\d+ bytes\)/) } });
    // protobuf ExportTracePartialSuccess { rejected_spans: 1, error_message }
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes[0]).toBe(0x0a);
    const inner = bytes.subarray(bytes[1] < 0x80 ? 2 : 3);
    expect(inner.subarray(0, 2)).toEqual(Buffer.from([0x08, 0x01]));
    expect(inner.toString('latin1')).toContain('larger than the largest Kafka message');
    const onlyHuge = await post(port, '/v1/traces', encodeTraces([hugeSpan(spans[0])]), tenant);
    expect(onlyHuge.status).toBe(413);
    const onKafka = await readTopic(client, topics.traces, { quietMs: 2000 });
    expect(Math.max(...onKafka.map((m) => m.value!.length))).toBeLessThanOrEqual(8192);
    const sent = new Set(spans.map((s) => s.spanId));
    expect(onKafka.flatMap((m) => decodeTraces(m.value!)).filter((s) => sent.has(s.spanId)).length).toBe(spans.length + 5);
  });

  it('answers 413 for bodies over the limit, compressed or not', async () => {
    const big = Buffer.alloc(70 * 1024, 0x0a);
    expect((await post(port, '/v1/traces', big, tenant)).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(10 << 20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect((await post(port, '/v1/traces', bomb, { ...tenant, 'Content-Encoding': 'gzip' })).status).toBe(413);
  });

  it('answers 429 with Retry-After once the in-flight byte budget is used up', async () => {
    const bodies = Array.from({ length: 8 }, () => traffic.encodedTraces(250).traces);
    expect(bodies[0].length).toBeGreaterThan(40 * 1024);
    const responses = await Promise.all(bodies.map((b) => post(port, '/v1/traces', b, tenant)));
    const statuses = responses.map((r) => r.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    for (const r of responses.filter((x) => x.status === 429)) expect(r.headers.get('retry-after')).toBe('5');
  });
});
