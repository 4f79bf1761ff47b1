// Span metrics and the service graph on the real stack: seeded traces (client/server pairs across services, errors,
// database calls, calls to uninstrumented peers, root spans, two tenants) as OTLP protobuf records on a spans topic
// with several partitions; the topology files spanmetrics.yaml, servicegraph.yaml and spanmetrics-rollup.yaml (with
// this test's own application ids and topics) turn them into partials and then into the 1m rollup. Every record of
// the rollup topic, read through the schema registry's own client, equals a brute-force pass over the spans, and
// there is exactly one record per series and minute.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { spanMetrics } from '../../src/operators/spanmetrics/index.ts';
import { resource, span } from '../../src/operators/spanmetrics/testing.ts';
import { encodeTraces, murmur2, SpanKind, StatusCode, type Attribute, type Resource, type Span } from '../../src/otlp/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import type { AvroValue, DecodedRollup } from '../fixtures/metricsChain.ts';
import { readToEnd } from '../helpers/readToEnd.ts';
import { createTopic, kafka, stackSettings, unique } from '../helpers/stack.ts';
import { topologyCopy } from '../helpers/topologyCopy.ts';
import { seededRandom, waitForAllCommitted } from '../helpers/workers.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
// Recent event times: the topics keep records by time (7 days).
const BASE = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
const PARTITIONS = 3;
const TRAFFIC_MINUTES = 6;
// Far later spans in every partition: CLOSE_A closes the windows of the traffic in the span topologies, and their
// partials for CLOSE_A's minute (the span topologies close it at CLOSE_B) close the traffic minutes of the rollup.
const CLOSE_A = BASE + 20 * MINUTE;
const CLOSE_B = BASE + 30 * MINUTE;

// The connectors' default buckets (docs/spanmetrics.md): span durations in ms, service-graph latencies in s.
const DURATION_BOUNDS_MS = [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10000, 15000];
const LATENCY_BOUNDS_S = [0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15];
const KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

interface SpanRecord {
  partition: number;
  traceId: string;
  tenant: string;
  span: Span;
}

const random = seededRandom(14);
const hex = (digits: number) => Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join('');
const partitionOf = (key: string) => murmur2.partition(Buffer.from(key), PARTITIONS);
/** A trace id whose records land in `partition`. */
function traceIdIn(partition: number): string {
  for (;;) {
    const id = hex(32);
    if (partitionOf(id) === partition) return id;
  }
}

const FRONTEND = [resource({ 'service.name': 'frontend', 'host.name': 'fe-a' }), resource({ 'service.name': 'frontend', 'host.name': 'fe-b' })];
const CART = resource({ 'service.name': 'cart', 'host.name': 'cart-1' });
const CHECKOUT = resource({ 'service.name': 'checkout', 'host.name': 'co-1' });
const EMAIL = resource({ 'service.name': 'email' });
const HEARTBEAT = resource({ 'service.name': 'heartbeat' });
const CLOSER = resource({ 'service.name': 'closer' });
const NAMELESS = resource({ 'host.name': 'no-service' });

/** A span duration in ns: log-uniform from 0.5 ms to 20 s, or now and then exactly on a bucket bound. */
function durationNanos(): number {
  if (random() < 0.1) return [2, 10, 1000, 15000][Math.floor(random() * 4)] * 1e6;
  return Math.round(Math.exp(Math.log(5e5) + random() * Math.log(4e4)));
}

const at = (ms: number, nanos: number) => ({ ms: ms + Math.floor(nanos / 1e6), nanos: nanos % 1e6 });

