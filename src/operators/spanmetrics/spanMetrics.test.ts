import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AggregationTemporality, SpanKind, StatusCode, type HistogramPoint, type MetricPoint, type Span } from '../../otlp/model.ts';
import { seriesId } from '../../otlp/seriesId.ts';
import { topology } from '../../runtime/dsl.ts';
import { TopologyTestDriver } from '../../runtime/testing.ts';
import { DEFAULT_DURATION_BUCKETS_MS, spanMetrics, spanMetricsProcessor } from './spanMetrics.ts';
import { attributesText, randomSpans, resource, span, stringAttributes, totals, type SeriesTotal } from './testing.ts';

const KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

/** Brute force: each span's calls and duration observation, by the connector's rules, added up per series. */
function oracle(spans: Span[], bounds: readonly number[]): Map<string, SeriesTotal> {
  const out = new Map<string, SeriesTotal>();
  const add = (id: string, f: (t: SeriesTotal) => void) => {
    const t = out.get(id) ?? { count: 0, sum: 0, bucketCounts: [], times: [] };
    f(t);
    out.set(id, t);
  };
  for (const s of spans) {
    const service = s.resource.attributes.find((a) => a.key === 'service.name');
    if (!service) continue;
    const lookup = (key: string) => (s.attributes.find((a) => a.key === key) ?? s.resource.attributes.find((a) => a.key === key))?.value as string | undefined;
    const attributes: Record<string, string> = { 'service.name': String(service.value), 'span.name': s.name, 'span.kind': KIND_NAMES[s.kind], 'status.code': STATUS_NAMES[s.statusCode] };
    const env = lookup('env');
    if (env !== undefined) attributes.env = env;
    attributes.host = lookup('host') ?? 'none';
    const text = attributesText(stringAttributes(attributes));
    const nanos = (s.endTimeMs - s.startTimeMs) * 1e6 + s.endTimeNanos - s.startTimeNanos;
    const ms = Math.max(0, nanos) / 1e6;
    let bucket = 0;
    while (bucket < bounds.length && ms > bounds[bucket]) bucket++;
    add(`traces.span.metrics.calls ${text}`, (t) => {
      t.count++;
      t.times.push(s.endTimeMs);
    });
    add(`traces.span.metrics.duration ${text}`, (t) => {
      t.count++;
      t.sum += ms;
      for (let i = 0; i <= bounds.length; i++) t.bucketCounts[i] = (t.bucketCounts[i] ?? 0) + (i === bucket ? 1 : 0);
      t.times.push(s.endTimeMs);
    });
  }
  for (const t of out.values()) t.times.sort((a, b) => a - b);
  return out;
}

function expectSameTotals(actual: Map<string, SeriesTotal>, expected: Map<string, SeriesTotal>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [id, e] of expected) {
    const a = actual.get(id)!;
    expect({ id, count: a.count, buckets: a.bucketCounts, times: a.times }).toEqual({ id, count: e.count, buckets: e.bucketCounts, times: e.times });
    expect(a.sum).toBeCloseTo(e.sum, 6);
  }
}

