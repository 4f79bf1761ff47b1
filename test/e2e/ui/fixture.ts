// The web UI test's pipeline on the real stack: generated shop traffic (traces with their logs, metrics) on this
// test's own topics, the shipped topology files (trace-index, log-index, servicegraph → spanmetrics-rollup,
// metrics-rollup, the PostgreSQL 1m sink into a schema of its own) as in-process workers, and one query service over
// their outputs watching the workers' metrics — what `otlp-streams start` runs, with the oracle computed from the
// records sent.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Config } from '../../../src/config/index.ts';
import { envLayer, resolveConfig } from '../../../src/config/index.ts';
import { Traffic } from '../../../src/gen/traffic.ts';
import { logRow } from '../../../src/logs/model.ts';
import { matchRow } from '../../../src/logs/search/match.ts';
import { parseSearch } from '../../../src/logs/search/parse.ts';
import { attributeText } from '../../../src/otlp/plainValue.ts';
import { encodeLogs, encodeMetrics, encodeTraces, nanosToBigInt, type Attribute, type LogRecord, type MetricPoint, type NumberPoint, type Span } from '../../../src/otlp/index.ts';
import { QueryService } from '../../../src/query/service.ts';
import { Worker } from '../../../src/runtime/index.ts';
import { parseTopology } from '../../../src/topology/index.ts';
import { kafka, pgSchema, stackSettings, unique } from '../../helpers/stack.ts';
import type { UiOracle } from './oracle.ts';

const MINUTE = 60_000;
const TRAFFIC_MINUTES = 5;
/** The search the log view is checked with. */
const LOG_QUERY = 'handled -service:cart';
const SPAN_KIND = { server: 2, client: 3 };
const STATUS_ERROR = 2;

type Step = Record<string, Record<string, unknown>>;

/** A shipped topology file with this test's application id and topics (`edit` sets the rest). */
function shipped(file: string, application: string, source: string, edit: (steps: Step[]) => void) {
  const doc = parse(readFileSync(file, 'utf8')) as { application: string; source: { topic?: string }; steps: Step[] };
  doc.application = application;
  doc.source.topic = source;
  edit(doc.steps);
  const loaded = parseTopology(stringify(doc), file);
  if (!loaded.ok) throw new Error(`${file}: ${JSON.stringify(loaded.problems)}`);
  return loaded.topology;
}

const textOf = (attrs: readonly Attribute[], key: string) => {
  const a = attrs.find((x) => x.key === key);
  return a ? attributeText(a) : '';
};
const SERVICE_CLOCK: Attribute[] = [{ key: 'service.name', type: 'string', value: 'clock' }];
const serviceOf = (s: { resource: { attributes: Attribute[] } }) => textOf(s.resource.attributes, 'service.name');

/** The critical path of a trace by its definition (docs/query.md), recursively: span ids in time order, adjacent pieces of one span joined. */
export function bruteCriticalPath(spans: readonly Span[]): string[] {
  interface N {
    id: string;
    start: bigint;
    end: bigint;
    children: N[];
  }
  const nodes = new Map<string, N>();
  for (const s of spans) {
    const start = nanosToBigInt(s.startTimeMs, s.startTimeNanos);
    const end = nanosToBigInt(s.endTimeMs, s.endTimeNanos);
    nodes.set(s.spanId, { id: s.spanId, start, end: end < start ? start : end, children: [] });
  }
  const tops: N[] = [];
  for (const s of spans) {
    const parent = nodes.get(s.parentSpanId);
    if (parent && s.parentSpanId !== s.spanId) parent.children.push(nodes.get(s.spanId)!);
    else tops.push(nodes.get(s.spanId)!);
  }
  const pieces: Array<{ id: string; from: bigint; to: bigint }> = [];
  const max = (a: bigint, b: bigint) => (a > b ? a : b);
  const min = (a: bigint, b: bigint) => (a < b ? a : b);
  // Pieces pushed latest first; the virtual root (id '') contributes none.
  const walk = (node: N, floor0: bigint, until0: bigint) => {
    const floor = max(node.start, floor0);
    let until = until0;
    const byEnd = [...node.children].sort((a, b) => (a.end !== b.end ? (a.end > b.end ? -1 : 1) : a.start !== b.start ? (a.start < b.start ? -1 : 1) : a.id < b.id ? -1 : 1));
    for (const c of byEnd) {
      if (!(c.start < until && c.end > floor)) continue;
      const childEnd = min(c.end, until);
      if (node.id !== '' && until > childEnd) pieces.push({ id: node.id, from: childEnd, to: until });
      walk(c, floor, childEnd);
      until = max(c.start, floor);
    }
    if (node.id !== '' && until > floor) pieces.push({ id: node.id, from: floor, to: until });
  };
  const start = tops.reduce((m, n) => min(m, n.start), tops[0].start);
  const end = [...nodes.values()].reduce((m, n) => max(m, n.end), start);
  walk({ id: '', start, end, children: tops }, start, end);
  pieces.reverse();
  const ids: string[] = [];
  let last: { id: string; to: bigint } | undefined;
  for (const p of pieces) {
    if (last && last.id === p.id && last.to === p.from) last.to = p.to;
    else ids.push(p.id);
    last = last && last.id === p.id && last.to === p.to ? last : { id: p.id, to: p.to };
  }
  return ids;
}

