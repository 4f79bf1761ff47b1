// The log-index topology (topologies/log-index.yaml, with this test's topics and short times) on the real Kafka, read
// by the query service: generated logs (the gen command's shop traffic, some of a tenant) go to a two-partition
// otlp_logs topic, a worker writes their blocks to otlp.logs.blocks and their index to otlp.index (registered in the
// schema registry), and a query replica that materializes both answers — native search, the logs of a trace, Loki
// query_range (streams and a metric), labels and patterns — what brute force over the records sent answers. Every
// key is co-partitioned with the records it holds.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { emptyCredentials, parseTokenList } from '../../src/ingest/index.ts';
import { Traffic } from '../../src/gen/traffic.ts';
import { createKafka } from '../../src/kafka/index.ts';
import { parseLogSegmentKey } from '../../src/logs/indexRecord.ts';
import { logRow, severityLevel, unixNanoText, type LogRow } from '../../src/logs/model.ts';
import { matchRow } from '../../src/logs/search/match.ts';
import { parseSearch } from '../../src/logs/search/parse.ts';
import { encodeLogs, type LogRecord } from '../../src/otlp/index.ts';
import { QueryService } from '../../src/query/service.ts';
import { Worker } from '../../src/runtime/index.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { recentBase } from '../fixtures/metricsChain.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';
import { waitForAllCommitted } from '../helpers/workers.ts';

/** The shipped topology file with this test's topics, 1-minute blocks and a 1-second flush. */
function topologyYaml(id: string, topics: { input: string; blocks: string; index: string }): string {
  const doc = parse(readFileSync('topologies/log-index.yaml', 'utf8')) as { application: string; source: { topic: string }; steps: Array<Record<string, Record<string, unknown>>> };
  doc.application = id;
  doc.source.topic = topics.input;
  Object.assign(doc.steps[0].log_index, { blocks_topic: topics.blocks, index_topic: topics.index, block: '1m', flush_interval: '1s', max_segment_records: 100 });
  return stringify(doc);
}

const serviceOf = (r: LogRecord) => String(r.resource.attributes.find((a) => a.key === 'service.name')?.value ?? '');

