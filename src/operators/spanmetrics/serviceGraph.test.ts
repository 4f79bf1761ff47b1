import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpanKind, StatusCode, type Attribute, type Span } from '../../otlp/model.ts';
import { topology } from '../../runtime/dsl.ts';
import type { OutgoingRecord } from '../../runtime/task.ts';
import { TopologyTestDriver, type DriverRecord } from '../../runtime/testing.ts';
import { DEFAULT_LATENCY_BUCKETS_S, serviceGraph, type ServiceGraphOptions } from './serviceGraph.ts';
import { attributesText, randomSpans, resource, span, totals, type SeriesTotal } from './testing.ts';

const HOUR = 3_600_000;
// The task's wall clock: far enough ahead that no test span counts as dated in the future.
const NOW = 100 * HOUR;

/** A topology over spans held by the test: a record's value is the index of its span, its key the trace. */
function graphTopology(spans: Span[], options: Partial<ServiceGraphOptions> = {}) {
  return topology('graph')
    .stream<Span>({ topic: 'in', decode: (m) => [{ key: m.key!.toString(), timestamp: spans[Number(m.value)].endTimeMs, value: spans[Number(m.value)] }] })
    .process(serviceGraph({ store: 'edges', ...options }))
    .to('out')
    .build();
}

function recordsOf(spans: Span[], tenant = 'acme'): DriverRecord[] {
  return spans.map((s, i) => ({ key: `${tenant}/${s.traceId}`, value: String(i), timestamp: s.endTimeMs, headers: { tenant } }));
}

interface EmittedPoint {
  metric: { name: string; unit: string; aggregationTemporality: number };
  attributes: Attribute[];
  timeMs: number;
  type: string;
  value?: number;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
}

const pointsOf = (records: OutgoingRecord[]) => records.map((r) => JSON.parse(String(r.value)) as EmittedPoint);

/** Brute force over whole traces: the edges the connector's rules give when every half arrives within the wait. */
function oracle(spans: Span[], dimensions: string[]): Map<string, SeriesTotal> {
  const serviceOf = (s: Span) => s.resource.attributes.find((a) => a.key === 'service.name')?.value as string | undefined;
  const attr = (s: Span, key: string) => s.attributes.find((a) => a.key === key)?.value as string | undefined;
  const dims = (side: string, s: Span) => {
    const out: Record<string, string> = {};
    for (const d of dimensions) {
      const v = (s.resource.attributes.find((a) => a.key === d) ?? s.attributes.find((a) => a.key === d))?.value as string | undefined;
      if (v !== undefined) out[`${side}_${d}`] = v;
    }
    return out;
  };
  const seconds = (s: Span) => Math.max(0, (s.endTimeMs - s.startTimeMs) * 1e6 + s.endTimeNanos - s.startTimeNanos) / 1e9;
  const end = (...ss: Span[]) => Math.max(...ss.map((s) => s.endTimeMs));
  const isClient = (s: Span) => s.kind === SpanKind.CLIENT || s.kind === SpanKind.PRODUCER;
  const isServer = (s: Span) => s.kind === SpanKind.SERVER || s.kind === SpanKind.CONSUMER;
  const failed = (...ss: Span[]) => ss.some((s) => s.statusCode === StatusCode.ERROR);

  const points: EmittedPoint[] = [];
  const edge = (client: string, server: string, type: string, isFailed: boolean, dimensionValues: Record<string, string>, clientS: number | null, serverS: number | null, time: number) => {
    const attributes: Attribute[] = [
      { key: 'client', type: 'string', value: client },
      { key: 'server', type: 'string', value: server },
      { key: 'connection_type', type: 'string', value: type },
      { key: 'failed', type: 'bool', value: isFailed },
      ...Object.entries(dimensionValues).map(([key, value]): Attribute => ({ key, type: 'string', value })),
    ];
    const base = { attributes, timeMs: time };
    const histogram = (name: string, v: number) => {
      let bucket = 0;
      while (bucket < DEFAULT_LATENCY_BUCKETS_S.length && v > DEFAULT_LATENCY_BUCKETS_S[bucket]) bucket++;
      const bucketCounts = DEFAULT_LATENCY_BUCKETS_S.map((_, i) => (i === bucket ? 1 : 0)).concat(bucket === DEFAULT_LATENCY_BUCKETS_S.length ? 1 : 0);
      points.push({ ...base, type: 'histogram', metric: { name, unit: 's', aggregationTemporality: 1 }, count: 1, sum: v, bucketCounts });
    };
    points.push({ ...base, type: 'sum', metric: { name: 'traces_service_graph_request_total', unit: '', aggregationTemporality: 1 }, value: 1 });
    if (isFailed) points.push({ ...base, type: 'sum', metric: { name: 'traces_service_graph_request_failed_total', unit: '', aggregationTemporality: 1 }, value: 1 });
    if (serverS !== null) histogram('traces_service_graph_request_server', serverS);
    if (clientS !== null) histogram('traces_service_graph_request_client', clientS);
  };

  for (const c of spans) {
    const client = serviceOf(c);
    if (client === undefined || !isClient(c)) continue;
    const database = attr(c, 'db.name');
    const server = spans.find((s) => s.traceId === c.traceId && s.parentSpanId === c.spanId && isServer(s) && serviceOf(s) !== undefined);
    if (database !== undefined) edge(client, database, 'database', failed(c), dims('client', c), seconds(c), seconds(c), end(c));
    else if (server) {
      const messaging = c.kind === SpanKind.PRODUCER || server.kind === SpanKind.CONSUMER;
      edge(client, serviceOf(server)!, messaging ? 'messaging_system' : '', failed(c, server), { ...dims('client', c), ...dims('server', server) }, seconds(c), seconds(server), end(c, server));
    } else edge(client, attr(c, 'peer.service') ?? attr(c, 'db.system') ?? 'unknown', 'virtual_node', failed(c), dims('client', c), seconds(c), null, end(c));
  }
  for (const s of spans) {
    const server = serviceOf(s);
    if (server !== undefined && isServer(s) && s.parentSpanId === '') edge('user', server, 'virtual_node', failed(s), dims('server', s), null, seconds(s), end(s));
  }
  return totals(points as never);
}