export interface UiFixture {
  oracle: UiOracle;
  /** The PostgreSQL schema of the sink's tables and the fixture's topics. */
  schema: string;
  topics: Record<string, string>;
  stop(): Promise<void>;
}

/** Runs the pipeline over generated data until the query service and PostgreSQL hold all of it; returns the oracle. */
export async function startUiFixture(log: (line: string) => void = () => {}): Promise<UiFixture> {
  const config: Config = resolveConfig([envLayer(stackSettings())]);
  const client = kafka();
  const id = unique('web-ui');
  const topics = {
    spans: `${id}.spans`,
    logs: `${id}.logs`,
    metrics: `${id}.metrics`,
    traces: `${id}.traces`,
    index: `${id}.index`,
    blocks: `${id}.blocks`,
    series: `${id}.series`,
    partials: `${id}.partials`,
    rollup: `${id}.rollup.1m`,
  };
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [topics.spans, topics.logs, topics.metrics, topics.partials, topics.rollup].map((topic) => ({ topic, numPartitions: 1 })) });
  await admin.disconnect();
  const { schema, drop } = await pgSchema();
  const dataDir = mkdtempSync(join(tmpdir(), 'otlp-streams-web-ui-'));

  const workers: Worker[] = [];
  let query: QueryService | undefined;
  const stop = async () => {
    await query?.stop().catch(() => {});
    for (const w of workers) await w.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    await drop().catch(() => {});
  };
  try {
    // The traffic: five minutes of traces (a batch per 20 s) with their logs, metrics every 10 s.
    const base = Math.floor((Date.now() - 2 * 3_600_000) / MINUTE) * MINUTE;
    const spans: Span[] = [];
    const logs: LogRecord[] = [];
    for (let t = 0; t < (TRAFFIC_MINUTES * MINUTE) / 20_000; t++) {
      const batch = new Traffic({ seed: 100 + t, startMs: base + t * 20_000 }).traces(120);
      spans.push(...batch.spans);
      logs.push(...batch.logs);
    }
    const metricTraffic = new Traffic({ seed: 7, startMs: base });
    const points: MetricPoint[] = [];
    for (let t = base; t < base + TRAFFIC_MINUTES * MINUTE; t += 10_000) points.push(...metricTraffic.metrics(t));

    const producer = client.producer();
    await producer.connect();
    const byTrace = new Map<string, Span[]>();
    for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
    // Clock records far later close every window, trace and segment: the first closes the traffic's minutes in the
    // span topologies; the next expires the first's service-graph entry (a root server span: an edge from the
    // virtual client "user"), whose partial — a later minute, closed by the third — closes the traffic's minutes in
    // spanmetrics-rollup.
    const clockSpan = (ms: number): Span => ({ ...spans[0], traceId: ms.toString(16).padStart(32, '0'), spanId: ms.toString(16).padStart(16, '0'), parentSpanId: '', name: 'clock', resource: { ...spans[0].resource, attributes: SERVICE_CLOCK }, kind: SPAN_KIND.server, startTimeMs: ms, startTimeNanos: 0, endTimeMs: ms + 1, endTimeNanos: 0, attributes: [], events: [], links: [], statusCode: 0, statusMessage: '' });
    const clockLog = (ms: number): LogRecord => ({ ...logs[0], timeMs: ms, timeNanos: 0, observedTimeMs: ms, observedTimeNanos: 0, traceId: '', spanId: '', body: { type: 'string', value: 'clock' }, resource: { ...logs[0].resource, attributes: SERVICE_CLOCK } });
    const clockPoint = (ms: number): MetricPoint => ({ ...points[0], timeMs: ms, timeNanos: 0, resource: { ...points[0].resource, attributes: SERVICE_CLOCK } });
    const closes = [base + 20 * MINUTE, base + 30 * MINUTE];
    await producer.send({ topic: topics.spans, messages: [...byTrace.values()].map((trace) => ({ key: trace[0].traceId, value: encodeTraces(trace) })) });
    // Span clocks in small steps: a step of more than a window and its grace would make the expiring edge late.
    const spanCloses = [closes[0], closes[0] + 15_000, closes[0] + 2 * MINUTE];
    await producer.send({ topic: topics.spans, messages: spanCloses.map((ms) => ({ key: 'clock', value: encodeTraces([clockSpan(ms)]) })) });
    for (let i = 0; i < logs.length; i += 50) await producer.send({ topic: topics.logs, messages: [{ key: 'shop', value: encodeLogs(logs.slice(i, i + 50)) }] });
    await producer.send({ topic: topics.logs, messages: closes.map((ms) => ({ key: 'clock', value: encodeLogs([clockLog(ms)]) })) });
    for (let i = 0; i < points.length; i += 200) await producer.send({ topic: topics.metrics, messages: [{ key: 'shop', value: encodeMetrics(points.slice(i, i + 200)) }] });
    await producer.send({ topic: topics.metrics, messages: closes.map((ms) => ({ key: 'clock', value: encodeMetrics([clockPoint(ms)]) })) });
    await producer.disconnect();
    log(`sent ${spans.length} spans in ${byTrace.size} traces, ${logs.length} logs, ${points.length} metric points`);

    const topologies = [
      shipped('topologies/trace-index.yaml', `${id}-trace-index`, topics.spans, (steps) => Object.assign(steps[1].trace_index, { traces_topic: topics.traces, index_topic: topics.index })),
      shipped('topologies/log-index.yaml', `${id}-log-index`, topics.logs, (steps) => Object.assign(steps[0].log_index, { blocks_topic: topics.blocks, index_topic: topics.index })),
      shipped('topologies/servicegraph.yaml', `${id}-servicegraph`, topics.spans, (steps) => Object.assign(steps[3].to, { topic: topics.partials })),
      shipped('topologies/spanmetrics-rollup.yaml', `${id}-spanmetrics-rollup`, topics.partials, (steps) => Object.assign(steps[2].to, { topic: topics.rollup })),
      shipped('topologies/metrics-rollup.yaml', `${id}-metrics-rollup`, topics.metrics, (steps) => {
        Object.assign(steps[0].series, { topic: topics.series });
        Object.assign(steps[3].to, { topic: topics.rollup });
      }),
      shipped('topologies/sink-postgres-1m.yaml', `${id}-sink-postgres-1m`, topics.rollup, (steps) =>
        Object.assign(steps[0].sink, { table: `${schema}.rollup_1m`, series_table: `${schema}.otlp_series`, retention: 'forever' }),
      ),
    ];
    for (const topology of topologies) {
      const worker = new Worker({ topology, config, commitIntervalMs: 200, httpPort: 0 });
      workers.push(worker);
      await worker.start();
    }

    query = new QueryService(client, config, {
      host: '127.0.0.1',
      port: 0,
      dataDir,
      peers: [],
      topics: { traces: topics.traces, index: topics.index, series: topics.series, logs: topics.blocks },
      tenancy: { mode: 'none' },
      rollups: { url: config.postgres!.url, schema },
      pipeline: workers.map((w) => ({ name: w.topology.application.slice(id.length + 1), url: `http://127.0.0.1:${w.httpPort}` })),
    });
    const port = await query.start();
    await query.ready;
    const baseUrl = `http://127.0.0.1:${port}`;

    const oracle = computeOracle(baseUrl, { startMs: base, endMs: base + TRAFFIC_MINUTES * MINUTE }, spans, byTrace, logs, points, workers.map((w) => w.topology.application.slice(id.length + 1)));
    await waitForData(baseUrl, oracle, config.postgres!.url, schema, log);
    return { oracle, schema, topics, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function computeOracle(baseUrl: string, range: UiOracle['range'], spans: Span[], byTrace: Map<string, Span[]>, logs: LogRecord[], points: MetricPoint[], processes: string[]): UiOracle {
  // The trace: the one with the most spans.
  const trace = [...byTrace.values()].sort((a, b) => b.length - a.length || (a[0].traceId < b[0].traceId ? -1 : 1))[0];
  const ids = new Set(trace.map((s) => s.spanId));
  const root = trace.find((s) => !ids.has(s.parentSpanId))!;
  const detail = [...trace].sort((a, b) => b.attributes.length - a.attributes.length)[0];
  const attribute = detail.attributes.find((a) => a.type === 'string' && a.value !== '') ?? detail.attributes[0];

  // Service graph edges: a client span and its server child in another service (the connector's pairing).
  const bySpan = new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const edges = new Map<string, { client: string; server: string; requests: number; failed: number }>();
  for (const server of spans) {
    if (server.kind !== SPAN_KIND.server) continue;
    const clientSpan = bySpan.get(`${server.traceId}/${server.parentSpanId}`);
    if (!clientSpan || clientSpan.kind !== SPAN_KIND.client) continue;
    const key = `${serviceOf(clientSpan)}->${serviceOf(server)}`;
    const e = edges.get(key) ?? { client: serviceOf(clientSpan), server: serviceOf(server), requests: 0, failed: 0 };
    e.requests++;
    if (clientSpan.statusCode === STATUS_ERROR || server.statusCode === STATUS_ERROR) e.failed++;
    edges.set(key, e);
  }
  const edge = [...edges.values()].sort((a, b) => b.requests - a.requests || (a.client < b.client ? -1 : 1))[0];

  const search = parseSearch(LOG_QUERY);
  const hits = logs.filter((r) => matchRow(search, logRow(r))).length;

  // The metric: a gauge series, told apart from the metric's others by its service instance (the generated gauges
  // carry no point attributes; their series differ by resource).
  const gauges = points.filter((p): p is NumberPoint => p.type === 'gauge');
  const seriesKey = (p: NumberPoint) => JSON.stringify([p.metric.name, textOf(p.resource.attributes, 'service.instance.id'), p.attributes.map((a) => [a.key, attributeText(a)]).sort()]);
  const chosen = gauges[0];
  const series = gauges.filter((p) => seriesKey(p) === seriesKey(chosen)).sort((a, b) => a.timeMs - b.timeMs);
  const lastWindow = Math.floor(series[series.length - 1].timeMs / MINUTE) * MINUTE;
  const inLast = series.filter((p) => p.timeMs >= lastWindow).map((p) => Number(p.value));

  return {
    baseUrl,
    range,
    trace: {
      traceId: root.traceId,
      spanCount: trace.length,
      criticalPath: bruteCriticalPath(trace),
      rootService: serviceOf(root),
      rootName: root.name,
      detailSpan: { spanId: detail.spanId, name: detail.name, attribute: { key: attribute.key, value: attributeText(attribute) } },
      logCount: logs.filter((r) => r.traceId === root.traceId).length,
    },
    serviceGraph: edge,
    logs: { query: LOG_QUERY, hits },
    metric: {
      name: chosen.metric.name,
      labels: {
        'service.name': serviceOf(chosen),
        'service.instance.id': textOf(chosen.resource.attributes, 'service.instance.id'),
        ...Object.fromEntries(chosen.attributes.map((a) => [a.key, attributeText(a)])),
      },
      windowStartMs: lastWindow,
      avg: inLast.reduce((s, v) => s + v, 0) / inLast.length,
      min: Math.min(...inLast),
      max: Math.max(...inLast),
      last: inLast[inLast.length - 1],
    },
    pipeline: { processes },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the query service serves the trace and the logs, and PostgreSQL holds the rollups, all whole. */
async function waitForData(baseUrl: string, o: UiOracle, pgUrl: string, schema: string, log: (line: string) => void): Promise<void> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: pgUrl, max: 1 });
  const deadline = Date.now() + 240_000;
  const done = { trace: false, logs: false, rollups: false };
  try {
    while (Date.now() < deadline) {
      if (!done.trace) {
        const r = await fetch(`${baseUrl}/api/traces/${o.trace.traceId}/analysis`);
        done.trace = r.ok && ((await r.json()) as { spanCount: number }).spanCount === o.trace.spanCount;
      }
      if (!done.logs) {
        // The first clock record is indexed once the second moved stream time past it: everything before it is too.
        const r = await fetch(`${baseUrl}/api/logs/search?q=service:clock&limit=5`);
        done.logs = r.ok && ((await r.json()) as { logs: unknown[] }).logs.length >= 1;
      }
      if (!done.rollups) {
        // The last traffic minute of both the metric and the service graph is in the table once the second clock passed.
        const r = await pool
          .query(`SELECT count(DISTINCT s.name)::int AS n FROM ${schema}.rollup_1m r JOIN ${schema}.otlp_series s USING (tenant, series) WHERE r.window_start = $1 AND s.name = ANY($2)`, [new Date(o.metric.windowStartMs), [o.metric.name, 'traces_service_graph_request_total']])
          .catch(() => ({ rows: [{ n: 0 }] }));
        done.rollups = (r.rows[0] as { n: number }).n >= 2;
      }
      if (done.trace && done.logs && done.rollups) return;
      await sleep(1000);
    }
    throw new Error(`the pipeline did not deliver in time: ${JSON.stringify(done)}`);
  } finally {
    log(`pipeline delivered: ${JSON.stringify(done)}`);
    await pool.end();
  }
}