/** One trace: a root server span of the frontend and a random set of calls under it. */
function trace(startMs: number): { tenant: string; spans: Span[] } {
  const traceId = hex(32);
  const tenant = random() < 0.25 ? 'acme' : '';
  const spans: Span[] = [];
  let nextId = 1;
  const spanId = () => (nextId++).toString(16).padStart(16, '0');
  const status = (errorRate: number) => (random() < errorRate ? StatusCode.ERROR : random() < 0.3 ? StatusCode.OK : StatusCode.UNSET);
  const add = (res: Resource, name: string, kind: number, parentSpanId: string, startNanos: number, nanos: number, fields: Partial<Span> = {}): Span => {
    const start = at(startMs, startNanos);
    const end = at(startMs, startNanos + nanos);
    const s = span({
      resource: res, traceId, spanId: spanId(), parentSpanId, name, kind, statusCode: status(0.1),
      startTimeMs: start.ms, startTimeNanos: start.nanos, endTimeMs: end.ms, endTimeNanos: end.nanos, ...fields,
    });
    spans.push(s);
    return s;
  };
  const frontend = FRONTEND[Math.floor(random() * 2)];
  const rootId = spanId();
  let offset = Math.floor(random() * 2e6);
  // A client span and the server span it calls: the server starts and ends within 2 ms of the client.
  const pair = (client: Resource, server: Resource, name: string, clientKind: number, serverKind: number, parent: string) => {
    const net = () => 100_000 + Math.floor(random() * 1_900_000);
    const serverNanos = durationNanos();
    const clientStart = offset;
    const serverStart = clientStart + net();
    const c = add(client, name, clientKind, parent, clientStart, serverStart - clientStart + serverNanos + net());
    const s = add(server, name, serverKind, c.spanId, serverStart, serverNanos);
    offset += 3e6;
    return s;
  };
  if (random() < 0.8) {
    const cartServer = pair(frontend, CART, 'POST /cart', SpanKind.CLIENT, SpanKind.SERVER, rootId);
    if (random() < 0.7) add(CART, 'SELECT cart', SpanKind.CLIENT, cartServer.spanId, offset, durationNanos(), { attributes: [{ key: 'db.name', type: 'string', value: 'cartdb' }] });
  }
  if (random() < 0.3) pair(CHECKOUT, EMAIL, 'order placed', SpanKind.PRODUCER, SpanKind.CONSUMER, rootId);
  if (random() < 0.3) add(frontend, 'GET /rates', SpanKind.CLIENT, rootId, offset, durationNanos(), { attributes: [{ key: 'peer.service', type: 'string', value: 'fx-api' }] });
  if (random() < 0.1) add(frontend, 'GET /legacy', SpanKind.CLIENT, rootId, offset, durationNanos());
  if (random() < 0.1) add(CART, 'GET /cart', SpanKind.SERVER, 'feedfacefeedface', offset, durationNanos()); // its client is not instrumented
  if (random() < 0.5) add(CHECKOUT, 'compute', SpanKind.INTERNAL, rootId, offset, durationNanos());
  if (random() < 0.1) add(NAMELESS, 'orphan', SpanKind.SERVER, '', offset, durationNanos());
  // The root ends last, as a request's span does.
  const lastEnd = Math.max(...spans.map((s) => (s.endTimeMs - startMs) * 1e6 + s.endTimeNanos), offset);
  add(frontend, 'GET /checkout', SpanKind.SERVER, '', 0, lastEnd + 1_000_000 + Math.floor(random() * 1e6), { spanId: rootId });
  return { tenant, spans };
}

