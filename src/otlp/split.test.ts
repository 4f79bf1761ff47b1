// Splitting on raw bytes against an oracle (decode, then group), keys, the JSON variant, and size splitting.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLogs } from './decodeLogs.ts';
import { decodeMetrics } from './decodeMetrics.ts';
import { decodeTraces } from './decodeTraces.ts';
import { encodeLogs } from './encodeLogs.ts';
import { encodeMetrics } from './encodeMetrics.ts';
import { encodeTraces } from './encodeTraces.ts';
import { encodeLogsJson, encodeMetricsJson, encodeTracesJson } from './jsonEncode.ts';
import type { Resource, Span } from './model.ts';
import { resourceKey } from './resourceKey.ts';
import { RequestLimitError } from './errors.ts';
import { planRecords, splitLogs, splitLogsJson, splitMetrics, splitMetricsJson, splitTraces, splitTracesJson, type PlannedRecord } from './split.ts';
import { planBySize, splitBySize } from './splitBySize.ts';
import { logRecords, metricPoints, spans } from './testing/arbitraries.ts';
import { metricsResourceNested, metricsResourceWithAttributes, tracesWithResource } from './testing/hostile.ts';

const RUNS = { numRuns: 120 };

// Spans with a few shared trace ids, so groups hold several spans.
const spansWithSharedTraces = fc.tuple(spans, fc.array(fc.constantFrom('0'.repeat(32), 'ab'.repeat(16), '12'.repeat(16)), { minLength: 1 })).map(([list, ids]) =>
  list.map((s, i) => ({ ...s, traceId: ids[i % ids.length] })),
);

function groupByTrace(decoded: Span[]): Span[][] {
  const groups = new Map<string, Span[]>();
  for (const s of decoded) {
    const k = `${decoded.findIndex((x) => x.resource === s.resource)}/${decoded.findIndex((x) => x.scope === s.scope)}/${s.traceId}`;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [s]);
    else g.push(s);
  }
  return [...groups.values()];
}

function groupByResource<T extends { resource: Resource }>(decoded: T[]): T[][] {
  const groups = new Map<Resource, T[]>();
  for (const x of decoded) groups.set(x.resource, [...(groups.get(x.resource) ?? []), x]);
  return [...groups.values()];
}

describe('splitTraces', () => {
  it('equals decoding then grouping by resource × scope × trace id, keyed by the hex trace id', () => {
    fc.assert(
      fc.property(spansWithSharedTraces, (list) => {
        const bytes = encodeTraces(list);
        const records = splitTraces(bytes);
        const expected = groupByTrace(decodeTraces(bytes));
        expect(records.map((r) => decodeTraces(r.value))).toEqual(expected);
        expect(records.map((r) => r.key.toString('latin1'))).toEqual(expected.map((g) => (/^0+$/.test(g[0].traceId) ? '' : g[0].traceId)));
      }),
      RUNS,
    );
  });

  it('accepts a ResourceSpans whose resource field comes after its scope_spans (fields may come in any order)', () => {
    // ResourceSpans { scope_spans { spans { trace_id, span_id, name "a" } }, resource { dropped_attributes_count 3 } }, twice.
    const span = Buffer.concat([Buffer.from([0x0a, 16]), Buffer.alloc(16, 0xab), Buffer.from([0x12, 8]), Buffer.alloc(8, 1), Buffer.from([0x2a, 1, 0x61])]);
    const scopeSpans = Buffer.concat([Buffer.from([0x12, span.length]), span]);
    const resource = Buffer.from([0x10, 3]);
    const resourceSpans = Buffer.concat([Buffer.from([0x12, scopeSpans.length]), scopeSpans, Buffer.from([0x0a, resource.length]), resource]);
    const request = Buffer.concat([Buffer.from([0x0a, resourceSpans.length]), resourceSpans, Buffer.from([0x0a, resourceSpans.length]), resourceSpans]);
    const records = splitTraces(request);
    expect(records.map((r) => decodeTraces(r.value))).toEqual(groupByTrace(decodeTraces(request)));
    expect(records).toHaveLength(2);
  });

  it('gives the same records for the OTLP/JSON body', () => {
    fc.assert(
      fc.property(spansWithSharedTraces, (list) => {
        expect(splitTracesJson(encodeTracesJson(list))).toEqual(splitTraces(encodeTraces(list)));
      }),
      RUNS,
    );
  });
});

