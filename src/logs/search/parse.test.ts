import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SearchNode } from './ast.ts';
import { formatSearch } from './format.ts';
import { MAX_SEARCH_CLAUSES, MAX_SEARCH_DEPTH, MAX_SEARCH_LENGTH, parseSearch, SearchSyntaxError } from './parse.ts';
import { realWorldRows, searchQuery, vocabularyOf } from './testing.ts';

const term = (t: string): SearchNode => ({ kind: 'term', term: t });
const phrase = (...terms: string[]): SearchNode => ({ kind: 'phrase', terms });
const and = (...children: SearchNode[]): SearchNode => ({ kind: 'and', children });
const or = (...children: SearchNode[]): SearchNode => ({ kind: 'or', children });
const not = (child: SearchNode): SearchNode => ({ kind: 'not', child });
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

const valid: ReadonlyArray<readonly [string, SearchNode]> = [
  ['', { kind: 'all' }],
  ['  ', { kind: 'all' }],
  ['*', { kind: 'all' }],
  ['Error', term('error')],
  ['error timeout', and(term('error'), term('timeout'))],
  ['error AND timeout', and(term('error'), term('timeout'))],
  ['a OR b', or(term('a'), term('b'))],
  ['a and b or c', and(term('a'), term('and'), term('b'), term('or'), term('c'))],
  // Precedence: NOT > AND > OR.
  ['a OR b c', or(term('a'), and(term('b'), term('c')))],
  ['a b OR c', or(and(term('a'), term('b')), term('c'))],
  ['NOT a b', and(not(term('a')), term('b'))],
  ['NOT a OR b', or(not(term('a')), term('b'))],
  ['NOT (a OR b)', not(or(term('a'), term('b')))],
  ['NOT NOT a', not(not(term('a')))],
  ['a AND (b AND c)', and(term('a'), and(term('b'), term('c')))],
  ['((a))', term('a')],
  ['(a OR b) -c', and(or(term('a'), term('b')), not(term('c')))],
  ['-"connection refused"', not(phrase('connection', 'refused'))],
  ['-(a b)', not(and(term('a'), term('b')))],
  ['--a', not(not(term('a')))],
  ['a-b', phrase('a', 'b')],
  // Words and phrases go through the tokenizer.
  ['user-42', phrase('user', '42')],
  ['"Connection  Refused"', phrase('connection', 'refused')],
  ['"single"', term('single')],
  ['"say \\"hi\\""', phrase('say', 'hi')],
  ['10.0.0.1:8080', phrase('10.0.0.1', '8080')],
  ['550E8400-E29B-41D4-A716-446655440000', term('550e8400-e29b-41d4-a716-446655440000')],
  ['fe80::1', term('fe80::1')],
  ['用户', phrase('用', '户')],
  ['ÉCOLE', term('école')],
  ['/api/v1/users', term('/api/v1/users')],
  ['https://example.com/a?b=1', phrase('https', 'example.com', '/a', 'b', '1')],
  // Prefix, fuzzy, regex.
  ['time*', { kind: 'prefix', prefix: 'time' }],
  ['/api/v1*', { kind: 'prefix', prefix: '/api/v1' }],
  ['"/api/v1"*', { kind: 'prefix', prefix: '/api/v1' }],
  ['Exampl.*', { kind: 'prefix', prefix: 'exampl' }],
  ['timeuot~', { kind: 'fuzzy', term: 'timeuot', distance: 2 }],
  ['timeuot~1', { kind: 'fuzzy', term: 'timeuot', distance: 1 }],
  ['timeout~0', { kind: 'fuzzy', term: 'timeout', distance: 0 }],
  ['"fe80::2"~1', { kind: 'fuzzy', term: 'fe80::2', distance: 1 }],
  ['/time.*out/', { kind: 'regex', pattern: 'time.*out' }],
  ['/a\\/b/', { kind: 'regex', pattern: 'a/b' }],
  ['/\\d+/', { kind: 'regex', pattern: '\\d+' }],
  ['(/x|y/)', { kind: 'regex', pattern: 'x|y' }],
  ['/a b/', { kind: 'regex', pattern: 'a b' }],
  // Fields.
  ['severity>=warn', { kind: 'severity', op: '>=', level: 'warn' }],
  ['severity:ERROR', { kind: 'severity', op: ':', level: 'error' }],
  ['SEVERITY<=info', { kind: 'severity', op: '<=', level: 'info' }],
  ['severity>13', { kind: 'severity', op: '>', level: 13 }],
  ['severity<"debug"', { kind: 'severity', op: '<', level: 'debug' }],
  ['severity:unknown', { kind: 'severity', op: ':', level: 'unknown' }],
  ['service:checkout', { kind: 'field', field: 'service', value: 'checkout' }],
  ['service:"Check Out"', { kind: 'field', field: 'service', value: 'Check Out' }],
  ['service:""', { kind: 'field', field: 'service', value: '' }],
  [`trace_id:${TRACE.toUpperCase()}`, { kind: 'field', field: 'trace_id', value: TRACE }],
  ['span_id:00f067aa0ba902b7', { kind: 'field', field: 'span_id', value: '00f067aa0ba902b7' }],
  ['attr.http.method:GET', { kind: 'attribute', scope: 'attr', key: 'http.method', value: 'GET' }],
  ['resource.k8s.pod.name:"cart-1 x"', { kind: 'attribute', scope: 'resource', key: 'k8s.pod.name', value: 'cart-1 x' }],
  ['attr."user id":42', { kind: 'attribute', scope: 'attr', key: 'user id', value: '42' }],
  ['(service:a)', { kind: 'field', field: 'service', value: 'a' }],
  ['service:checkout severity>=error "payment failed" OR -trace_id:' + TRACE,
    or(and({ kind: 'field', field: 'service', value: 'checkout' }, { kind: 'severity', op: '>=', level: 'error' }, phrase('payment', 'failed')),
      not({ kind: 'field', field: 'trace_id', value: TRACE }))],
  // Not field names: ordinary words.
  ['services:x', phrase('services', 'x')],
  ['error:timeout', phrase('error', 'timeout')],
];