/** The traffic: a trace every 0.5 s for TRAFFIC_MINUTES, a heartbeat span every 4 s in every partition, the closing spans. */
function traffic(): { records: SpanRecord[]; closing: SpanRecord[][] } {
  const records: SpanRecord[] = [];
  for (let i = 0; i < (TRAFFIC_MINUTES * MINUTE) / 500; i++) {
    const { tenant, spans } = trace(BASE + i * 500 + Math.floor(random() * 400));
    for (const s of spans) records.push({ partition: partitionOf(s.traceId), traceId: s.traceId, tenant, span: s });
  }
  // Stream time moves in small steps in every partition, so an unpaired half expires (10 s of stream time after it
  // came) within the windows' grace (20 s).
  const lastEnd = Math.max(...records.map((r) => r.span.endTimeMs));
  for (let p = 0; p < PARTITIONS; p++) {
    for (let t = BASE + p * 1000; t < lastEnd + 30 * SECOND; t += 4 * SECOND) {
      const traceId = traceIdIn(p);
      records.push({ partition: p, traceId, tenant: '', span: span({ resource: HEARTBEAT, traceId, name: 'tick', kind: SpanKind.INTERNAL, startTimeMs: t - 1, endTimeMs: t }) });
    }
  }
  // Closing spans: in every spans partition, and with series that cover every partials partition.
  const names: string[] = [];
  const covered = new Set<number>();
  for (let i = 0; covered.size < PARTITIONS; i++) {
    const name = `close-${i}`;
    const [calls] = spanMetrics()(span({ resource: CLOSER, name, kind: SpanKind.INTERNAL }));
    if (!covered.has(partitionOf(calls.seriesId))) names.push(name);
    covered.add(partitionOf(calls.seriesId));
  }
  // Each spans partition also gets a database call, an edge of its own: the service graph's window step closes its
  // windows only when an edge reaches it, not when stream time passes them (see the test below).
  const database: Attribute[] = [{ key: 'db.name', type: 'string', value: 'closedb' }];
  const closing = [CLOSE_A, CLOSE_B].map((time) =>
    Array.from({ length: PARTITIONS }, (_, p) => [
      ...names.map((name) => ({ name, kind: SpanKind.INTERNAL, attributes: [] as Attribute[] })),
      { name: 'SELECT close', kind: SpanKind.CLIENT, attributes: database },
    ].map(({ name, kind, attributes }) => {
      const traceId = traceIdIn(p);
      return { partition: p, traceId, tenant: '', span: span({ resource: CLOSER, traceId, name, kind, attributes, startTimeMs: time - 5, endTimeMs: time }) };
    })).flat(),
  );
  return { records, closing };
}

// --- brute force -------------------------------------------------------------------------------------------------

interface Expected {
  points?: number;
  sum?: number;
  count?: number;
  min?: number;
  max?: number;
  buckets?: number[];
}

const serviceOf = (s: Span) => s.resource.attributes.find((a) => a.key === 'service.name')?.value as string | undefined;
const nanosOf = (s: Span) => Math.max(0, (s.endTimeMs - s.startTimeMs) * 1e6 + s.endTimeNanos - s.startTimeNanos);
const attributeText = (attributes: [string, unknown][]) => JSON.stringify([...attributes].sort(([a], [b]) => (a < b ? -1 : 1)));
const seriesText = (tenant: string, name: string, resourceAttributes: [string, unknown][], attributes: [string, unknown][], windowStart: number) =>
  `${tenant}|${name}|${attributeText(resourceAttributes)}|${attributeText(attributes)}|${new Date(windowStart).toISOString()}`;
const pairs = (attributes: readonly Attribute[]): [string, unknown][] => attributes.map((a) => [a.key, a.value]);