describe('splitMetrics and splitLogs', () => {
  it('give one record per resource, keyed by the resource hash', () => {
    fc.assert(
      fc.property(metricPoints, (points) => {
        const bytes = encodeMetrics(points);
        const records = splitMetrics(bytes);
        const expected = groupByResource(decodeMetrics(bytes));
        expect(records.map((r) => decodeMetrics(r.value))).toEqual(expected);
        expect(records.map((r) => r.key)).toEqual(expected.map((g) => resourceKey(g[0].resource.attributes)));
        expect(splitMetricsJson(encodeMetricsJson(points))).toEqual(records);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(logRecords, (list) => {
        const bytes = encodeLogs(list);
        const records = splitLogs(bytes);
        const expected = groupByResource(decodeLogs(bytes));
        expect(records.map((r) => decodeLogs(r.value))).toEqual(expected);
        expect(records.map((r) => r.key)).toEqual(expected.map((g) => resourceKey(g[0].resource.attributes)));
        expect(splitLogsJson(encodeLogsJson(list))).toEqual(records);
      }),
      RUNS,
    );
  });

  it('key metrics and logs of the same resource alike', () => {
    const resource: Resource = { attributes: [{ key: 'service.name', type: 'string', value: 'cart' }, { key: 'host.name', type: 'string', value: 'node-d' }], droppedAttributesCount: 3, entityRefs: [], schemaUrl: 'x' };
    const scope = { name: 's', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
    const log = { resource, scope, timeMs: 1, timeNanos: 0, observedTimeMs: 0, observedTimeNanos: 0, severityNumber: 9, severityText: '', body: undefined, attributes: [], droppedAttributesCount: 0, flags: 0, traceId: '', spanId: '', eventName: '' };
    const [record] = splitLogs(encodeLogs([log]));
    expect(record.key.toString('hex')).toBe('4fccdc0bd25068baa0668d7d8011bc5f');
  });
});

describe('splitBySize', () => {
  it('keeps every item, in order, under the limit, with the same key', () => {
    fc.assert(
      fc.property(spans, fc.integer({ min: 150, max: 2000 }), (list, limit) => {
        for (const record of splitTraces(encodeTraces(list))) {
          const { records, oversized } = splitBySize('traces', record, limit);
          for (const r of records) {
            expect(r.value.length).toBeLessThanOrEqual(limit);
            expect(r.key).toBe(record.key);
          }
          const kept = records.flatMap((r) => decodeTraces(r.value));
          const all = decodeTraces(record.value);
          expect(kept.length + oversized.length).toBe(all.length);
          if (oversized.length === 0) expect(kept).toEqual(all);
        }
      }),
      RUNS,
    );
  });

  it('splits metric points inside one metric, repeating the metric header', () => {
    fc.assert(
      fc.property(metricPoints, fc.integer({ min: 300, max: 3000 }), (points, limit) => {
        for (const record of splitMetrics(encodeMetrics(points))) {
          const { records, oversized } = splitBySize('metrics', record, limit);
          for (const r of records) expect(r.value.length).toBeLessThanOrEqual(limit);
          if (oversized.length === 0) expect(records.flatMap((r) => decodeMetrics(r.value))).toEqual(decodeMetrics(record.value));
        }
      }),
      RUNS,
    );
  });

  it('splits log records', () => {
    fc.assert(
      fc.property(logRecords, fc.integer({ min: 150, max: 2000 }), (list, limit) => {
        for (const record of splitLogs(encodeLogs(list))) {
          const { records, oversized } = splitBySize('logs', record, limit);
          for (const r of records) expect(r.value.length).toBeLessThanOrEqual(limit);
          if (oversized.length === 0) expect(records.flatMap((r) => decodeLogs(r.value))).toEqual(decodeLogs(record.value));
        }
      }),
      RUNS,
    );
  });

  it('reports an item that can never fit, by path', () => {
    const resource: Resource = { attributes: [], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
    const scope = { name: 'lib', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
    const base: Span = {
      resource, scope, traceId: 'ab'.repeat(16), spanId: '01'.repeat(8), traceState: '', parentSpanId: '', flags: 0, name: 'small', kind: 1,
      startTimeMs: 1, startTimeNanos: 0, endTimeMs: 2, endTimeNanos: 0, attributes: [], droppedAttributesCount: 0, events: [], droppedEventsCount: 0,
      links: [], droppedLinksCount: 0, statusCode: 0, statusMessage: '',
    };
    const big = { ...base, name: 'x'.repeat(5000) };
    const [record] = splitTraces(encodeTraces([base, big, base, base]));
    const { records, oversized } = splitBySize('traces', record, 200);
    expect(oversized).toEqual([{ path: 'resourceSpans[0].scopeSpans[0].spans[1]', bytes: expect.any(Number) }]);
    expect(oversized[0].bytes).toBeGreaterThan(5000);
    expect(records.flatMap((r) => decodeTraces(r.value))).toEqual([base, base, base]);
  });
});

describe('planning before building', () => {
  it('measures every record exactly, and its items, before the value exists', () => {
    fc.assert(
      fc.property(spansWithSharedTraces, (list) => {
        const planned: PlannedRecord[] = [];
        for (const step of planRecords('traces', encodeTraces(list), planned)) void step;
        for (const p of planned) {
          const value = p.build();
          expect(p.valueBytes).toBe(value.length);
          expect(p.items).toBe(decodeTraces(value).length);
        }
        expect(planned.reduce((n, p) => n + p.items, 0)).toBe(list.length);
      }),
      RUNS,
    );
  });

  it('bounds every size piece from above before writing it', () => {
    fc.assert(
      fc.property(metricPoints, fc.integer({ min: 300, max: 3000 }), (points, limit) => {
        for (const record of splitMetrics(encodeMetrics(points))) {
          if (record.value.length <= limit) continue;
          for (const piece of planBySize('metrics', record, limit).pieces) {
            const value = piece.build();
            expect(value.length).toBeLessThanOrEqual(piece.valueBytes);
            expect(piece.valueBytes).toBeLessThanOrEqual(limit);
          }
        }
      }),
      RUNS,
    );
  });

  it('pauses within a scope of many spans, so a caller can yield to the event loop', () => {
    const planned: PlannedRecord[] = [];
    const steps = [...planRecords('traces', tracesWithResource({ resourceBytes: 10, spans: 10_000, traces: 7 }), planned)].length;
    expect(steps).toBeGreaterThanOrEqual(4);
    expect(planned).toHaveLength(7);
  });

  it('stops at the item limit and at the attribute limit with a RequestLimitError naming it', () => {
    const tooMany = () => [...planRecords('traces', tracesWithResource({ resourceBytes: 10, spans: 101, traces: 1 }), [], { maxItems: 100, maxResourceAttributes: 10 })];
    expect(tooMany).toThrow(RequestLimitError);
    expect(tooMany).toThrow(/more than 100 spans.*maxRequestItems/);
    const wide = () => [...planRecords('metrics', metricsResourceWithAttributes(11), [], { maxItems: 100, maxResourceAttributes: 10 })];
    expect(wide).toThrow(/resourceMetrics\[0\].resource: more than 10 attributes.*maxResourceAttributes/);
    // nested entries count too: 10 levels of one entry each, plus the attribute itself
    const deep = () => [...planRecords('metrics', metricsResourceNested(10), [], { maxItems: 100, maxResourceAttributes: 10 })];
    expect(deep).toThrow(/more than 10 attributes/);
    expect(() => [...planRecords('metrics', metricsResourceNested(9), [], { maxItems: 100, maxResourceAttributes: 10 })]).not.toThrow();
  });
});