const invalid: ReadonlyArray<readonly [string, string, number]> = [
  ['a ) b', "q: unexpected ')' at 2", 2],
  ['()', "q: unexpected ')' at 1", 1],
  ['(a', "q: '(' at 0 is never closed", 0],
  ['(a OR (b)', "q: '(' at 0 is never closed", 0],
  ['a AND', 'q: AND at 2 has nothing after it', 2],
  ['a OR ', 'q: OR at 2 has nothing after it', 2],
  ['NOT', 'q: NOT at 0 has nothing after it', 0],
  ['AND a', 'q: unexpected AND at 0', 0],
  ['a OR OR b', 'q: unexpected OR at 5', 5],
  ['a (OR b)', 'q: unexpected OR at 3', 3],
  ['-', "q: '-' at 0 needs what to exclude right after it", 0],
  ['a - b', "q: '-' at 2 needs what to exclude right after it", 2],
  ['"abc', `q: '"' at 0 is never closed`, 0],
  ['!!', "q: '!!' at 0 has no letters or digits to search for", 0],
  ['""', 'q: phrase at 0 has no letters or digits to search for', 0],
  ['foo~3', 'q: fuzzy distance 3 at 3 is more than 2', 3],
  ['f*o', "q: '*' at 1: only a trailing '*' (prefix) is supported", 1],
  ['foo**', "q: '*' at 3: only a trailing '*' (prefix) is supported", 3],
  ['user-4*', "q: a prefix must be one word: 'user-4' at 0 is 2 (user 4)", 0],
  ['"a b"~1', "q: a fuzzy word must be one word: 'a b' at 0 is 2 (a b)", 0],
  ['~', "q: '' at 0 has no letters or digits to search for", 0],
  ['/a(/', 'q: regex at 0: regex "a(" at offset 1: missing closing ")"', 0],
  ['/(a)\\1/', 'q: regex at 0: regex "(a)\\1" at offset 3: backreferences are not supported (RE2 syntax)', 0],
  ['severity:loud', "q: severity at 0: 'loud' is not a level (trace, debug, info, warn, error, fatal, unknown or a number 0–24)", 0],
  ['severity>25', "q: severity at 0: '25' is not a level (trace, debug, info, warn, error, fatal, unknown or a number 0–24)", 0],
  ['severity=error', "q: severity at 0 takes ':', '>=', '<=', '>' or '<', not '='", 0],
  ['x service>=a', "q: service at 2 takes ':' (only severity compares), not '>='", 2],
  ['attr.a>1', "q: attr.a at 0 takes ':' (only severity compares), not '>'", 0],
  ['service:', 'q: service at 0 needs a value', 0],
  ['service: x', 'q: service at 0 needs a value', 0],
  ['severity:', 'q: severity at 0 needs a value', 0],
  ['trace_id:12ab', "q: trace_id at 0 must be 32 hex digits, not '12ab'", 0],
  ['span_id:' + 'g'.repeat(16), `q: span_id at 0 must be 16 hex digits, not '${'g'.repeat(16)}'`, 0],
  ['service:"x', `q: '"' at 8 is never closed`, 8],
];

