// Decode throughput of the OTLP data plane on one core: our hand-written protobuf decoder and our
// OTLP/JSON decoder into flat records, against protobufjs (loaded from schemas/) decoding the same bytes
// in the same run. Deterministic generated requests (seeded); medians of several runs; ratios ours ÷ protobufjs.
import { median, report, type BenchResult } from './report.ts';
import {
  decodeLogs, decodeLogsJson, decodeMetrics, decodeMetricsJson, decodeTraces, decodeTracesJson, encodeLogs, encodeLogsJson, encodeMetrics,
  encodeMetricsJson, encodeTraces, encodeTracesJson, splitTraces,
} from '../src/otlp/index.ts';
import type { Attribute, LogRecord, Metric, MetricPoint, MetricType, Resource, Scope, Span } from '../src/otlp/index.ts';
import { requestTypes } from '../src/otlp/testing/protobufjs.ts';
import { itemsPerSecond } from './lib/util.ts';

const REQUESTS = 40;
const RUNS = 7;
const MIN_RUN_MS = 400;

// mulberry32: small, seeded, deterministic.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20240611);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const int = (n: number): number => Math.floor(random() * n);
const hex = (bytes: number): string => Array.from({ length: bytes }, () => int(256).toString(16).padStart(2, '0')).join('');
const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });

const T0_MS = 1_750_000_000_000;

function resource(i: number): Resource {
  return {
    attributes: [
      str('service.name', pick(['cart', 'checkout', 'payments', 'search', 'frontend'])),
      str('service.instance.id', `instance-${i}-${hex(4)}`),
      str('host.name', `node-${int(40)}`),
      str('k8s.pod.name', `pod-${hex(5)}`),
      str('deployment.environment', 'production'),
    ],
    droppedAttributesCount: 0, entityRefs: [], schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
  };
}
const scope = (name: string): Scope => ({ name, version: '1.4.2', attributes: [], droppedAttributesCount: 0, schemaUrl: '' });

function metricsRequest(i: number): MetricPoint[] {
  const r = resource(i);
  const points: MetricPoint[] = [];
  for (const s of [scope('io.opentelemetry.http'), scope('io.opentelemetry.runtime')]) {
    for (let m = 0; m < 25; m++) {
      const type: MetricType = m < 15 ? (m % 2 ? 'gauge' : 'sum') : m < 20 ? 'histogram' : m < 23 ? 'exponentialHistogram' : 'summary';
      const metric: Metric = { name: `metric.${s.name.length}.${m}`, description: 'generated', unit: 'ms', type, aggregationTemporality: type === 'gauge' || type === 'summary' ? 0 : 2, isMonotonic: type === 'sum', metadata: [] };
      for (let p = 0; p < 20; p++) {
        const base = {
          resource: r, scope: s, metric,
          attributes: [str('http.route', pick(['/cart', '/checkout', '/api/items', '/health'])), str('http.request.method', pick(['GET', 'POST'])), { key: 'http.response.status_code', type: 'int', value: pick([200, 201, 404, 500]) } as Attribute],
          startTimeMs: T0_MS, startTimeNanos: 0, timeMs: T0_MS + 60_000 + int(1000), timeNanos: int(1e6), flags: 0,
        };
        if (type === 'gauge' || type === 'sum') points.push({ ...base, type, valueType: p % 3 ? 'double' : 'int', value: p % 3 ? random() * 1000 : int(100000), exemplars: [] });
        else if (type === 'histogram') points.push({ ...base, type, count: 200, sum: random() * 9000, bucketCounts: Array.from({ length: 11 }, () => int(40)), explicitBounds: [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000], exemplars: [], min: 0.5, max: 999 });
        else if (type === 'exponentialHistogram') points.push({ ...base, type, count: 120, sum: random() * 500, scale: 3, zeroCount: 1, positive: { offset: int(20), bucketCounts: Array.from({ length: 16 }, () => int(20)) }, negative: { offset: 0, bucketCounts: [] }, exemplars: [], min: 0.01, max: 80, zeroThreshold: 0 });
        else points.push({ ...base, type, count: 100, sum: random() * 100, quantileValues: [0, 0.5, 0.9, 0.99, 1].map((q) => ({ quantile: q, value: random() * 100 })) });
      }
    }
  }
  return points;
}