/** Per series and minute: what the 1m rollup must hold, by the connectors' rules applied to whole traces. */
function oracle(records: SpanRecord[]): Map<string, Expected> {
  const out = new Map<string, Expected>();
  const minute = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;
  const count = (id: string) => {
    const e = out.get(id) ?? { points: 0, sum: 0 };
    out.set(id, { points: e.points! + 1, sum: e.sum! + 1 });
  };
  const observe = (id: string, bounds: number[], value: number) => {
    const e = out.get(id) ?? { count: 0, sum: 0, min: Infinity, max: -Infinity, buckets: new Array<number>(bounds.length + 1).fill(0) };
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]) bucket++;
    e.buckets![bucket]++;
    out.set(id, { count: e.count! + 1, sum: e.sum! + value, min: Math.min(e.min!, value), max: Math.max(e.max!, value), buckets: e.buckets });
  };

  // Span metrics: one call and one duration per span of a named service.
  for (const { tenant, span: s } of records) {
    const service = serviceOf(s);
    if (service === undefined) continue;
    const attributes: [string, unknown][] = [['service.name', service], ['span.name', s.name], ['span.kind', KIND_NAMES[s.kind]], ['status.code', STATUS_NAMES[s.statusCode]]];
    const resourceAttributes = pairs(s.resource.attributes);
    count(seriesText(tenant, 'traces.span.metrics.calls', resourceAttributes, attributes, minute(s.endTimeMs)));
    observe(seriesText(tenant, 'traces.span.metrics.duration', resourceAttributes, attributes, minute(s.endTimeMs)), DURATION_BOUNDS_MS, nanosOf(s) / 1e6);
  }

  // Service graph: edges from whole traces.
  const edge = (tenant: string, client: string, server: string, type: string, failed: boolean, clientSeconds: number | null, serverSeconds: number | null, timeMs: number) => {
    const attributes: [string, unknown][] = [['client', client], ['server', server], ['connection_type', type], ['failed', failed]];
    const id = (name: string) => seriesText(tenant, name, [], attributes, minute(timeMs));
    count(id('traces_service_graph_request_total'));
    if (failed) count(id('traces_service_graph_request_failed_total'));
    if (serverSeconds !== null) observe(id('traces_service_graph_request_server'), LATENCY_BOUNDS_S, serverSeconds);
    if (clientSeconds !== null) observe(id('traces_service_graph_request_client'), LATENCY_BOUNDS_S, clientSeconds);
  };
  const isClient = (s: Span) => s.kind === SpanKind.CLIENT || s.kind === SpanKind.PRODUCER;
  const isServer = (s: Span) => s.kind === SpanKind.SERVER || s.kind === SpanKind.CONSUMER;
  const failed = (...spans: Span[]) => spans.some((s) => s.statusCode === StatusCode.ERROR);
  const seconds = (s: Span) => nanosOf(s) / 1e9;
  const traces = new Map<string, SpanRecord[]>();
  for (const r of records) traces.set(`${r.tenant}/${r.traceId}`, [...(traces.get(`${r.tenant}/${r.traceId}`) ?? []), r]);
  for (const trace of traces.values()) {
    const tenant = trace[0].tenant;
    const spans = trace.map((r) => r.span).filter((s) => serviceOf(s) !== undefined);
    for (const s of spans) {
      const attribute = (key: string) => s.attributes.find((a) => a.key === key)?.value as string | undefined;
      if (isClient(s)) {
        const database = attribute('db.name');
        const server = spans.find((c) => isServer(c) && c.parentSpanId === s.spanId);
        if (database !== undefined) edge(tenant, serviceOf(s)!, database, 'database', failed(s), seconds(s), seconds(s), s.endTimeMs);
        else if (server !== undefined) {
          const messaging = s.kind === SpanKind.PRODUCER || server.kind === SpanKind.CONSUMER;
          edge(tenant, serviceOf(s)!, serviceOf(server)!, messaging ? 'messaging_system' : '', failed(s, server), seconds(s), seconds(server), Math.max(s.endTimeMs, server.endTimeMs));
        } else edge(tenant, serviceOf(s)!, attribute('peer.service') ?? 'unknown', 'virtual_node', failed(s), seconds(s), null, s.endTimeMs);
      } else if (isServer(s) && s.parentSpanId === '') edge(tenant, 'user', serviceOf(s)!, 'virtual_node', failed(s), null, seconds(s), s.endTimeMs);
      // A server span whose client never comes is dropped, as the connector drops it.
    }
  }
  return out;
}

// --- reading the rollup --------------------------------------------------------------------------------------------

const avroPairs = (kvs: { key: string; value: AvroValue }[]): [string, unknown][] => kvs.map((kv) => [kv.key, kv.value.value === null ? null : Object.values(kv.value.value)[0]]);