describe('parseSearch', () => {
  it.each(valid)('%s', (q, expected) => {
    expect(parseSearch(q)).toEqual(expected);
  });

  it.each(invalid)('%s → %s', (q, message, position) => {
    let error: unknown;
    try {
      parseSearch(q);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SearchSyntaxError);
    expect((error as SearchSyntaxError).message).toBe(message);
    expect((error as SearchSyntaxError).position).toBe(position);
  });

  it('bounds length, nesting and clauses', () => {
    expect(() => parseSearch('a'.repeat(MAX_SEARCH_LENGTH + 1))).toThrow(`q: ${MAX_SEARCH_LENGTH + 1} characters long, more than ${MAX_SEARCH_LENGTH}`);
    expect(() => parseSearch('('.repeat(MAX_SEARCH_DEPTH + 1) + 'a' + ')'.repeat(MAX_SEARCH_DEPTH + 1))).toThrow(`q: nested more than ${MAX_SEARCH_DEPTH} deep at ${MAX_SEARCH_DEPTH}`);
    expect(() => parseSearch('-'.repeat(MAX_SEARCH_DEPTH + 1) + 'a')).toThrow(`nested more than ${MAX_SEARCH_DEPTH} deep`);
    expect(() => parseSearch('NOT '.repeat(1000) + 'a')).toThrow(`nested more than ${MAX_SEARCH_DEPTH} deep`);
    expect(parseSearch('('.repeat(MAX_SEARCH_DEPTH) + 'a' + ')'.repeat(MAX_SEARCH_DEPTH))).toEqual(term('a'));
    expect(() => parseSearch('a '.repeat(MAX_SEARCH_CLAUSES + 1))).toThrow(`q: more than ${MAX_SEARCH_CLAUSES} clauses (at ${2 * MAX_SEARCH_CLAUSES})`);
    expect(() => parseSearch('a '.repeat(MAX_SEARCH_CLAUSES))).not.toThrow();
  });

  it('never throws anything but SearchSyntaxError on any text', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.constantFrom('(', ')', '"', '/', '\\', '-', '*', '~', '~3', 'AND', 'OR', 'NOT', ' ', 'severity>=', 'service:', 'attr.', 'trace_id:', 'a', 'é', '用'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }).map((p) => p.join('')), (q) => {
        try {
          parseSearch(q);
        } catch (e) {
          expect(e).toBeInstanceOf(SearchSyntaxError);
          expect((e as Error).message.startsWith('q: ')).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('formatSearch', () => {
  it.each(valid)('prints %s so it parses back the same', (q) => {
    const node = parseSearch(q);
    expect(parseSearch(formatSearch(node))).toEqual(node);
  });

  it('parseSearch(formatSearch(n)) equals n for random queries', () => {
    const vocab = vocabularyOf(realWorldRows());
    fc.assert(
      fc.property(searchQuery(vocab), (node) => {
        expect(parseSearch(formatSearch(node))).toEqual(node);
      }),
      { numRuns: 2000 },
    );
  });
});
