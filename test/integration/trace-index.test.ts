// The trace-index topology (topologies/trace-index.yaml, with this test's topics and short times) on the real Kafka,
// read by the query service: generated traces with late spans go to a two-partition otlp_spans topic, a worker
// assembles and indexes them into otlp.traces and otlp.index (registered in the schema registry), and a query
// replica that materializes those topics answers — trace by id, tag search, TraceQL, Jaeger services — exactly what
// brute force over the spans sent answers. The index records themselves are checked too: every key is co-partitioned
// with its traces and every sealed block's Bloom filter holds the block's traces.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { createKafka } from '../../src/kafka/index.ts';
import { TraceIdBloom } from '../../src/operators/traces/bloom.ts';
import { parseIndexKey, traceIndexCodec } from '../../src/operators/traces/indexRecord.ts';
import { parseTraceRecordKey } from '../../src/operators/traces/model.ts';
import { decodeTraces, encodeTraces, encodeTracesJson, type Span } from '../../src/otlp/index.ts';
import { QueryService } from '../../src/query/service.ts';
import { Worker } from '../../src/runtime/index.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { recentBase } from '../fixtures/metricsChain.ts';
import { chainInput, sampleTraces, shiftTraces, toSpan, type TestSpan } from '../fixtures/tailSampling.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';
import { waitForAllCommitted } from '../helpers/workers.ts';

const BLOCK_MS = 5_000;

/** The shipped topology file with this test's topics, a short gap and 5-second blocks that seal within the data. */
function topologyYaml(id: string, topics: { input: string; traces: string; index: string; late: string }): string {
  const doc = parse(readFileSync('topologies/trace-index.yaml', 'utf8')) as { application: string; source: { topic: string }; steps: Array<Record<string, Record<string, unknown>>> };
  doc.application = id;
  doc.source.topic = topics.input;
  Object.assign(doc.steps[0].assemble, { gap: '2s', max_duration: '1m', late_topic: topics.late });
  Object.assign(doc.steps[1].trace_index, { traces_topic: topics.traces, index_topic: topics.index, block: '5s', grace: '1s', flush_interval: '1s' });
  return stringify(doc);
}

// The trace id of an otlp.traces key (<tenant key>[#<fragment>]; the tenant key ends in the 32-digit id).
const traceIdOf = (key: string) => parseTraceRecordKey(key).traceKey.slice(-32);
const sortSpans = (spans: Span[]) => [...spans].sort((a, b) => (a.spanId < b.spanId ? -1 : 1)).map((s) => encodeTracesJson([s]));

