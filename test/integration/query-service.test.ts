// The query service against the real stack: otlp.traces / otlp.index records (built by the fixture from generated
// traces, as the trace-index topology writes them) on fresh 2-partition topics; replicas run in-process on ephemeral
// ports. One data set for the file, produced in two halves: a replica that catches up after the first half was
// written, one stopped after the first half and restarted after the second (mid-stream resume), two half-replicas
// peered, tenant isolation, 400s, 401s and 503s before ready.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig, type Config } from '../../src/config/index.ts';
import { emptyCredentials, parseTokenList, type Tenancy } from '../../src/ingest/index.ts';
import { createKafka } from '../../src/kafka/index.ts';
import { traceIndexCodec } from '../../src/operators/traces/indexRecord.ts';
import { decodeTraces, encodeTracesJson, type Span } from '../../src/otlp/index.ts';
import { QueryService } from '../../src/query/service.ts';
import { shapeDifferences } from '../../src/query/testing/shape.ts';
import { buildTraceQueryData, oracleSearch, type TopicRecords, type TraceQueryData } from '../fixtures/traceQuery.ts';
import { createTopic, stackSettings } from '../helpers/stack.ts';

const dirs: string[] = [];
const services: QueryService[] = [];
const pending: Promise<unknown>[] = [];
let config: Config;
let topics: { traces: string; index: string };
let data: TraceQueryData;

function start(options: { partitions?: number[]; peers?: string[]; tenancy?: Tenancy; dataDir?: string } = {}): QueryService {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'query-'));
  dirs.push(dataDir);
  const service = new QueryService(createKafka(config), config, {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    partitions: options.partitions,
    peers: options.peers ?? [],
    topics,
    tenancy: options.tenancy ?? { mode: 'none' },
  });
  services.push(service);
  return service;
}

async function get(service: QueryService, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${service.port}${path}`, { headers });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

const tempoFixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/query/tempo/${name}`, import.meta.url), 'utf8'));
const org = (tenant: string): Record<string, string> => (tenant ? { 'x-scope-orgid': tenant } : {});
// Span for span: each span (with its resource and scope) as OTLP JSON, in span id order.
const sortSpans = (spans: Span[]) => [...spans].sort((a, b) => (a.spanId < b.spanId ? -1 : 1)).map((s) => encodeTracesJson([s]));

async function searchIds(service: QueryService, tenant: string, query: string): Promise<string[]> {
  const res = await get(service, `/api/search?${query}`, org(tenant));
  expect(res.status, res.body).toBe(200);
  return (JSON.parse(res.body) as { traces: { traceID: string }[] }).traces.map((t) => t.traceID);
}

// What a replica answers to the queries every scenario compares: a sample of traces by id, searches, tags.
async function answers(service: QueryService): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const t of data.traces.slice(0, 12)) {
    const res = await fetch(`http://127.0.0.1:${service.port}/api/traces/${t.traceId}`, { headers: { ...org(t.tenant), accept: 'application/protobuf' } });
    out[`trace ${t.traceId}`] = res.status === 200 ? sortSpans(decodeTraces(new Uint8Array(await res.arrayBuffer()))) : res.status;
  }
  for (const tenant of ['', 'acme']) {
    out[`all ${tenant}`] = await searchIds(service, tenant, 'limit=1000');
    out[`frontend ${tenant}`] = await searchIds(service, tenant, `tags=${encodeURIComponent('service.name=frontend')}&limit=1000`);
    out[`slow ${tenant}`] = await searchIds(service, tenant, 'minDuration=50ms&limit=7');
    out[`tags ${tenant}`] = JSON.parse((await get(service, '/api/v2/search/tags', org(tenant))).body);
    out[`services ${tenant}`] = JSON.parse((await get(service, '/jaeger/api/services', org(tenant))).body);
  }
  return out;
}