describe('spanMetrics', () => {
  const shop = resource({ 'service.name': 'shop', host: 'h1' });

  it('emits one calls point and one duration point per span, as the connector names and shapes them', () => {
    const points = spanMetrics()(span({ resource: shop, name: 'GET /cart', kind: SpanKind.SERVER, startTimeMs: 1_000, endTimeMs: 1_045, endTimeNanos: 500_000 }));
    expect(points).toHaveLength(2);
    const [calls, duration] = points.map((p) => p.point);
    expect(calls).toMatchObject({
      type: 'sum', valueType: 'int', value: 1, timeMs: 1_045, timeNanos: 500_000, startTimeMs: 1_045, flags: 0, exemplars: [],
      scope: { name: 'otlp-streams/spanmetrics', version: '' },
      metric: { name: 'traces.span.metrics.calls', unit: '', type: 'sum', aggregationTemporality: AggregationTemporality.DELTA, isMonotonic: true },
    });
    expect(calls.resource.attributes).toEqual(shop.attributes);
    expect(calls.attributes).toEqual(stringAttributes({ 'service.name': 'shop', 'span.name': 'GET /cart', 'span.kind': 'SPAN_KIND_SERVER', 'status.code': 'STATUS_CODE_UNSET' }));
    const h = duration as HistogramPoint;
    expect(h).toMatchObject({ type: 'histogram', count: 1, sum: 45.5, min: 45.5, max: 45.5, metric: { name: 'traces.span.metrics.duration', unit: 'ms', aggregationTemporality: AggregationTemporality.DELTA } });
    expect(h.explicitBounds).toEqual(DEFAULT_DURATION_BUCKETS_MS);
    expect(h.bucketCounts.indexOf(1)).toBe(DEFAULT_DURATION_BUCKETS_MS.indexOf(50)); // (10, 50]
    for (const p of points) expect(p.seriesId).toBe(seriesId(p.point));
  });

  it('puts a duration on a bound into that bound’s bucket, and clamps negative durations to 0', () => {
    const f = spanMetrics();
    const onBound = f(span({ resource: shop, startTimeMs: 0, endTimeMs: 10 }))[1].point as HistogramPoint;
    expect(onBound.bucketCounts.indexOf(1)).toBe(4); // (8, 10]
    const backwards = f(span({ resource: shop, startTimeMs: 50, endTimeMs: 10 }))[1].point as HistogramPoint;
    expect(backwards).toMatchObject({ sum: 0, min: 0 });
    expect(backwards.bucketCounts[0]).toBe(1);
  });

  it('skips spans whose resource has no service.name', () => {
    expect(spanMetrics()(span({ resource: resource({ host: 'x' }) }))).toEqual([]);
  });

  it('adds dimensions from span, then resource, then default; excludes defaults; seconds; exponential', () => {
    const f = spanMetrics({
      namespace: '',
      dimensions: [{ name: 'host' }, { name: 'http.method', default: 'GET' }, { name: 'missing' }],
      excludeDimensions: ['span.name'],
      histogram: { unit: 's', kind: 'exponential' },
    });
    const [calls, duration] = f(span({ resource: shop, attributes: [{ key: 'host', type: 'int', value: 7 }], statusCode: StatusCode.ERROR, startTimeMs: 0, endTimeMs: 2_000 }));
    expect(calls.point.metric.name).toBe('calls');
    expect(calls.point.attributes).toEqual([
      { key: 'service.name', type: 'string', value: 'shop' },
      { key: 'span.kind', type: 'string', value: 'SPAN_KIND_INTERNAL' },
      { key: 'status.code', type: 'string', value: 'STATUS_CODE_ERROR' },
      { key: 'host', type: 'int', value: 7 },
      { key: 'http.method', type: 'string', value: 'GET' },
    ]);
    expect(duration.point).toMatchObject({ type: 'exponentialHistogram', count: 1, sum: 2, scale: 20, zeroCount: 0, metric: { name: 'duration', unit: 's', type: 'exponentialHistogram' } });
    const offset = (duration.point as { positive: { offset: number } }).positive.offset;
    // 2 is a bucket's upper bound (upper-inclusive buckets): index 2^20 − 1
    expect(offset).toBe(2 ** 20 - 1);
    const zero = f(span({ resource: shop, startTimeMs: 5, endTimeMs: 5 }))[1].point;
    expect(zero).toMatchObject({ zeroCount: 1, positive: { bucketCounts: [] } });
  });

  it('shares attribute lists and interned resources between spans of the same series', () => {
    const f = spanMetrics();
    const copy = resource({ 'service.name': 'shop', host: 'h1' });
    const a = f(span({ resource: shop }))[0].point;
    const b = f(span({ resource: copy }))[0].point;
    expect(b.attributes).toBe(a.attributes);
    expect(b.resource).toBe(a.resource);
    expect(b.metric).toBe(a.metric);
  });

  it('keeps only the key attributes of the resource when resourceMetricsKeyAttributes is set', () => {
    const point = spanMetrics({ resourceMetricsKeyAttributes: ['service.name'] })(span({ resource: shop }))[0].point;
    expect(point.resource.attributes).toEqual(stringAttributes({ 'service.name': 'shop' }));
  });

  it('rejects a dimension that repeats a default one, and unsorted buckets', () => {
    expect(() => spanMetrics({ dimensions: [{ name: 'span.kind' }] })).toThrow(/named twice/);
    expect(() => spanMetrics({ histogram: { buckets: [5, 1] } })).toThrow(/strictly increasing/);
  });

  it('oracle: random traces → points added up per series equal brute-force calls and duration buckets', () => {
    const bounds = DEFAULT_DURATION_BUCKETS_MS;
    fc.assert(
      fc.property(randomSpans, (spans) => {
        const f = spanMetrics({ dimensions: [{ name: 'env' }, { name: 'host', default: 'none' }] });
        const points: MetricPoint[] = [];
        for (const s of spans) {
          for (const { seriesId: id, point } of f(s)) {
            expect(id).toBe(seriesId(point));
            expect(attributesText(point.resource.attributes)).toBe(attributesText(s.resource.attributes));
            points.push(point);
          }
        }
        expectSameTotals(totals(points as never), oracle(spans, bounds));
      }),
      { numRuns: 200 },
    );
  });

  it('as a process step: keys each point by tenant and series id, at its time, with the tenant header', () => {
    const spans = [span({ resource: shop, endTimeMs: 5_000 }), span({ resource: shop, endTimeMs: 6_000, kind: SpanKind.CLIENT })];
    const app = topology('sm')
      .stream<Span>({ topic: 'in', decode: (m) => [{ key: m.key!.toString(), timestamp: spans[Number(m.value)].endTimeMs, value: spans[Number(m.value)] }] })
      .process(spanMetricsProcessor())
      .to('out')
      .build();
    const driver = new TopologyTestDriver(app, { now: () => 10_000_000 });
    driver.pipe(spans.map((_, i) => ({ key: `acme/${'0'.repeat(31)}1`, value: String(i), timestamp: 1, headers: { tenant: 'acme' } })));
    driver.commit();
    const out = driver.records('out');
    expect(out).toHaveLength(4);
    const expected = spans.flatMap((s) => spanMetrics()(s));
    expect(out.map((r) => [r.key, r.timestamp, r.headers])).toEqual(expected.map((p) => [`acme/${p.seriesId}`, p.point.timeMs, { tenant: 'acme' }]));
  });
});
