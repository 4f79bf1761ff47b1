import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Query, SpanCondition } from './ast.ts';
import { formatTraceQL } from './format.ts';
import { MAX_QUERY_DEPTH, MAX_QUERY_LENGTH, parseTraceQL, TraceQLError } from './parse.ts';
import { query } from '../testing/arbitraries.ts';

// The AST without compiled regexes (they are objects with closures).
function plain(q: Query | SpanCondition): unknown {
  return JSON.parse(JSON.stringify(q, (k, v) => (k === 'regex' ? undefined : typeof v === 'bigint' ? `${v}n` : v)));
}

function errorOf(text: string): TraceQLError {
  try {
    parseTraceQL(text);
  } catch (e) {
    if (e instanceof TraceQLError) return e;
    throw e;
  }
  throw new Error(`parsed: ${text}`);
}

describe('parseTraceQL', () => {
  it('parses the documented examples', () => {
    for (const text of [
      '{ }',
      '{}',
      '{ span.http.status_code >= 200 && span.http.status_code < 300 }',
      '{resource.service.name = "frontend" && name = "POST /api/orders"}',
      '{ resource.service.name="frontend" && name = "POST /api/orders" && status = error }',
      '{span.service.name="frontend" && name = "GET /api/products/{id}"} && {span.db.system="postgresql"}',
      '{ resource.deployment.environment = "production" } && { resource.deployment.environment = "staging" }',
      '{ span.http.method = "GET" && status = ok } && { span.http.method = "DELETE" && status != ok }',
      '{ resource.deployment.environment =~ "prod-.*" && span.http.status_code = 200 }',
      '{ trace:duration > 5s }',
      '{ span:duration < 5ms }',
      '{ resource.k8s.cluster.name="service-name" && trace:rootName !~ ".*perf.*"}',
      '{ span."attribute name with space" = "value" }',
      '{ span.attribute."attribute name with space" = "value" }',
      '{ span.retry_count > -1 }',
      '{ span.value > 1.5 }',
      '{ span.optional_field = nil }',
      '{ span.cache.hit = true }',
      '{ span.cache.hit || span.http.status_code = 500 }',
      '{ .db.system =~ "postgresql|mysql" }',
      '{ resource.cloud.region = "us-east-1" } || { resource.cloud.region = "us-west-1" }',
      '({ kind = server } || { kind = client }) && { rootServiceName = "api" && traceDuration > 1h30m }',
      '{ duration > 1.5s && duration < 2m && duration >= 10us && duration <= 10µs && duration != 3ns }',
    ]) {
      expect(() => parseTraceQL(text), text).not.toThrow();
    }
  });

  it('builds the expected tree', () => {
    expect(plain(parseTraceQL('{ .a = "x" && (status = error || kind = server) } || { duration > 1ms }'))).toEqual({
      type: 'or',
      left: {
        type: 'spanset',
        condition: {
          type: 'and',
          left: { type: 'compare', field: { kind: 'attribute', scope: 'unscoped', key: 'a' }, op: '=', value: { type: 'string', value: 'x' } },
          right: {
            type: 'or',
            left: { type: 'compare', field: { kind: 'intrinsic', name: 'status' }, op: '=', value: { type: 'status', value: 'error' } },
            right: { type: 'compare', field: { kind: 'intrinsic', name: 'kind' }, op: '=', value: { type: 'kind', value: 'server' } },
          },
        },
      },
      right: { type: 'spanset', condition: { type: 'compare', field: { kind: 'intrinsic', name: 'duration' }, op: '>', value: { type: 'duration', nanos: 1_000_000 } } },
    });
    expect(plain(parseTraceQL('{ span.n = 9223372036854775807 }'))).toMatchObject({ condition: { value: { type: 'int', value: '9223372036854775807n' } } });
    expect(plain(parseTraceQL('{ trace:duration > 1h30m }'))).toMatchObject({ condition: { field: { name: 'traceDuration' }, value: { nanos: 5_400_000_000_000 } } });
    expect(plain(parseTraceQL('{ span."a \\"b\\"".c = "\\n" }'))).toMatchObject({ condition: { field: { key: 'a "b".c' }, value: { value: '\n' } } });
  });

  it.each([
    ['', 0, 'a spanset filter'],
    ['{', 1, 'a condition'],
    ['{ name = "x"', 12, 'a closing "}"'],
    ['{ name "x" }', 7, 'a comparison operator'],
    ['{ name = }', 9, 'a value'],
    ['{ status = "error" }', 11, 'status compared'],
    ['{ status > error }', 11, 'status compared'],
    ['{ kind = sever }', 9, 'a field'],
    ['{ duration > 5 }', 13, 'a duration'],
    ['{ duration > 5xs }', 13, 'a number, or a duration'],
    ['{ span.x =~ 5 }', 12, 'a "string" holding a regular expression'],
    ['{ span.x =~ "(a" }', 12, 'a valid regular expression'],
    ['{ span.x > true }', 11, '= or != with true or false'],
    ['{ name = "x } ', 9, 'a closing \'"\''],
    ['{ name = "\\q" }', 10, 'an escape'],
    ['{ span:nope = 1 }', 2, 'a known intrinsic'],
    ['{ foo = 1 }', 2, 'a field'],
    ['{ span.x = 1 } | count() > 2', 15, '"&&", "||" or the end of the query'],
    ['{ span.x = 1 } >> { span.y = 2 }', 15, '"&&", "||" or the end of the query'],
    ['{ span. = 1 }', 2, 'an attribute name'],
    ['{ span.x = 99999999999999999999 }', 11, 'an integer within the 64-bit range'],
    ['{ .a = "x" } && ', 16, 'a spanset filter'],
    ['{ .a = "x" ) ', 11, 'a closing "}"'],
    ['{ .a = @ }', 7, 'a value'],
    ['{ .a = "x" } ~ { .b = "y" }', 13, '"&&", "||" or the end'],
  ])('%j fails at %i expecting %s', (text, position, expected) => {
    const e = errorOf(text);
    expect(e.position).toBe(position);
    expect(e.expected).toContain(expected);
    expect(e.message).toContain(`position ${position}`);
  });

  it('bounds hostile input: deep nesting, huge strings, long queries', () => {
    const t = performance.now();
    const deep = '('.repeat(10_000) + '{}' + ')'.repeat(10_000);
    expect(errorOf(deep).expected).toContain(`nesting at most ${MAX_QUERY_DEPTH}`);
    const deepCondition = '{ ' + '('.repeat(10_000) + 'name = "x"' + ')'.repeat(10_000) + ' }';
    expect(errorOf(deepCondition).expected).toContain('nesting');
    expect(errorOf('{ name = "' + 'x'.repeat(MAX_QUERY_LENGTH) + '" }').message).toContain('characters long');
    expect(() => parseTraceQL('{ name = "' + 'x'.repeat(30_000) + '" }')).not.toThrow();
    expect(errorOf('{ name = "' + 'x'.repeat(30_000)).expected).toContain('closing');
    expect(errorOf('{ name =~ "' + 'a{1000}'.repeat(100) + '" }').expected).toContain('regular expression');
    const wide = '{ ' + Array.from({ length: 1500 }, (_, k) => `span.k${k} = ${k}`).join(' && ') + ' }';
    expect(() => parseTraceQL(wide)).not.toThrow();
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it('fuzz: random text throws TraceQLError or parses, nothing else', () => {
    const alphabet = fc.constantFrom('{', '}', '(', ')', '&&', '||', '=', '!=', '=~', '>', ' ', '"', '\\', '.', 'span.', 'name', 'status', 'error', '1', '5ms', 'x', '-', ':');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 30 }).map((a) => a.join('')), (text) => {
        try {
          parseTraceQL(text);
        } catch (e) {
          expect(e).toBeInstanceOf(TraceQLError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips random queries through formatTraceQL', () => {
    fc.assert(
      fc.property(query, (q) => {
        expect(plain(parseTraceQL(formatTraceQL(q)))).toEqual(plain(q));
      }),
      { numRuns: 500 },
    );
  });
});