/** Points of both sides compared per series, dimension attributes in any order. */
function normalized(t: Map<string, SeriesTotal>): Map<string, SeriesTotal> {
  return new Map([...t].map(([id, v]) => [id, { ...v, sum: Math.round(v.sum * 1e9) / 1e9 }]));
}

describe('serviceGraph', () => {
  const frontend = resource({ 'service.name': 'frontend' });
  const cart = resource({ 'service.name': 'cart' });
  const trace = 'a'.repeat(32);
  const client = span({ resource: frontend, traceId: trace, spanId: '1'.repeat(16), kind: SpanKind.CLIENT, startTimeMs: 1_000, endTimeMs: 1_300, attributes: [{ key: 'peer.service', type: 'string', value: 'payments' }] });
  const server = span({ resource: cart, traceId: trace, spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), kind: SpanKind.SERVER, startTimeMs: 1_050, endTimeMs: 1_250, statusCode: StatusCode.ERROR });

  it('pairs a client and its server span into one edge: total, failed, server and client latency', () => {
    const spans = [server, client];
    const driver = new TopologyTestDriver(graphTopology(spans), { now: () => NOW });
    driver.pipe(recordsOf(spans));
    driver.commit();
    const out = driver.records('out');
    const points = pointsOf(out);
    expect(points.map((p) => p.metric.name)).toEqual(['traces_service_graph_request_total', 'traces_service_graph_request_failed_total', 'traces_service_graph_request_server', 'traces_service_graph_request_client']);
    for (const p of points) {
      expect(attributesText(p.attributes)).toBe(attributesText([
        { key: 'client', type: 'string', value: 'frontend' },
        { key: 'server', type: 'string', value: 'cart' },
        { key: 'connection_type', type: 'string', value: '' },
        { key: 'failed', type: 'bool', value: true },
      ]));
      expect(p.timeMs).toBe(1_300);
    }
    expect(points[2]).toMatchObject({ sum: 0.2, count: 1, metric: { unit: 's', aggregationTemporality: 1 } });
    expect(points[3]).toMatchObject({ sum: 0.3 });
    expect(out.every((r) => String(r.key).startsWith('acme/') && r.headers?.tenant === 'acme' && r.timestamp === 1_300)).toBe(true);
    expect(driver.task.stores.get('edges')).toMatchObject({ size: 0 }); // the pending half is gone
  });

  it('expires an unpaired client span after the wait of stream time into an edge to its peer.service', () => {
    const later = (ms: number) => span({ resource: frontend, traceId: 'b'.repeat(32), spanId: '3'.repeat(16), kind: SpanKind.INTERNAL, startTimeMs: ms, endTimeMs: ms });
    const spans = [client, later(1_300 + 9_999), later(1_300 + 10_000)];
    const driver = new TopologyTestDriver(graphTopology(spans), { now: () => NOW });
    driver.pipe(recordsOf(spans.slice(0, 2)));
    driver.commit();
    expect(driver.records('out')).toEqual([]); // stream time 9 999 ms after the client: still waiting
    driver.pipe(recordsOf(spans).slice(2));
    driver.commit();
    const points = pointsOf(driver.records('out'));
    expect(points.map((p) => p.metric.name)).toEqual(['traces_service_graph_request_total', 'traces_service_graph_request_client']);
    expect(Object.fromEntries(points[0].attributes.map((a) => [a.key, a.value]))).toEqual({ client: 'frontend', server: 'payments', connection_type: 'virtual_node', failed: false });
    expect(points[0].timeMs).toBe(1_300); // dated at the span's end, not at the expiry
  });

  it('expires a root server span into an edge from the user; a server span whose client never came is dropped', () => {
    const root = span({ resource: cart, traceId: trace, spanId: '4'.repeat(16), parentSpanId: '', kind: SpanKind.SERVER, endTimeMs: 2_000 });
    const orphan = span({ resource: cart, traceId: trace, spanId: '5'.repeat(16), parentSpanId: '9'.repeat(16), kind: SpanKind.CONSUMER, endTimeMs: 2_000 });
    const tick = span({ resource: cart, traceId: 'c'.repeat(32), kind: SpanKind.INTERNAL, endTimeMs: 2_000 + HOUR });
    const spans = [root, orphan, tick];
    const driver = new TopologyTestDriver(graphTopology(spans, { virtualNodeExtraLabel: true }), { now: () => NOW });
    driver.pipe(recordsOf(spans));
    driver.commit();
    const points = pointsOf(driver.records('out'));
    expect(points.map((p) => p.metric.name)).toEqual(['traces_service_graph_request_total', 'traces_service_graph_request_server']);
    expect(Object.fromEntries(points[0].attributes.map((a) => [a.key, a.value]))).toEqual({ client: 'user', server: 'cart', connection_type: 'virtual_node', failed: false, virtual_node: 'client' });
    expect(driver.task.stores.get('edges')).toMatchObject({ size: 0 });
  });

  it('makes a database edge from the client span alone, and turns virtual nodes off with no peer attributes', () => {
    const query = span({ resource: frontend, traceId: trace, spanId: '6'.repeat(16), kind: SpanKind.CLIENT, endTimeMs: 1_100, attributes: [{ key: 'db.name', type: 'string', value: 'orders' }] });
    const tick = span({ resource: cart, traceId: 'c'.repeat(32), kind: SpanKind.INTERNAL, endTimeMs: 1_000 + HOUR });
    const spans = [query, client, tick];
    const driver = new TopologyTestDriver(graphTopology(spans, { virtualNodePeerAttributes: [] }), { now: () => NOW });
    driver.pipe(recordsOf(spans));
    driver.commit();
    const points = pointsOf(driver.records('out'));
    expect(points.map((p) => p.metric.name)).toEqual(['traces_service_graph_request_total', 'traces_service_graph_request_server', 'traces_service_graph_request_client']);
    expect(Object.fromEntries(points[0].attributes.map((a) => [a.key, a.value]))).toMatchObject({ client: 'frontend', server: 'orders', connection_type: 'database' });
  });

  it('oracle: random traces → points added up per series equal a brute-force pass over whole traces', () => {
    fc.assert(
      fc.property(randomSpans, (spans) => {
        const dimensions = ['host', 'env'];
        const sentinel = span({ resource: resource({ 'service.name': 'x' }), traceId: 'f'.repeat(32), endTimeMs: 10 * HOUR });
        const all = [...spans, sentinel];
        const driver = new TopologyTestDriver(graphTopology(all, { wait: HOUR, dimensions }), { now: () => NOW });
        driver.pipe(recordsOf(all));
        driver.commit();
        const actual = normalized(totals(pointsOf(driver.records('out')) as never));
        const expected = normalized(oracle(spans, dimensions));
        expect(actual).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('replay: commits, crashes and restores in between give the same committed outputs as one run', () => {
    type Action = { kind: 'records'; count: number } | { kind: 'commit' } | { kind: 'crash' };
    const action: fc.Arbitrary<Action> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('records' as const), count: fc.integer({ min: 1, max: 6 }) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'commit' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
    );
    fc.assert(
      fc.property(randomSpans, fc.array(action, { maxLength: 25 }), (spans, actions) => {
        // A short wait, so halves expire (and some pairs miss each other) while records, commits and crashes interleave.
        const options = { wait: 1_500, dimensions: ['env'] };
        const records = recordsOf(spans);
        const once = new TopologyTestDriver(graphTopology(spans, options), { now: () => NOW });
        once.pipe(records);
        once.commit();

        const driver = new TopologyTestDriver(graphTopology(spans, options), { now: () => NOW });
        let next = 0;
        for (const a of actions) {
          if (a.kind === 'commit') driver.commit();
          else if (a.kind === 'crash') driver.crash();
          else {
            driver.pipe(records.slice(next, next + a.count));
            next = Math.min(records.length, next + a.count);
          }
        }
        driver.pipe(records.slice(next));
        driver.commit();
        const view = (r: OutgoingRecord) => [r.key, r.timestamp, String(r.value)];
        expect(driver.records('out').map(view)).toEqual(once.records('out').map(view));
      }),
      { numRuns: 150 },
    );
  });
});
