import { describe, expect, it } from 'vitest';
import { LogQLError, MAX_QUERY_DEPTH, MAX_QUERY_LENGTH, parseLogQL, parseSelector } from './parse.ts';

// The AST without compiled regexes.
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x) => (k === 'regex' ? undefined : x)));

function errorOf(text: string): LogQLError {
  try {
    parseLogQL(text);
  } catch (e) {
    if (e instanceof LogQLError) return e;
    throw e;
  }
  throw new Error(`parsed: ${text}`);
}

describe('parseLogQL', () => {
  it('parses the documented query forms', () => {
    for (const text of [
      '{service_name="checkout"}',
      '{service_name="checkout", level!="debug"}',
      '{app=~"api|web", env!~"dev.*",}',
      '{job="varlogs"} |= "error" != "timeout"',
      '{job="varlogs"} |~ "err(or)?" !~ `\\d+ms`',
      '({job="varlogs"} |= "x")',
      'count_over_time({job="mysql"}[5m])',
      'rate({job="mysql"} |= "error" != "timeout" [10s])',
      'rate(({job="mysql"} |= "error")[1m])',
      'bytes_over_time({a="b"}[1h30m])',
      'bytes_rate({a="b"}[250ms])',
      'sum(rate({job="varlogs"}[10m])) by (level)',
      'sum by (level) (rate({job="varlogs"}[10m]))',
      'avg without (pod) (count_over_time({a="b"}[1d]))',
      'max(min by (a, b) (count_over_time({a="b"}[1w])))',
      'count(count_over_time({a="b"}[5m])) by ()',
      '(sum(count_over_time({a="b"}[5m])))',
      '{a="tab\\there \\"quoted\\" \\u00e9\\x41\\101"}',
      '{\n  a = "b"\n}\n  |= "x"',
    ]) {
      expect(() => parseLogQL(text), text).not.toThrow();
    }
  });

  it('builds the expected trees', () => {
    expect(plain(parseLogQL('{a="x", b!="y", c=~"r.*", d!~"s"} |= "p" != "q" |~ "r" !~ `s\\d`'))).toEqual({
      kind: 'log',
      matchers: [
        { name: 'a', op: '=', value: 'x' },
        { name: 'b', op: '!=', value: 'y' },
        { name: 'c', op: '=~', value: 'r.*' },
        { name: 'd', op: '!~', value: 's' },
      ],
      filters: [
        { op: '|=', value: 'p' },
        { op: '!=', value: 'q' },
        { op: '|~', value: 'r' },
        { op: '!~', value: 's\\d' },
      ],
    });
    const prefix = plain(parseLogQL('sum by (level, service_name) (rate({a="x"} |= "e" [1m]))'));
    const postfix = plain(parseLogQL('sum(rate({a="x"} |= "e" [1m])) by (level, service_name)'));
    expect(prefix).toEqual(postfix);
    expect(prefix).toEqual({
      kind: 'vector',
      op: 'sum',
      grouping: { without: false, labels: ['level', 'service_name'] },
      inner: { kind: 'range', fn: 'rate', rangeNanos: 60e9, query: { kind: 'log', matchers: [{ name: 'a', op: '=', value: 'x' }], filters: [{ op: '|=', value: 'e' }] } },
    });
    expect(plain(parseLogQL('count_over_time({a="x"}[1h30m])'))).toMatchObject({ rangeNanos: 5400e9 });
    expect(plain(parseLogQL('{a="\\u00e9\\x41\\101\\n"}'))).toMatchObject({ matchers: [{ value: 'éAA\n' }] });
  });

  it('anchors selector regexes fully and line-filter regexes nowhere', () => {
    const q = parseLogQL('{a=~"ab"} |~ "b.d"');
    if (q.kind !== 'log') throw new Error('log');
    expect(q.matchers[0].regex!.test('ab')).toBe(true);
    expect(q.matchers[0].regex!.test('xab')).toBe(false);
    const line = q.filters[0].regex!;
    expect(line.test('abcde')).toBe(true);
    expect(line.test('first\nxbcd\nlast')).toBe(true);
    expect(line.test('bd')).toBe(false);
    const anchored = parseLogQL('{a="x"} |~ "^GET"');
    if (anchored.kind !== 'log') throw new Error('log');
    expect(anchored.filters[0].regex!.test('GET /')).toBe(true);
    expect(anchored.filters[0].regex!.test('POST /GET')).toBe(false);
  });

  it('rejects what it does not know with Loki-like messages', () => {
    const table: [string, string][] = [
      ['', 'parse error at line 1, col 1: syntax error: unexpected end of query, expecting "{", "(" or a function'],
      ['{}', 'parse error at line 1, col 1: syntax error: a stream selector needs at least one label matcher'],
      ['{a=~".*"}', 'parse error at line 1, col 1: queries need at least one matcher that cannot match an empty value'],
      ['{a!="x"}', 'parse error at line 1, col 1: queries need at least one matcher'],
      ['{a="x"', 'parse error at line 1, col 7: syntax error: unexpected end of query, expecting "," or "}"'],
      ['{a="x" b="y"}', 'parse error at line 1, col 8: syntax error: unexpected IDENTIFIER "b", expecting "," or "}"'],
      ['{a=x}', 'parse error at line 1, col 4: syntax error: unexpected IDENTIFIER "x", expecting a string'],
      ['{a>"x"}', 'parse error at line 1, col 3: syntax error: unexpected character ">"'],
      ['{a="x"} |= 5', 'parse error at line 1, col 12: syntax error: unexpected character "5"'],
      ['{a="x"} | json', 'parse error at line 1, col 9: syntax error: unexpected character "|"'],
      ['{a="\\d"}', 'parse error at line 1, col 5: syntax error: unknown escape sequence \\d'],
      ['{a="x}', 'parse error at line 1, col 4: syntax error: unterminated string'],
      ['{a=~"(x"}', 'parse error at line 1, col 5: invalid regex "(x"'],
      ['{a="x"} |~ "a(?=b)"', 'parse error at line 1, col 12: invalid regex "a(?=b)"'],
      ['count_over_time({a="x"})', 'parse error at line 1, col 24: syntax error: unexpected ")", expecting a line filter or a range like [5m]'],
      ['count_over_time({a="x"}[5x])', 'parse error at line 1, col 25: syntax error: invalid range "5x"'],
      ['count_over_time({a="x"}[0s])', 'parse error at line 1, col 25: syntax error: the range must be positive'],
      ['count_over_time({a="x"}[1000d])', 'longer than 100d'],
      ['sum({a="x"})', 'parse error at line 1, col 5: syntax error: sum aggregates a metric query'],
      ['sum by (a) (count_over_time({a="x"}[1m])) by (b)', 'a second grouping'],
      ['sum by a (count_over_time({a="x"}[1m]))', 'parse error at line 1, col 8: syntax error: unexpected IDENTIFIER "a", expecting "("'],
      ['topk(3, count_over_time({a="x"}[1m]))', 'parse error at line 1, col 1: syntax error: unexpected IDENTIFIER "topk"'],
      ['count_over_time({a="x"}[1m]) > 3', 'parse error at line 1, col 30: syntax error: unexpected character ">"'],
      ['{a="x"} {b="y"}', 'parse error at line 1, col 9: syntax error: unexpected "{", expecting a line filter (|=, !=, |~, !~) or end of query'],
      ['{\n  a="x",\n  b y}', 'parse error at line 3, col 5: syntax error: unexpected IDENTIFIER "y", expecting =, !=, =~ or !~'],
    ];
    for (const [text, message] of table) {
      expect(errorOf(text).message, text).toContain(message);
    }
    expect(errorOf('{\n  a="x",\n  b y}')).toMatchObject({ line: 3, col: 5, position: 15 });
  });

  it('bounds hostile input', () => {
    expect(errorOf(`{a="${'x'.repeat(MAX_QUERY_LENGTH)}"}`).message).toContain('characters long');
    const deep = `${'sum('.repeat(MAX_QUERY_DEPTH + 2)}count_over_time({a="x"}[1m])${')'.repeat(MAX_QUERY_DEPTH + 2)}`;
    expect(errorOf(deep).message).toContain('nested more than');
    const parens = `${'('.repeat(10_000)}{a="x"}${')'.repeat(10_000)}`;
    expect(errorOf(parens.slice(0, MAX_QUERY_LENGTH)).message).toContain('nested more than');
    expect(errorOf('{a=~"(a{1000}){1000}"}').message).toContain('invalid regex');
  });

  it('parseSelector takes bare selectors only', () => {
    expect(parseSelector('{a="x"}').matchers).toHaveLength(1);
    expect(() => parseSelector('{a="x"} |= "y"')).toThrow(LogQLError);
    expect(() => parseSelector('count_over_time({a="x"}[1m])')).toThrow(LogQLError);
  });
});
