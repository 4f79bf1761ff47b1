import { describe, expect, it } from 'vitest';
import type { Span } from '../../otlp/index.ts';
import { QueryParameterError } from '../errors.ts';
import { matchTrace } from '../traceql/evaluate.ts';
import { formatTraceQL } from '../traceql/format.ts';
import { jaegerSearchQuery, parseJaegerTagParams, parseJaegerTags } from './tags.ts';

describe('parseJaegerTags', () => {
  it('reads a JSON object of strings', () => {
    expect([...parseJaegerTags('{"http.status_code":"500","error":"true"}')]).toEqual([['http.status_code', '500'], ['error', 'true']]);
    expect([...parseJaegerTags('{}')]).toEqual([]);
  });

  it.each([
    ['{', 'not JSON'],
    ['[1]', 'got an array'],
    ['null', 'got null'],
    ['"x"', 'got string'],
    ['{"a":1}', 'the value of "a" must be a string, got number'],
    ['{"a":null}', 'got null'],
  ])('%s → %s', (text, message) => {
    expect(() => parseJaegerTags(text)).toThrow(QueryParameterError);
    expect(() => parseJaegerTags(text)).toThrow(message);
    expect(() => parseJaegerTags(text)).toThrow(/^tags: /);
  });

  it('reads repeated tag=key:value parameters', () => {
    expect([...parseJaegerTagParams(['a:b', 'url:http://x:1'])]).toEqual([['a', 'b'], ['url', 'http://x:1']]);
    expect(() => parseJaegerTagParams([':x'])).toThrow(/^tag: expected key:value/);
    expect(() => parseJaegerTagParams(['novalue'])).toThrow(QueryParameterError);
  });
});

describe('jaegerSearchQuery', () => {
  it('puts every criterion on one span', () => {
    const q = jaegerSearchQuery({ service: 'checkout', operation: 'charge', tags: new Map([['http.status_code', '502'], ['error', 'true'], ['span.kind', 'client']]), minDurationNanos: 1000 });
    expect(formatTraceQL(q)).toBe(
      '{ resource.service.name = "checkout" && name = "charge" && duration >= 1000ns && (.http.status_code = "502" || .http.status_code = 502) && (.error = "true" || .error = true || status = error) && (.span.kind = "client" || kind = client) }',
    );
    const resource = { attributes: [{ key: 'service.name', type: 'string' as const, value: 'checkout' }], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
    const span: Span = {
      resource, scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' }, traceId: 'a'.repeat(32), spanId: '1', traceState: '',
      parentSpanId: '', flags: 0, name: 'charge', kind: 3, startTimeMs: 0, startTimeNanos: 0, endTimeMs: 1, endTimeNanos: 0,
      attributes: [{ key: 'http.status_code', type: 'int', value: 502 }], droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [],
      droppedLinksCount: 0, statusCode: 2, statusMessage: '',
    };
    expect(matchTrace(q, [span])).toHaveLength(1);
    expect(matchTrace(q, [{ ...span, statusCode: 1 }])).toHaveLength(0);
    expect(formatTraceQL(jaegerSearchQuery({}))).toBe('{ }');
  });
});
