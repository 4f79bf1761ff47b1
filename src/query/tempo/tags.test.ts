import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../duration.ts';
import { QueryParameterError } from '../errors.ts';
import { formatTraceQL } from '../traceql/format.ts';
import { parseTraceQL } from '../traceql/parse.ts';
import { parseTags, tagsQuery } from './tags.ts';

describe('parseTags', () => {
  it('reads logfmt pairs, quoted values and escapes', () => {
    expect(parseTags('service.name=frontend http.status_code=500 name="GET /x"')).toEqual([
      { key: 'service.name', value: 'frontend' },
      { key: 'http.status_code', value: '500' },
      { key: 'name', value: 'GET /x' },
    ]);
    expect(parseTags('  a=  b="x \\"y\\" \\\\"  c=  ')).toEqual([
      { key: 'a', value: '' },
      { key: 'b', value: 'x "y" \\' },
      { key: 'c', value: '' },
    ]);
    expect(parseTags('"odd key"=1 k=v=w')).toEqual([{ key: 'odd key', value: '1' }, { key: 'k', value: 'v=w' }]);
    expect(parseTags('a=1 a=2')).toEqual([{ key: 'a', value: '2' }]);
    expect(parseTags('')).toEqual([]);
  });

  it.each([
    ['=x', 'at position 0: a key is missing'],
    ['service.name', 'tag "service.name" has no "=value"'],
    ['a=1 b', 'tag "b" has no "=value"'],
    ['a="x', 'at position 2: the quoted string starting here is not closed'],
    ['a="x"y', 'a space expected after the value'],
    ['a=x"y"', 'a quote inside an unquoted value'],
    ['a="\\q"', 'unknown escape'],
  ])('%j → %s', (text, message) => {
    expect(() => parseTags(text)).toThrow(QueryParameterError);
    expect(() => parseTags(text)).toThrow(message);
    try {
      parseTags(text);
    } catch (e) {
      expect((e as QueryParameterError).parameter).toBe('tags');
    }
  });

  it('round-trips any keys and values written as quoted logfmt', () => {
    const quote = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.string({ minLength: 1 }), fc.string()), { selector: ([k]) => k, maxLength: 5 }), (pairs) => {
        const text = pairs.map(([k, v]) => `${quote(k)}=${quote(v)}`).join(' ');
        expect(parseTags(text)).toEqual(pairs.map(([key, value]) => ({ key, value })));
      }),
    );
  });
});

describe('tagsQuery', () => {
  it('maps well-known tags to intrinsics and typed readings', () => {
    const q = tagsQuery(parseTags('service.name=frontend http.status_code=500 name="GET /x" status.code=error root.name=r error=true'), {
      minDurationNanos: 1_000_000,
      maxDurationNanos: 2_000_000_000,
    });
    expect(formatTraceQL(q)).toBe(
      '{ .service.name = "frontend" && (.http.status_code = "500" || .http.status_code = 500) && name = "GET /x" && status = error && trace:rootName = "r" && status = error && trace:duration >= 1000000ns && trace:duration <= 2000000000ns }',
    );
    // The text is valid TraceQL that parses back.
    expect(() => parseTraceQL(formatTraceQL(q))).not.toThrow();
    expect(formatTraceQL(tagsQuery([]))).toBe('{ }');
    expect(formatTraceQL(tagsQuery(parseTags('x=true y=1.5')))).toBe('{ (.x = "true" || .x = true) && (.y = "1.5" || .y = 1.5) }');
    expect(() => tagsQuery(parseTags('status.code=bad'))).toThrow('status.code must be error, ok or unset');
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['100ms', 100_000_000],
    ['1.5s', 1_500_000_000],
    ['1h30m', 5_400_000_000_000],
    ['10us', 10_000],
    ['10µs', 10_000],
    ['7ns', 7],
    ['0', 0],
    ['.5s', 500_000_000],
  ])('%s = %i ns', (text, nanos) => {
    expect(parseGoDuration(text, 'minDuration')).toBe(nanos);
  });

  it.each(['', '5', '-1s', '1x', '1s ', 's', '1e3s', '9'.repeat(100) + 'h'])('rejects %j naming the parameter', (text) => {
    expect(() => parseGoDuration(text, 'maxDuration')).toThrow(/^maxDuration: /);
  });
});
