import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Span } from '../../otlp/index.ts';
import { decodeTracesJson } from '../../otlp/index.ts';
import type { TraceSummary } from '../../operators/traces/model.ts';
import { shapeDifferences } from '../testing/shape.ts';
import { matchTrace } from '../traceql/evaluate.ts';
import { parseTraceQL } from '../traceql/parse.ts';
import {
  fieldsOf, ROOT_NOT_RECEIVED, tempoSearchResponse, tempoSearchTrace, tempoTagNames, tempoTagScopes, tempoTagValues, tempoTagValuesV2,
  tempoTraceV1, tempoTraceV2, typedTagValue, TEMPO_INTRINSIC_TAGS,
} from './format.ts';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../../test/fixtures/query/tempo/${name}`, import.meta.url), 'utf8'));
const MAPS = ['$.traces[].serviceStats'];

const resource = { attributes: [{ key: 'service.name', type: 'string' as const, value: 'checkout' }], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
const scope = { name: 'io.opentelemetry.http', version: '1.2.0', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
const span = (id: string, parent: string, name: string, extra: Partial<Span> = {}): Span => ({
  resource, scope, traceId: '5b8efff798038103d269b633813fc60c', spanId: id, traceState: '', parentSpanId: parent, flags: 0, name, kind: 3,
  startTimeMs: 1_700_000_000_200, startTimeNanos: 0, endTimeMs: 1_700_000_000_450, endTimeNanos: 0,
  attributes: [{ key: 'http.status_code', type: 'int', value: 502 }], droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [],
  droppedLinksCount: 0, statusCode: 2, statusMessage: 'gateway timeout', ...extra,
});
const spans = [span('eee19b7ec3c1b174', '0000000000000001', 'charge card'), span('eee19b7ec3c1b175', '0000000000000001', 'reserve stock')];

const summary: TraceSummary = {
  traceId: '5b8efff798038103d269b633813fc60c', rootService: 'checkout', rootName: 'POST /orders', startUnixNano: 1_700_000_000_123_456_789n,
  durationNanos: 412_500_000, spans: 4, errors: 1, services: [{ service: 'checkout', spans: 4, errors: 1 }], edges: [],
};

function expectShape(actual: unknown, name: string) {
  expect(shapeDifferences(JSON.parse(JSON.stringify(actual)), fixture(name), MAPS)).toEqual([]);
}

describe('Tempo response shapes', () => {
  it('search with TraceQL: spanSet, spanSets, serviceStats, metrics', () => {
    const query = parseTraceQL('{ status = error && name = "charge card" }');
    const trace = tempoSearchTrace(summary, { spanSets: matchTrace(query, spans), query });
    const body = tempoSearchResponse([trace], { inspectedTraces: 120, inspectedBytes: 48_213, inspectedSpans: 2400, totalBlocks: 2 });
    expectShape(body, 'search-traceql.json');
    expect(trace).toMatchObject({
      traceID: summary.traceId, rootServiceName: 'checkout', rootTraceName: 'POST /orders', startTimeUnixNano: '1700000000123456789', durationMs: 412,
      spanSet: { matched: 1, spans: [{ spanID: 'eee19b7ec3c1b174', durationNanos: '250000000', attributes: [{ key: 'status', value: { stringValue: 'error' } }] }] },
    });
  });

  it('search by tags: no spansets', () => {
    expectShape(tempoSearchResponse([tempoSearchTrace({ ...summary, errors: 0 })], { inspectedTraces: 1, inspectedBytes: 10 }), 'search-tags.json');
  });

  it('limits spans per spanset but counts them all, and names a missing root', () => {
    const many = Array.from({ length: 5 }, (_, k) => span(`00000000000000a${k}`, '0000000000000001', 'x'));
    const t = tempoSearchTrace({ ...summary, rootService: '', rootName: '' }, { spanSets: matchTrace(parseTraceQL('{ }'), many), spansPerSpanSet: 2 });
    expect(t.spanSets![0].spans).toHaveLength(2);
    expect(t.spanSets![0].matched).toBe(5);
    expect(t.rootServiceName).toBe(ROOT_NOT_RECEIVED);
    expect(t.spanSets![0].spans[0].attributes).toBeUndefined();
  });

  it('lists the tested fields as span attributes', () => {
    const q = parseTraceQL('{ span.http.status_code = 502 && kind = client && resource.service.name = "checkout" && duration > 1ms }');
    expect(fieldsOf(q).length).toBe(4);
    const t = tempoSearchTrace(summary, { spanSets: matchTrace(q, spans), query: q });
    expect(t.spanSet!.spans[0].attributes).toEqual([
      { key: 'http.status_code', value: { intValue: '502' } },
      { key: 'kind', value: { stringValue: 'client' } },
      { key: 'service.name', value: { stringValue: 'checkout' } },
    ]);
  });

  it('tag names, v2 scopes, tag values and typed values', () => {
    expectShape(tempoTagNames(['service.name', 'http.method', 'service.name']), 'tags.json');
    expect(tempoTagNames(['b', 'a', 'b'])).toEqual({ tagNames: ['a', 'b'] });
    expectShape(tempoTagScopes({ resource: ['service.name'], span: ['http.url'], intrinsic: TEMPO_INTRINSIC_TAGS }), 'tags-v2.json');
    expectShape(tempoTagValues(['frontend', 'postgres']), 'tag-values.json');
    const typed = tempoTagValuesV2([typedTagValue({ type: 'string', value: 'b' }), typedTagValue({ type: 'int', value: 5 }), typedTagValue({ type: 'string', value: 'b' })]);
    expectShape(typed, 'tag-values-v2.json');
    expect(typed).toEqual({ tagValues: [{ type: 'int', value: '5' }, { type: 'string', value: 'b' }] });
  });

  it('trace by id: v1 batches and v2 trace, ids in base64 (Tempo) or hex; the spans decode back', () => {
    const v1 = JSON.parse(tempoTraceV1([spans[0]]));
    expectShape(v1, 'trace-v1.json');
    expect(v1.batches[0].scopeSpans[0].spans[0].traceId).toBe(Buffer.from(summary.traceId, 'hex').toString('base64'));
    const v2 = JSON.parse(tempoTraceV2([spans[0]], { partial: true, message: 'one replica did not answer' }));
    expectShape(v2, 'trace-v2.json');
    expect(JSON.parse(tempoTraceV2(spans))).not.toHaveProperty('status');
    const hex = JSON.parse(tempoTraceV1(spans, 'hex'));
    const decoded = decodeTracesJson(Buffer.from(JSON.stringify({ resourceSpans: hex.batches })));
    expect(decoded.map((s) => [s.spanId, s.parentSpanId, s.name])).toEqual(spans.map((s) => [s.spanId, s.parentSpanId, s.name]));
  });
});