/** What a Rollup record says, in the oracle's terms: DELTA_SUM → points and sum, HISTOGRAM → count, sum, min, max, buckets. */
function readable(r: DecodedRollup): Expected {
  if (r.kind === 'DELTA_SUM') return { points: r.points!, sum: r.sum! };
  return { count: r.count!, sum: r.sum!, min: r.min!, max: r.max!, buckets: r.buckets!.counts };
}

/**
 * `actual` with each sum replaced by the expected one where they agree to 1e-9 (relative): the rollup adds durations
 * exactly and rounds once, the brute force rounds at every addition. A sum that differs more shows in the diff.
 */
function sumsWithin(actual: Map<string, Expected>, expected: Map<string, Expected>): Map<string, Expected> {
  return new Map([...actual].map(([k, a]) => {
    const e = expected.get(k)?.sum;
    return [k, a.sum !== undefined && e !== undefined && Math.abs(a.sum - e) <= 1e-9 * Math.max(1, Math.abs(e)) ? { ...a, sum: e } : a];
  }));
}

describe('span metrics and service graph chain (spans → partials → 1m) on the real stack', () => {
  const workers: Worker[] = [];
  const config = resolveConfig([envLayer(stackSettings())]);
  afterAll(async () => {
    for (const w of workers) await w.stop();
  });

  it('otlp.rollup.1m equals brute force over the spans, one record per series and minute', async () => {
    const client = kafka();
    const id = unique('spanchain');
    const topics = {
      spans: await createTopic(`${id}.spans`, PARTITIONS),
      partials: await createTopic(`${id}.partials`, PARTITIONS),
      rollup: await createTopic(`${id}.rollup.1m`, PARTITIONS),
    };
    const apps = { spanmetrics: `${id}-spanmetrics`, servicegraph: `${id}-servicegraph`, rollup: `${id}-rollup` };
    for (const topology of [
      topologyCopy('topologies/spanmetrics.yaml', { application: apps.spanmetrics, source: topics.spans, output: topics.partials }),
      topologyCopy('topologies/servicegraph.yaml', { application: apps.servicegraph, source: topics.spans, output: topics.partials }),
      topologyCopy('topologies/spanmetrics-rollup.yaml', { application: apps.rollup, source: topics.partials, output: topics.rollup }),
    ]) {
      const worker = new Worker({ topology, config });
      workers.push(worker);
      await worker.start();
    }

    const { records, closing } = traffic();
    expect(new Set(records.map((r) => r.partition)).size, 'the traces fill every spans partition').toBe(PARTITIONS);
    // Spans go out as a live system sends them: by end time, a minute at a time, and both span topologies have
    // taken each minute in before the next comes. Replayed all at once, one span topology could run minutes ahead of
    // the other, and the rollup would close windows (grace 1m) before the other's partials for them arrive.
    const byMinute = new Map<number, SpanRecord[]>();
    for (const r of records.sort((x, y) => x.span.endTimeMs - y.span.endTimeMs || x.span.endTimeNanos - y.span.endTimeNanos)) {
      const m = Math.floor(r.span.endTimeMs / MINUTE);
      byMinute.set(m, [...(byMinute.get(m) ?? []), r]);
    }
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (const phase of [...byMinute.values(), ...closing]) {
      await producer.send({
        topic: topics.spans,
        acks: -1,
        messages: phase.map((r) => ({ key: r.traceId, partition: r.partition, value: encodeTraces([r.span]), headers: r.tenant ? { tenant: r.tenant } : {} })),
      });
      await waitForAllCommitted(client, apps.spanmetrics, topics.spans, []);
      await waitForAllCommitted(client, apps.servicegraph, topics.spans, []);
    }
    await producer.disconnect();
    // The span topologies are done: once the rollup has committed every partial, its records are all written.
    await waitForAllCommitted(client, apps.rollup, topics.partials, []);

    const registry = new SchemaRegistry({ host: stackSettings().SCHEMA_REGISTRY_URL });
    const rows = await Promise.all((await readToEnd(client, topics.rollup)).map(async (m) => ({ key: m.key!.toString(), value: (await registry.decode(m.value!)) as DecodedRollup })));
    const ids = rows.map(({ value: r }) => seriesText(r.identity.tenant, r.identity.name, avroPairs(r.identity.resource), avroPairs(r.identity.attributes), r.window_start));
    const duplicates = ids.filter((x, i) => ids.indexOf(x) !== i);
    expect(duplicates, 'series and minutes with more than one record').toEqual([]);
    for (const { key, value } of rows) {
      expect(value.series, 'a record is keyed by its series').toBe(key);
      expect(value.resolution).toBe('1m');
    }

    const expected = oracle(records);
    const actual = new Map(rows.map(({ value }, i) => [ids[i], readable(value)]));
    const missing = [...expected.keys()].filter((k) => !actual.has(k));
    const unexpected = [...actual.keys()].filter((k) => !expected.has(k));
    expect({ missing: missing.slice(0, 10), unexpected: unexpected.slice(0, 10) }, `${missing.length} series-minutes missing, ${unexpected.length} unexpected`).toEqual({ missing: [], unexpected: [] });
    expect(sumsWithin(actual, expected)).toEqual(expected);
    // The traffic covers what the test claims to cover.
    const names = new Set(rows.map((r) => r.value.identity.name));
    expect([...names].sort()).toEqual([
      'traces.span.metrics.calls', 'traces.span.metrics.duration', 'traces_service_graph_request_client', 'traces_service_graph_request_failed_total',
      'traces_service_graph_request_server', 'traces_service_graph_request_total',
    ]);
    const connectionTypes = new Set(rows.flatMap((r) => avroPairs(r.value.identity.attributes).filter(([k]) => k === 'connection_type').map(([, v]) => v)));
    expect([...connectionTypes].sort()).toEqual(['', 'database', 'messaging_system', 'virtual_node']);
    expect(new Set(rows.map((r) => r.value.identity.tenant))).toEqual(new Set(['', 'acme']));
  });

  // A window step that no record reaches still closes its windows as the task's stream time passes them (the task
  // ends each batch with a tick): the service graph forwards nothing for spans that complete no edge.
  it('closes a service-graph window once stream time passes its end and grace, with no edge after it', async () => {
    const client = kafka();
    const id = unique('graphclose');
    const spans = await createTopic(`${id}.spans`, 1);
    const partials = await createTopic(`${id}.partials`, 1);
    const application = `${id}-servicegraph`;
    const worker = new Worker({ topology: topologyCopy('topologies/servicegraph.yaml', { application, source: spans, output: partials }), config });
    workers.push(worker);
    await worker.start();

    const traceId = hex(32);
    const call = span({ resource: FRONTEND[0], traceId, spanId: '00000000000000c1', name: 'GET /x', kind: SpanKind.CLIENT, startTimeMs: BASE + 1_000, endTimeMs: BASE + 1_010 });
    const served = span({ resource: CART, traceId, spanId: '00000000000000c2', parentSpanId: call.spanId, name: 'GET /x', kind: SpanKind.SERVER, startTimeMs: BASE + 1_001, endTimeMs: BASE + 1_009 });
    // Five minutes later: a span that completes no edge moves the partition's stream time past the edge's window.
    const later = span({ resource: HEARTBEAT, traceId: hex(32), name: 'tick', kind: SpanKind.INTERNAL, startTimeMs: BASE + 5 * MINUTE, endTimeMs: BASE + 5 * MINUTE + 1 });
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: spans, acks: -1, messages: [served, call, later].map((s) => ({ key: s.traceId, partition: 0, value: encodeTraces([s]) })) });
    await producer.disconnect();
    await waitForAllCommitted(client, application, spans, []);

    const records = await readToEnd(client, partials);
    expect(records.length, "the edge's minute closed at stream time BASE + 5m: request total, server and client latency partials").toBe(3);
  });
});
