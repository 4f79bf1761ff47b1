import { describe, expect, it } from 'vitest';
import { decodeLogs, decodeMetrics, decodeTraces, SpanKind, StatusCode } from '../otlp/index.ts';
import { Traffic } from './traffic.ts';

const T0 = 1_767_225_600_000;

describe('Traffic', () => {
  it('is the same for the same seed and different for another', () => {
    const a = new Traffic({ seed: 9, startMs: T0 }).encodedTraces(300);
    const b = new Traffic({ seed: 9, startMs: T0 }).encodedTraces(300);
    const c = new Traffic({ seed: 10, startMs: T0 }).encodedTraces(300);
    expect(a.traces).toEqual(b.traces);
    expect(a.traces).not.toEqual(c.traces);
  });

  it('makes traces that cross services with parent links, errors and logs carrying trace context', () => {
    const { traces, logs } = new Traffic({ seed: 2, startMs: T0 }).encodedTraces(3000);
    const spans = decodeTraces(traces);
    const ids = new Set(spans.map((s) => s.spanId));
    expect(spans.filter((s) => s.parentSpanId !== '').every((s) => ids.has(s.parentSpanId))).toBe(true);
    const services = new Set(spans.map((s) => s.resource.attributes.find((a) => a.key === 'service.name')!.value));
    expect(services.size).toBeGreaterThanOrEqual(8);
    expect(spans.some((s) => s.kind === SpanKind.CLIENT) && spans.some((s) => s.kind === SpanKind.SERVER)).toBe(true);
    expect(spans.some((s) => s.statusCode === StatusCode.ERROR)).toBe(true);
    for (const s of spans) expect(s.endTimeMs * 1e6 + s.endTimeNanos).toBeGreaterThanOrEqual(s.startTimeMs * 1e6 + s.startTimeNanos);
    const records = decodeLogs(logs);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((l) => ids.has(l.spanId))).toBe(true);
  });

  it('reports every metric type per instance at each interval, cumulative sums growing', () => {
    const traffic = new Traffic({ seed: 4, startMs: T0 });
    const first = decodeMetrics(traffic.encodedMetrics(T0 + 10_000).metrics);
    const second = decodeMetrics(traffic.encodedMetrics(T0 + 20_000).metrics);
    expect(new Set(first.map((p) => p.type))).toEqual(new Set(['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']));
    expect(second).toHaveLength(first.length);
    const total = (points: typeof first) => points.filter((p) => p.type === 'sum').reduce((n, p) => n + Number(p.type === 'sum' ? p.value : 0), 0);
    expect(total(second)).toBeGreaterThan(total(first));
    expect(second.every((p) => p.timeMs === T0 + 20_000)).toBe(true);
  });

  it('follows the clock it is moved to, never back', () => {
    const traffic = new Traffic({ seed: 5, startMs: T0 });
    traffic.advanceTo(T0 + 60_000);
    const later = traffic.traces(50).spans;
    expect(Math.min(...later.map((s) => s.startTimeMs))).toBeGreaterThanOrEqual(T0 + 60_000);
    traffic.advanceTo(T0);
    expect(Math.min(...traffic.traces(50).spans.map((s) => s.startTimeMs))).toBeGreaterThanOrEqual(T0 + 60_000);
  });
});