describe('trace-index topology → query service', () => {
  const workers: Worker[] = [];
  const services: QueryService[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const s of services) await s.stop().catch(() => {});
    for (const w of workers) await w.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('indexes what the worker assembled, and the query service answers as brute force over the spans sent', { timeout: 180_000 }, async () => {
    const client = kafka();
    const config = resolveConfig([envLayer(stackSettings())]);
    const id = unique('trace-index');
    const topics = { input: `${id}.spans`, traces: `${id}.traces`, index: `${id}.index`, late: `${id}.late` };
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.input, numPartitions: 2 }] });
    await admin.disconnect();

    const generated = shiftTraces(sampleTraces(777, 14), recentBase());
    const { records } = chainInput(generated, 2);
    // A last span per partition, 10 s of stream time after the fixture's last clocks: stream time passes the next flush
    // after the late fragments those clocks closed, so their segments are written (the index follows stream time).
    const lastEnd = Math.max(...generated.flatMap((t) => t.fragments.flatMap((f) => f.spans.map((x) => x.endMs))));
    for (const partition of [0, 1]) {
      const traceId = `f1a5${partition.toString(16).padStart(28, '0')}`;
      const span: TestSpan = { spanId: `f1a5${partition.toString(16).padStart(12, '0')}`, parentSpanId: '', service: 'clock', name: 'tick', status: 0, startMs: lastEnd + 30_000, endMs: lastEnd + 30_000, route: '/', httpStatus: 200, forced: false };
      records.push({ key: traceId, value: encodeTraces([toSpan(traceId, span)]), headers: {}, partition });
    }
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: topics.input, acks: -1, messages: records.map((r) => ({ partition: r.partition, key: r.key, value: r.value, headers: r.headers })) });
    await producer.disconnect();

    const loaded = parseTopology(topologyYaml(id, topics), `${id}.yaml`);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const worker = new Worker({ topology: loaded.topology, config, commitIntervalMs: 200, httpPort: 0 });
    workers.push(worker);
    await worker.start();
    await waitForAllCommitted(client, id, topics.input, []);

    // The oracle: every span sent, per trace, but the last clocks' (they stay open: nothing comes after them).
    const expected = new Map<string, { traceId: string; tenant: string | undefined; spans: Span[] }>();
    for (const r of records.slice(0, -2)) {
      const entry = expected.get(r.key) ?? { traceId: r.key, tenant: r.headers.tenant, spans: [] };
      entry.spans.push(...decodeTraces(r.value));
      expected.set(r.key, entry);
    }
    const partitionOf = new Map(records.map((r) => [r.key, r.partition]));

    // otlp.traces: one record per fragment, on its trace's partition; otlp.index: keys on the partition they name.
    const traceRecords = await readTopic(client, topics.traces, { quietMs: 2_000 });
    expect(new Set(traceRecords.map((m) => traceIdOf(m.key!.toString())))).toEqual(new Set(expected.keys()));
    for (const m of traceRecords) expect(m.partition).toBe(partitionOf.get(traceIdOf(m.key!.toString())));
    const codec = traceIndexCodec(topics.index);
    await codec.prepare(config);
    const indexRecords = await readTopic(client, topics.index, { quietMs: 2_000 });
    const latest = new Map<string, ReturnType<typeof codec.decode> | null>();
    for (const m of indexRecords) {
      const key = m.key!.toString();
      expect(m.partition, key).toBe(parseIndexKey(key).partition);
      latest.set(key, m.value === null ? null : codec.decode(m.value));
    }
    let sealed = 0;
    for (const entry of latest.values()) {
      if (entry?.kind !== 'block') continue;
      sealed++;
      const bloom = TraceIdBloom.fromRecord(entry.bloom.bits, entry.bloom.hashes);
      const members = [...expected.values()].filter((trace) => (trace.tenant ?? '') === entry.tenant && partitionOf.get(trace.traceId) === entry.partition && Math.floor(Math.min(...trace.spans.map((s) => s.startTimeMs)) / BLOCK_MS) * BLOCK_MS === entry.blockStart);
      for (const trace of members) expect(bloom.mightContain(trace.traceId), trace.traceId).toBe(true);
    }
    expect(sealed).toBeGreaterThan(0);

    const dataDir = mkdtempSync(join(tmpdir(), 'trace-index-'));
    dirs.push(dataDir);
    const service = new QueryService(createKafka(config), config, { host: '127.0.0.1', port: 0, dataDir, peers: [], topics: { traces: topics.traces, index: topics.index }, tenancy: { mode: 'none' } });
    services.push(service);
    await service.start();
    await service.ready;
    const get = async (path: string, tenant: string | undefined, accept = 'application/json') => {
      const res = await fetch(`http://127.0.0.1:${service.port}${path}`, { headers: { accept, ...(tenant ? { 'x-scope-orgid': tenant } : {}) } });
      return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
    };

    // Every trace by id, span for span with its late fragments joined, in its own tenant only.
    for (const trace of expected.values()) {
      const res = await get(`/api/traces/${trace.traceId}`, trace.tenant, 'application/protobuf');
      expect(res.status, trace.traceId).toBe(200);
      expect(sortSpans(decodeTraces(new Uint8Array(res.body)))).toEqual(sortSpans(trace.spans));
      expect((await get(`/api/traces/${trace.traceId}`, trace.tenant === 'acme' ? 'zeta' : 'acme')).status).toBe(404);
    }

    // Searches against brute force, per tenant: a tag, and TraceQL with a span condition on status and an attribute.
    const searchIds = async (tenant: string | undefined, query: string) => {
      const res = await get(`/api/search?${query}&limit=1000`, tenant);
      expect(res.status, res.body.toString()).toBe(200);
      return (JSON.parse(res.body.toString()) as { traces: { traceID: string }[] }).traces.map((t) => t.traceID.padStart(32, '0')).sort();
    };
    const brute = (tenant: string | undefined, spanMatches: (s: Span) => boolean) =>
      [...expected.values()]
        .filter((trace) => trace.tenant === tenant && trace.spans.some(spanMatches))
        .map((trace) => trace.traceId)
        .sort();
    const attr = (s: Span, key: string) => [...s.attributes, ...s.resource.attributes].find((a) => a.key === key)?.value;
    let nonEmpty = 0;
    for (const tenant of [undefined, 'acme', 'zeta']) {
      const checkout = brute(tenant, (s) => attr(s, 'service.name') === 'checkout');
      expect(await searchIds(tenant, `tags=${encodeURIComponent('service.name=checkout')}`)).toEqual(checkout);
      const payErrors = brute(tenant, (s) => attr(s, 'http.route') === '/api/pay' && s.statusCode === 2);
      expect(await searchIds(tenant, `q=${encodeURIComponent('{ span.http.route = "/api/pay" && status = error }')}`)).toEqual(payErrors);
      const server5xx = brute(tenant, (s) => Number(attr(s, 'http.response.status_code')) >= 500 && attr(s, 'service.name') !== 'cart');
      expect(await searchIds(tenant, `q=${encodeURIComponent('{ span.http.response.status_code >= 500 && resource.service.name != "cart" }')}`)).toEqual(server5xx);
      nonEmpty += checkout.length + payErrors.length + server5xx.length;
      // Jaeger's service list: the services of the tenant's traces.
      const services = JSON.parse((await get('/jaeger/api/services', tenant)).body.toString()) as { data: string[] };
      const names = new Set([...expected.values()].filter((trace) => trace.tenant === tenant).flatMap((trace) => trace.spans.map((s) => String(attr(s, 'service.name')))));
      expect([...services.data].sort()).toEqual([...names].sort());
    }
    expect(nonEmpty).toBeGreaterThan(0);
  });
});