describe('log-index topology → query service', () => {
  const workers: Worker[] = [];
  const services: QueryService[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const s of services) await s.stop().catch(() => {});
    for (const w of workers) await w.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('stores and indexes what was sent, and the query service answers as brute force over the records', { timeout: 180_000 }, async () => {
    const client = kafka();
    const config = resolveConfig([envLayer(stackSettings())]);
    const id = unique('log-index');
    const topics = { input: `${id}.logs`, blocks: `${id}.blocks`, index: `${id}.index` };
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.input, numPartitions: 2 }] });
    await admin.disconnect();

    const base = recentBase();
    const logs = new Traffic({ seed: 11, startMs: base }).traces(2000).logs;
    // Requests of up to 20 records of one service, keyed by it (a service's logs stay in one partition); every third of a tenant.
    const sent: Array<{ tenant: string; row: LogRow; partition: number }> = [];
    const messages: Array<{ key: string; value: Buffer; partition: number; headers: Record<string, string> }> = [];
    const byService = new Map<string, LogRecord[]>();
    for (const r of logs) byService.set(serviceOf(r), [...(byService.get(serviceOf(r)) ?? []), r]);
    let n = 0;
    for (const [service, records] of byService) {
      for (let i = 0; i < records.length; i += 20) {
        const group = records.slice(i, i + 20);
        const tenant = n++ % 3 === 0 ? 'acme' : '';
        const partition = service.length % 2;
        messages.push({ key: service, value: encodeLogs(group), partition, headers: tenant ? { tenant } : {} });
        for (const r of group) sent.push({ tenant, row: logRow(r), partition });
      }
    }
    // A last record per partition a minute after everything: stream time passes the flush of what came before it (and
    // of the clock record itself: the flush fires after the record that moved stream time).
    const lastMs = Math.max(...sent.map((s) => s.row.timeMs));
    for (const partition of [0, 1]) {
      const clock: LogRecord = { ...logs[0], timeMs: lastMs + 60_000, timeNanos: 0, body: { type: 'string', value: 'clock tick' }, traceId: '', spanId: '' };
      messages.push({ key: `clock${partition}`, value: encodeLogs([clock]), partition, headers: {} });
      sent.push({ tenant: '', row: logRow(clock), partition });
    }
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: topics.input, acks: -1, messages });
    await producer.disconnect();

    const loaded = parseTopology(topologyYaml(id, topics), `${id}.yaml`);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const worker = new Worker({ topology: loaded.topology, config, commitIntervalMs: 200, httpPort: 0 });
    workers.push(worker);
    await worker.start();
    await waitForAllCommitted(client, id, topics.input, []);

    // Both topics: every key on the partition it names, the same keys in both.
    const blockKeys = new Set<string>();
    for (const m of await readTopic(client, topics.blocks, { quietMs: 2_000 })) {
      expect(m.partition).toBe(parseLogSegmentKey(m.key!.toString()).partition);
      blockKeys.add(m.key!.toString());
    }
    const indexKeys = new Set<string>();
    for (const m of await readTopic(client, topics.index, { quietMs: 2_000 })) {
      expect(m.partition).toBe(parseLogSegmentKey(m.key!.toString()).partition);
      indexKeys.add(m.key!.toString());
    }
    expect(indexKeys).toEqual(blockKeys);
    expect(blockKeys.size).toBeGreaterThan(4);

    const dataDir = mkdtempSync(join(tmpdir(), 'log-index-'));
    dirs.push(dataDir);
    const service = new QueryService(createKafka(config), config, { host: '127.0.0.1', port: 0, dataDir, peers: [], topics: { traces: `${id}.traces`, index: topics.index, logs: topics.blocks }, tenancy: { mode: 'none' } });
    services.push(service);
    // The traces topic of this test is empty: create it so the replica does not wait for it.
    const admin2 = client.admin();
    await admin2.connect();
    await admin2.createTopics({ waitForLeaders: true, topics: [{ topic: `${id}.traces`, numPartitions: 2 }] });
    await admin2.disconnect();
    await service.start();
    await service.ready;
    const get = async (path: string, tenant: string) => {
      const res = await fetch(`http://127.0.0.1:${service.port}${path}`, { headers: tenant ? { 'x-scope-orgid': tenant } : {} });
      const body = await res.text();
      expect(res.status, `${path}: ${body}`).toBe(200);
      return JSON.parse(body) as Record<string, unknown>;
    };
    const rowsOf = (tenant: string) => sent.filter((s) => s.tenant === tenant).map((s) => s.row);
    const key = (time: string, body: string) => `${time} ${body}`;

    for (const tenant of ['', 'acme']) {
      // Native search, newest first, against matchRow over the records sent.
      for (const q of ['failed', '"handled in"', 'severity>=error AND NOT timeout', 'service:checkout OR service:cart', 'check*']) {
        const expected = rowsOf(tenant).filter((r) => matchRow(parseSearch(q), r)).sort((a, b) => b.timeMs - a.timeMs || b.timeNanos - a.timeNanos);
        const answer = (await get(`/api/logs/search?q=${encodeURIComponent(q)}&limit=5000`, tenant)) as { logs: Array<{ time: string; body: string }> };
        expect(answer.logs.map((l) => key(l.time, l.body)).sort(), q).toEqual(expected.map((r) => key(unixNanoText(r), r.body)).sort());
        expect(answer.logs.map((l) => BigInt(l.time))).toEqual(answer.logs.map((l) => BigInt(l.time)).sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
      }
      // The logs of a trace.
      const withTrace = rowsOf(tenant).find((r) => r.traceId !== '')!;
      const traceLogs = (await get(`/api/logs/trace/${withTrace.traceId}`, tenant)) as { logs: Array<{ body: string }> };
      expect(traceLogs.logs.map((l) => l.body).sort()).toEqual(rowsOf(tenant).filter((r) => r.traceId === withTrace.traceId).map((r) => r.body).sort());
    }

    // Loki: streams of a selector with a line filter, a metric by service, labels — for the tenant-less rows.
    const start = BigInt(base - 60_000) * 1_000_000n;
    const end = BigInt(lastMs + 120_000) * 1_000_000n;
    const streams = (await get(`/loki/api/v1/query_range?query=${encodeURIComponent('{service_name="checkout"} |= "failed"')}&start=${start}&end=${end}&limit=5000`, '')) as {
      status: string;
      data: { resultType: string; result: Array<{ stream: Record<string, string>; values: [string, string][] }> };
    };
    expect(streams.status).toBe('success');
    expect(streams.data.resultType).toBe('streams');
    const lokiLines = streams.data.result.flatMap((s) => s.values.map(([t, line]) => key(t, line))).sort();
    const bruteLines = rowsOf('').filter((r) => r.service === 'checkout' && r.body.includes('failed')).map((r) => key(unixNanoText(r), r.body)).sort();
    expect(lokiLines).toEqual(bruteLines);
    const metric = (await get(`/loki/api/v1/query_range?query=${encodeURIComponent('sum by (service_name) (count_over_time({level="error"}[1h]))')}&start=${end}&end=${end}&step=60`, '')) as {
      data: { resultType: string; result: Array<{ metric: Record<string, string>; values: [number, string][] }> };
    };
    expect(metric.data.resultType).toBe('matrix');
    const counted = Object.fromEntries(metric.data.result.map((s) => [s.metric.service_name, Number(s.values.at(-1)![1])]));
    const bruteCounts: Record<string, number> = {};
    for (const r of rowsOf('')) if (severityLevel(r.severityNumber) === 'error' && r.timeMs > lastMs + 120_000 - 3_600_000) bruteCounts[r.service] = (bruteCounts[r.service] ?? 0) + 1;
    expect(counted).toEqual(bruteCounts);
    const labels = (await get(`/loki/api/v1/labels?start=${start}&end=${end}`, '')) as { data: string[] };
    expect(labels.data).toContain('service_name');
    expect(labels.data).toContain('level');

    // Patterns: the services' templates with counts that add up to their records.
    const patterns = (await get(`/api/logs/patterns?start=${base - 60_000}000000&end=${end}&step=1m`, '')) as { patterns: Array<{ service: string; template: string; total: number }> };
    const totals: Record<string, number> = {};
    for (const p of patterns.patterns) totals[p.service] = (totals[p.service] ?? 0) + p.total;
    const bruteTotals: Record<string, number> = {};
    for (const r of rowsOf('')) bruteTotals[r.service] = (bruteTotals[r.service] ?? 0) + 1;
    expect(totals).toEqual(bruteTotals);
    expect(patterns.patterns.some((p) => p.template.includes('<*>'))).toBe(true);

    // Tenancy: another tenant sees nothing; bad parameters are 400s that name them.
    expect(((await get('/api/logs/search?q=failed', 'zeta')) as { logs: unknown[] }).logs).toEqual([]);
    expect(((await get(`/loki/api/v1/query_range?query=${encodeURIComponent('{level="error"}')}&start=${start}&end=${end}`, 'zeta')) as { data: { result: unknown[] } }).data.result).toEqual([]);
    const bad: [string, RegExp][] = [
      ['/api/logs/search?q=%22open', /q/],
      ['/api/logs/search?q=%2F(a%2F', /q/],
      ['/api/logs/search?limit=abc', /limit/],
      ['/api/logs/search?start=yesterday', /start/],
      ['/api/logs/search?cursor=zzz', /cursor/],
      ['/api/logs/histogram?step=0s', /step/],
      ['/api/logs/trace/xyz', /traceId/],
      ['/loki/api/v1/query_range', /query/],
      ['/loki/api/v1/query_range?query=%7B', /query/],
      [`/loki/api/v1/query_range?query=${encodeURIComponent('{level="error"}')}&limit=x`, /limit/],
    ];
    for (const [path, names] of bad) {
      const res = await fetch(`http://127.0.0.1:${service.port}${path}`);
      const body = await res.text();
      expect(res.status, `${path}: ${body}`).toBe(400);
      expect(body, path).toMatch(names);
    }

    // Two replicas holding a partition each, the first peered with the second, answer as the one holding both:
    // search pages (a cursor per replica), the logs of a trace, Loki streams and metrics, labels, patterns.
    const half = async (partitions: number[], peers: string[]) => {
      const dir = mkdtempSync(join(tmpdir(), 'log-index-half-'));
      dirs.push(dir);
      const s = new QueryService(createKafka(config), config, { host: '127.0.0.1', port: 0, dataDir: dir, peers, partitions, topics: { traces: `${id}.traces`, index: topics.index, logs: topics.blocks }, tenancy: { mode: 'none' } });
      services.push(s);
      await s.start();
      await s.ready;
      return s;
    };
    const second = await half([1], []);
    const first = await half([0], [`http://127.0.0.1:${second.port}`]);
    const both = async (path: string) => {
      const [whole, peered] = await Promise.all([fetch(`http://127.0.0.1:${service.port}${path}`), fetch(`http://127.0.0.1:${first.port}${path}`)]);
      expect(peered.headers.get('x-otlp-streams-partial'), path).toBeNull();
      return { whole: (await whole.json()) as Record<string, unknown>, peered: (await peered.json()) as Record<string, unknown> };
    };
    const pages = async (port: number, q: string) => {
      const out: string[] = [];
      let cursor = '';
      for (let i = 0; i < 100; i++) {
        const page = (await (await fetch(`http://127.0.0.1:${port}/api/logs/search?q=${encodeURIComponent(q)}&limit=7${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { logs: Array<{ time: string; body: string }>; next: string | null };
        out.push(...page.logs.map((l) => key(l.time, l.body)));
        if (page.next === null) return out;
        cursor = page.next;
      }
      throw new Error('too many pages');
    };
    for (const q of ['failed', 'severity>=warn']) {
      const whole = await pages(service.port, q);
      expect(whole.length).toBeGreaterThan(7);
      expect((await pages(first.port, q)).sort(), q).toEqual(whole.sort());
    }
    const sample = rowsOf('').find((r) => r.traceId !== '')!;
    const traced = await both(`/api/logs/trace/${sample.traceId}`);
    expect(traced.peered.logs).toEqual(traced.whole.logs);
    for (const query of ['{level=~".+"} |= "failed"', 'sum by (service_name) (count_over_time({level=~".+"}[1h]))', 'count_over_time({service_name="checkout"}[10m])']) {
      const answer = await both(`/loki/api/v1/query_range?query=${encodeURIComponent(query)}&start=${start}&end=${end}&step=600&limit=5000`);
      expect((answer.peered.data as { result: unknown }).result, query).toEqual((answer.whole.data as { result: unknown }).result);
    }
    const labelsBoth = await both(`/loki/api/v1/label/service_name/values?start=${start}&end=${end}`);
    expect(labelsBoth.peered.data).toEqual(labelsBoth.whole.data);
    const patternsBoth = await both(`/api/logs/patterns?start=${base - 60_000}000000&end=${end}&step=1m`);
    const totalsOf = (p: unknown) => Object.fromEntries((p as Array<{ service: string; template: string; total: number }>).map((x) => [`${x.service} ${x.template}`, x.total]));
    expect(totalsOf(patternsBoth.peered.patterns)).toEqual(totalsOf(patternsBoth.whole.patterns));
    const alone = (await (await fetch(`http://127.0.0.1:${second.port}/api/logs/search?q=failed&limit=5000`)).json()) as { logs: unknown[] };
    expect(alone.logs.length).toBeLessThan((await pages(service.port, 'failed')).length);

    // With authentication on, 401 without a token; the token's tenant otherwise.
    const authDir = mkdtempSync(join(tmpdir(), 'log-index-auth-'));
    dirs.push(authDir);
    const credentials = parseTokenList('acme=secret-acme-token', 'test', emptyCredentials());
    const guarded = new QueryService(createKafka(config), config, { host: '127.0.0.1', port: 0, dataDir: authDir, peers: [], topics: { traces: `${id}.traces`, index: topics.index, logs: topics.blocks }, tenancy: { mode: 'auth', credentials } });
    services.push(guarded);
    await guarded.start();
    await guarded.ready;
    for (const path of ['/api/logs/search?q=failed', '/loki/api/v1/labels', '/api/logs/patterns']) expect((await fetch(`http://127.0.0.1:${guarded.port}${path}`)).status, path).toBe(401);
    const own = (await (await fetch(`http://127.0.0.1:${guarded.port}/api/logs/search?limit=5000`, { headers: { authorization: 'Bearer secret-acme-token' } })).json()) as { logs: unknown[] };
    expect(own.logs.length).toBe(rowsOf('acme').length);
  });
});