function tracesRequest(i: number): Span[] {
  const r = resource(i);
  const spans: Span[] = [];
  for (const s of [scope('io.opentelemetry.http'), scope('io.opentelemetry.db')]) {
    for (let n = 0; n < 250; n++) {
      const start = T0_MS + int(60_000);
      spans.push({
        resource: r, scope: s, traceId: hex(16), spanId: hex(8), traceState: '', parentSpanId: n % 5 ? hex(8) : '', flags: 0x101,
        name: pick(['GET /cart', 'POST /checkout', 'SELECT items', 'redis GET', 'publish orders']), kind: 1 + int(5),
        startTimeMs: start, startTimeNanos: int(1e6), endTimeMs: start + int(500), endTimeNanos: int(1e6),
        attributes: [
          str('http.request.method', pick(['GET', 'POST'])), str('url.path', pick(['/cart', '/checkout', '/api/items'])),
          { key: 'http.response.status_code', type: 'int', value: pick([200, 404, 500]) } as Attribute, str('server.address', `svc-${int(10)}.internal`),
          str('user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'),
          { key: 'db.rows', type: 'int', value: int(1000) } as Attribute,
        ],
        droppedAttributesCount: 0,
        events: n % 10 === 0 ? [{ timeMs: start + 1, timeNanos: 0, name: 'exception', attributes: [str('exception.type', 'TimeoutError'), str('exception.message', 'deadline exceeded')], droppedAttributesCount: 0 }] : [],
        droppedEventsCount: 0, links: [], droppedLinksCount: 0, statusCode: n % 10 === 0 ? 2 : 0, statusMessage: '',
      });
    }
  }
  return spans;
}

function logsRequest(i: number): LogRecord[] {
  const r = resource(i);
  const records: LogRecord[] = [];
  for (const s of [scope('app.logger'), scope('http.access')]) {
    for (let n = 0; n < 250; n++) {
      const t = T0_MS + int(60_000);
      records.push({
        resource: r, scope: s, timeMs: t, timeNanos: int(1e6), observedTimeMs: t + 2, observedTimeNanos: 0, severityNumber: pick([5, 9, 13, 17]),
        severityText: pick(['DEBUG', 'INFO', 'WARN', 'ERROR']),
        body: { type: 'string', value: `request ${hex(4)} handled in ${int(900)} ms for user ${int(100000)} on route ${pick(['/cart', '/checkout'])}` },
        attributes: [str('logger.name', 'com.example.Handler'), str('thread.name', `worker-${int(16)}`), { key: 'http.response.status_code', type: 'int', value: pick([200, 500]) } as Attribute, str('code.function', 'handle')],
        droppedAttributesCount: 0, flags: 1, traceId: n % 2 ? hex(16) : '', spanId: n % 2 ? hex(8) : '', eventName: '',
      });
    }
  }
  return records;
}

// Runs `work` over all requests repeatedly for at least MIN_RUN_MS; returns items per second.
function throughput(items: number, work: () => void): number {
  return Math.round(itemsPerSecond(items, work, MIN_RUN_MS));
}

const types = requestTypes();
const results: BenchResult[] = [];

function measure(
  unit: string, label: string, items: number, proto: Buffer[], json: string[],
  ours: (b: Uint8Array) => unknown, oursJson: (s: string) => unknown, reference: (b: Buffer) => unknown, extra: Array<[string, (b: Buffer) => unknown]> = [],
): void {
  const runs: Record<string, number[]> = { ours: [], reference: [], json: [] };
  for (const [name] of extra) runs[name] = [];
  for (let i = 0; i < RUNS; i++) {
    // Interleaved so machine noise hits both decoders alike.
    runs.ours.push(throughput(items, () => proto.forEach(ours)));
    runs.reference.push(throughput(items, () => proto.forEach(reference)));
    runs.json.push(throughput(items, () => json.forEach(oursJson)));
    for (const [name, f] of extra) runs[name].push(throughput(items, () => proto.forEach(f)));
  }
  const ratios = runs.ours.map((v, i) => v / runs.reference[i]);
  const bytes = proto.reduce((n, b) => n + b.length, 0);
  results.push(
    { metric: `proto ${label}/s`, value: median(runs.ours), unit: `${unit}/s` },
    { metric: `protobufjs ${label}/s`, value: median(runs.reference), unit: `${unit}/s` },
    { metric: `proto ${label} ratio`, value: Math.round(median(ratios) * 100) / 100, unit: 'x protobufjs' },
    { metric: `json ${label}/s`, value: median(runs.json), unit: `${unit}/s` },
    { metric: `proto bytes per ${unit}`, value: Math.round((bytes / items) * 10) / 10, unit: 'bytes' },
  );
  for (const [name] of extra) results.push({ metric: `${name} ${label}/s`, value: median(runs[name]), unit: `${unit}/s` });
}

const metricRequests = Array.from({ length: REQUESTS }, (_, i) => metricsRequest(i));
const traceRequests = Array.from({ length: REQUESTS }, (_, i) => tracesRequest(i));
const logRequests = Array.from({ length: REQUESTS }, (_, i) => logsRequest(i));
const count = (xs: unknown[][]): number => xs.reduce((n, x) => n + x.length, 0);

measure('point', 'points', count(metricRequests), metricRequests.map(encodeMetrics), metricRequests.map(encodeMetricsJson), decodeMetrics, decodeMetricsJson, (b) => types.metrics.decode(b));
measure('span', 'spans', count(traceRequests), traceRequests.map(encodeTraces), traceRequests.map(encodeTracesJson), decodeTraces, decodeTracesJson, (b) => types.traces.decode(b), [['split', splitTraces]]);
measure('log record', 'log records', count(logRequests), logRequests.map(encodeLogs), logRequests.map(encodeLogsJson), decodeLogs, decodeLogsJson, (b) => types.logs.decode(b));

report('decode', results);