async function produce(records: TopicRecords, extra: { traces?: TopicRecords['traceRecords']; index?: TopicRecords['indexRecords'] } = {}): Promise<void> {
  const producer = createKafka(config).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: topics.traces, acks: -1, messages: [...records.traceRecords, ...(extra.traces ?? [])] });
  await producer.send({ topic: topics.index, acks: -1, messages: [...records.indexRecords, ...(extra.index ?? [])] });
  await producer.disconnect();
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  config = resolveConfig([envLayer(stackSettings())]);
  topics = { traces: await createTopic('q-traces', 2), index: await createTopic('q-index', 2) };
  const codec = traceIndexCodec(topics.index);
  await codec.prepare(config);
  data = buildTraceQueryData(codec, { count: 90, partitions: 2 });
  // The first half only: the restart test produces the second while a replica is stopped.
  await produce(data.halves[0], {
    traces: [{ key: 'acme/0123', value: Buffer.from('not snappy'), partition: 0 }],
    index: [{ key: 'traces//0/0/0', value: Buffer.from('garbage'), partition: 1 }],
  });
});

afterAll(async () => {
  await Promise.allSettled(pending);
  for (const s of services) await s.stop().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('query service', () => {
  let full: QueryService;

  it('catches up after the (first half of the) data was written, reports ready, and answers as the brute-force oracle', async () => {
    full = start();
    await full.start();
    await full.ready;
    expect((await get(full, '/readyz')).status).toBe(200);
    const early = data.firstHalf;
    // Every trace by id, span for span (fragments joined), in its own tenant only.
    for (const t of early.traces) {
      const res = await fetch(`http://127.0.0.1:${full.port}/api/traces/${t.traceId}`, { headers: { ...org(t.tenant), accept: 'application/protobuf' } });
      expect(res.status).toBe(200);
      const spans = decodeTraces(new Uint8Array(await res.arrayBuffer()));
      expect(sortSpans(spans)).toEqual(sortSpans(t.fragments.flat()));
    }
    const sample = early.traces[1];
    const json = JSON.parse((await get(full, `/api/v2/traces/${sample.traceId}`, org(sample.tenant))).body) as { trace: { resourceSpans: unknown[] } };
    expect(json.trace.resourceSpans.length).toBeGreaterThan(0);
    // Searches: tags, durations, time ranges, limits.
    for (const tenant of ['', 'acme', 'globex']) {
      expect(await searchIds(full, tenant, 'limit=1000')).toEqual(oracleSearch(early, tenant, { limit: 1000 }));
      expect(await searchIds(full, tenant, `tags=${encodeURIComponent('service.name=checkout')}&limit=1000`)).toEqual(oracleSearch(early, tenant, { tags: { 'service.name': 'checkout' }, limit: 1000 }));
      expect(await searchIds(full, tenant, `tags=${encodeURIComponent('service.name=frontend http.route=/api/cart')}&limit=5`)).toEqual(
        oracleSearch(early, tenant, { tags: { 'service.name': 'frontend', 'http.route': '/api/cart' }, limit: 5 }),
      );
      expect(await searchIds(full, tenant, 'minDuration=30ms&maxDuration=400ms&limit=1000')).toEqual(oracleSearch(early, tenant, { minNanos: 30e6, maxNanos: 400e6, limit: 1000 }));
      const mid = early.traces[4].summary.startUnixNano / 1_000_000_000n;
      expect(await searchIds(full, tenant, `start=${mid - 1800n}&end=${mid}&limit=1000`)).toEqual(
        oracleSearch(early, tenant, { startNs: (mid - 1800n) * 1_000_000_000n, endNs: mid * 1_000_000_000n + 999_999_999n, limit: 1000 }),
      );
    }
    // Tempo's shapes (test/fixtures/query/tempo): TraceQL answers carry the matched spansets (at most spss spans each).
    const traceql = await get(full, `/api/search?q=${encodeURIComponent('{ resource.service.name = "checkout" }')}&limit=1000&spss=2`);
    expect(traceql.status, traceql.body).toBe(200);
    type SpanSetBody = { spans: { spanID: string }[]; matched: number };
    const traceqlBody = JSON.parse(traceql.body) as { traces: { traceID: string; spanSet: SpanSetBody; spanSets: SpanSetBody[] }[]; metrics: { inspectedTraces: number; completedJobs: number } };
    expect(traceqlBody.traces.map((t) => t.traceID)).toEqual(oracleSearch(early, '', { tags: { 'service.name': 'checkout' }, limit: 1000 }));
    expect(shapeDifferences(traceqlBody, tempoFixture('search-traceql.json'), ['$.traces[].serviceStats'])).toEqual([]);
    for (const t of traceqlBody.traces) {
      const checkout = early.traces.find((x) => x.traceId === t.traceID)!.fragments.flat().filter((s) => s.resource.attributes.some((a) => a.key === 'service.name' && a.value === 'checkout'));
      expect(t.spanSets).toHaveLength(1);
      expect(t.spanSet).toEqual(t.spanSets[0]);
      expect(t.spanSet.matched).toBe(checkout.length);
      expect(t.spanSet.spans.length).toBe(Math.min(2, checkout.length));
    }
    expect(traceqlBody.metrics.inspectedTraces).toBeGreaterThanOrEqual(traceqlBody.traces.length);
    expect(traceqlBody.metrics.completedJobs).toBe(1);
    const tagged = JSON.parse((await get(full, `/api/search?tags=${encodeURIComponent('service.name=checkout')}&limit=3`)).body) as { traces: Record<string, unknown>[] };
    expect(shapeDifferences(tagged, tempoFixture('search-tags.json'), ['$.traces[].serviceStats'])).toEqual([]);
    for (const [path, fixture] of [['/api/search/tags', 'tags.json'], ['/api/v2/search/tags', 'tags-v2.json'], ['/api/search/tag/service.name/values', 'tag-values.json'], ['/api/v2/search/tag/resource.service.name/values', 'tag-values-v2.json']]) {
      expect(shapeDifferences(JSON.parse((await get(full, path)).body), tempoFixture(fixture)), path).toEqual([]);
    }
    // Trace by id as JSON: ids in base64, as Tempo's jsonpb writes them.
    const v1 = JSON.parse((await get(full, `/api/traces/${sample.traceId}`, org(sample.tenant))).body) as { batches: { scopeSpans: { spans: { traceId: string }[] }[] }[] };
    expect(Buffer.from(v1.batches[0].scopeSpans[0].spans[0].traceId, 'base64').toString('hex')).toBe(sample.traceId);
    // The stale and tombstoned segments left nothing behind.
    const names = JSON.parse((await get(full, '/api/search/tag/name/values')).body) as { tagValues: string[] };
    expect(names.tagValues).not.toContain('stale-name');
    // The ghost segment is tombstoned only in the second half.
    expect(names.tagValues).toContain('ghost');
    const services = JSON.parse((await get(full, '/jaeger/api/services')).body) as { data: string[] };
    expect(services.data).not.toContain('stale');
    const jaeger = JSON.parse((await get(full, `/jaeger/api/traces/${sample.traceId}`, org(sample.tenant))).body) as { data: { traceID: string; spans: unknown[] }[] };
    expect(jaeger.data[0].spans.length).toBe(sample.fragments.flat().length);
    const found = JSON.parse((await get(full, '/jaeger/api/traces?service=checkout&limit=1000')).body) as { data: { traceID: string }[] };
    expect(found.data.map((t) => t.traceID.padStart(32, '0'))).toEqual(oracleSearch(early, '', { tags: { 'service.name': 'checkout' }, limit: 1000 }));
    const metrics = (await get(full, '/metrics')).body;
    expect(metrics).toMatch(/otlp_query_poison_records_total\{topic="[^"]+"\} 1/);
  });

  it('answers 503 to queries until it caught up (healthz 200, readyz 503)', async () => {
    // Topics that do not exist yet: the replica listens but waits for them, never ready.
    const dataDir = mkdtempSync(join(tmpdir(), 'query-'));
    dirs.push(dataDir);
    const waiting = new QueryService(createKafka(config), config, {
      host: '127.0.0.1', port: 0, dataDir, peers: [], tenancy: { mode: 'none' },
      topics: { traces: `${topics.traces}-missing`, index: `${topics.index}-missing` },
    });
    services.push(waiting);
    const starting = waiting.start();
    while ((() => { try { return waiting.port === 0; } catch { return true; } })()) await new Promise((r) => setTimeout(r, 20));
    expect((await get(waiting, '/healthz')).status).toBe(200);
    expect((await get(waiting, '/readyz')).status).toBe(503);
    for (const path of [`/api/traces/${data.traces[0].traceId}`, `/api/traces/${data.traces[0].traceId}/analysis`, '/api/search?limit=5', '/api/v2/search/tags', '/jaeger/api/services']) {
      const res = await get(waiting, path);
      expect(res.status, path).toBe(503);
      expect(res.body, path).toMatch(/not ready.*catching up/);
      expect(res.headers.get('retry-after'), path).toBe('1');
    }
    expect(JSON.parse((await get(waiting, '/jaeger/api/services')).body)).toMatchObject({ data: null, errors: [{ code: 503 }] });
    await waiting.stop();
    services.splice(services.indexOf(waiting), 1);
    // Its start returns once the topic check it is in gives up (kafkajs retries for seconds): not waited for here.
    pending.push(starting);
  });

  it('a replica stopped part-way and restarted on the same store resumes and answers the same as a fresh one and brute force', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'query-'));
    const first = start({ dataDir });
    await first.start();
    await first.ready;
    const firstHalfRecords = first.materializer.stats().records;
    expect(firstHalfRecords).toBeGreaterThan(0);
    await first.stop();
    services.splice(services.indexOf(first), 1);
    // Meanwhile: late fragments of earlier traces, new traces, their segments, a tombstone, block records again.
    await produce(data.halves[1]);
    const again = start({ dataDir });
    await again.start();
    await again.ready;
    // It resumed where its store was: only the second half was read.
    expect(again.materializer.stats().records).toBe(data.halves[1].traceRecords.length + data.halves[1].indexRecords.length);
    const fresh = start();
    await fresh.start();
    await fresh.ready;
    // Brute force over both halves: traces by id, span for span; searches.
    for (const t of data.traces) {
      const res = await fetch(`http://127.0.0.1:${again.port}/api/traces/${t.traceId}`, { headers: { ...org(t.tenant), accept: 'application/protobuf' } });
      expect(res.status).toBe(200);
      expect(sortSpans(decodeTraces(new Uint8Array(await res.arrayBuffer())))).toEqual(sortSpans(t.fragments.flat()));
    }
    for (const tenant of ['', 'acme', 'globex']) {
      expect(await searchIds(again, tenant, 'limit=1000')).toEqual(oracleSearch(data, tenant, { limit: 1000 }));
      expect(await searchIds(again, tenant, 'minDuration=30ms&maxDuration=400ms&limit=1000')).toEqual(oracleSearch(data, tenant, { minNanos: 30e6, maxNanos: 400e6, limit: 1000 }));
      expect(await searchIds(again, tenant, `tags=${encodeURIComponent('service.name=checkout')}&limit=1000`)).toEqual(oracleSearch(data, tenant, { tags: { 'service.name': 'checkout' }, limit: 1000 }));
    }
    // The tombstone took the ghost segment's entries.
    expect((JSON.parse((await get(again, '/api/search/tag/name/values')).body) as { tagValues: string[] }).tagValues).not.toContain('ghost');
    const expected = await answers(fresh);
    expect(await answers(again)).toEqual(expected);
    // The replica that ran all along followed the second half too.
    await eventually('the first replica followed the second half', async () => JSON.stringify(await answers(full)) === JSON.stringify(expected));
  });

  it('two replicas holding half the partitions each, peered, answer as one holding all', async () => {
    const a = start({ partitions: [0] });
    const b = start({ partitions: [1] });
    await Promise.all([a.start(), b.start()]);
    // Peers are known once both listen: start two more that point at each other's ports.
    const a2 = start({ partitions: [0], peers: [`http://127.0.0.1:${b.port}`] });
    await a2.start();
    await Promise.all([a.ready, b.ready, a2.ready]);
    expect(await answers(a2)).toEqual(await answers(full));
    // Alone, a half replica does not.
    expect(await answers(a)).not.toEqual(await answers(full));
    // A peer that is down: the answer says so.
    await b.stop();
    services.splice(services.indexOf(b), 1);
    const res = await get(a2, '/api/search?limit=5');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-otlp-streams-partial')).toMatch(/peer http:\/\/127\.0\.0\.1/);
    expect((JSON.parse(res.body) as { warnings?: string[] }).warnings?.length).toBe(1);
  });

  it('restricts every answer to the tenant', async () => {
    const acme = data.traces.find((t) => t.tenant === 'acme')!;
    expect((await get(full, `/api/traces/${acme.traceId}`)).status).toBe(404);
    expect((await get(full, `/api/traces/${acme.traceId}`, org('globex'))).status).toBe(404);
    expect((await get(full, `/api/traces/${acme.traceId}`, org('acme'))).status).toBe(200);
    // The analysis: of the tenant's trace only, every span in its tree.
    expect((await get(full, `/api/traces/${acme.traceId}/analysis`)).status).toBe(404);
    expect((await get(full, `/api/traces/${'f'.repeat(32)}/analysis`, org('acme'))).status).toBe(404);
    const analysis = await get(full, `/api/traces/${acme.traceId}/analysis`, org('acme'));
    expect(analysis.status).toBe(200);
    const analyzed = JSON.parse(analysis.body) as { traceId: string; spanCount: number; criticalPath: unknown[]; services: { spans: number }[] };
    expect(analyzed.traceId).toBe(acme.traceId);
    expect(analyzed.spanCount).toBe(acme.fragments.flat().length);
    expect(analyzed.services.reduce((n, s) => n + s.spans, 0)).toBe(acme.fragments.flat().length);
    expect(analyzed.criticalPath.length).toBeGreaterThan(0);
    const acmeIds = new Set(data.traces.filter((t) => t.tenant === 'acme').map((t) => t.traceId));
    for (const id of await searchIds(full, 'acme', 'limit=1000')) expect(acmeIds.has(id)).toBe(true);
    const other = await searchIds(full, 'initech', 'limit=1000');
    expect(other).toEqual([]);
    for (const path of ['/api/search/tags', '/api/v2/search/tags', '/api/search/tag/service.name/values', '/jaeger/api/services', '/jaeger/api/operations?service=frontend', '/jaeger/api/dependencies?lookback=86400000']) {
      const empty = JSON.parse((await get(full, path, org('initech'))).body) as Record<string, unknown>;
      const own = JSON.parse((await get(full, path, org('acme'))).body) as Record<string, unknown>;
      expect(JSON.stringify(empty), path).not.toEqual(JSON.stringify(own));
    }
  });

  it('answers 400 naming the parameter, and 401 without credentials when auth is on', async () => {
    const bad: [string, RegExp, number][] = [
      ['/api/search?limit=abc', /limit/, 400],
      ['/api/search?minDuration=fast', /minDuration/, 400],
      ['/api/search?start=yesterday', /start/, 400],
      ['/api/search?q=%7B%20.a%20%3D%20', /q/, 400],
      ['/api/search?tags=%22open', /tags/, 400],
      ['/api/traces/xyz', /traceID/, 400],
      ['/api/traces/xyz/analysis', /traceID/, 400],
      ['/api/search/tags?scope=nowhere', /scope/, 400],
      ['/jaeger/api/operations', /service/, 400],
      ['/jaeger/api/dependencies?lookback=-1', /lookback/, 400],
    ];
    for (const [path, names, status] of bad) {
      const res = await get(full, path);
      expect(res.status, path).toBe(status);
      expect(res.body, path).toMatch(names);
    }
    expect(JSON.parse((await get(full, '/jaeger/api/operations')).body)).toMatchObject({ data: null, errors: [{ code: 400 }] });
    const credentials = parseTokenList('acme=secret-acme-token', 'test', emptyCredentials());
    const guarded = start({ tenancy: { mode: 'auth', credentials } });
    await guarded.start();
    await guarded.ready;
    expect((await get(guarded, '/api/search')).status).toBe(401);
    expect((await get(guarded, '/jaeger/api/services')).status).toBe(401);
    expect((await get(guarded, '/api/search', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get(guarded, '/readyz')).status).toBe(200);
    const ids = await (async () => {
      const res = await get(guarded, '/api/search?limit=1000', { authorization: 'Bearer secret-acme-token' });
      return (JSON.parse(res.body) as { traces: { traceID: string }[] }).traces.map((t) => t.traceID);
    })();
    expect(ids).toEqual(oracleSearch(data, 'acme', { limit: 1000 }));
  });
});
