import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogRow } from '../model.ts';
import { tokenize } from '../tokenize.ts';
import type { FuzzyNode, SearchNode, SeverityNode } from './ast.ts';
import { hasPhrase, matchRow, severityRange, termMatcher } from './match.ts';
import { parseSearch } from './parse.ts';
import { levenshtein, loadRealWorldLines, realWorldRows, searchQuery, vocabularyOf } from './testing.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function row(fields: Partial<LogRow>): LogRow {
  return {
    timeMs: 0, timeNanos: 0, severityNumber: 0, severityText: '', body: '', traceId: '', spanId: '', service: '',
    resource: [], attributes: [], ...fields,
  };
}

const rows: Record<string, LogRow> = {
  refused: row({ body: 'dial tcp 10.42.3.7:5432: connect: Connection refused by peer', severityNumber: 17, service: 'checkout', traceId: TRACE, spanId: '00f067aa0ba902b7',
    attributes: [['http.method', 'GET'], ['user id', '42']], resource: [['service.name', 'checkout'], ['k8s.pod.name', 'cart-1 x']] }),
  timeout: row({ body: 'GET /api/v1/users/42 timed out after 30 s (timeout=30s)', severityNumber: 13, service: 'frontend' }),
  cjk: row({ body: '库存不足，订单 ord_77XQ 无法完成 🚀', severityNumber: 9, service: 'shop-api' }),
  plain: row({ body: 'user-42 signed in from fe80::1%eth0 at https://example.com/login?next=/home', severityNumber: 0 }),
  trace: row({ body: 'TRACE entering Foo.bar()', severityNumber: 1 }),
};

// query → the rows it matches.
const table: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['*', ['refused', 'timeout', 'cjk', 'plain', 'trace']],
  ['connection', ['refused']],
  ['CONNECTION', ['refused']],
  ['"connection refused"', ['refused']],
  ['"refused connection"', []],
  ['"connection peer"', []],
  ['"connect connection refused by peer"', ['refused']],
  ['10.42.3.7', ['refused']],
  ['10.42.3.7:5432', ['refused']],
  ['10.42.3', []],
  ['10.42.3*', ['refused']],
  ['存不', ['cjk']],
  ['"不足订单"', ['cjk']],
  ['库存订单', []],
  ['🚀', ['cjk']],
  ['user-42', ['plain']],
  ['"42 signed"', ['plain']],
  ['fe80::1', ['plain']],
  ['eth0', ['plain']],
  ['/login', ['plain']],
  ['/home', ['plain']],
  ['"/api/v1/users/42"', ['timeout']],
  ['/api/v1*', ['timeout']],
  ['/api/v1', []],
  ['time*', ['timeout']],
  ['timeuot~1', []],
  ['timeuot~2', ['timeout']],
  ['timeuot~', ['timeout']],
  ['refsued~1', []],
  ['refsued~2', ['refused']],
  ['/time/', []],
  ['/time.*/', ['timeout']],
  ['/t.*d/', ['timeout']],
  ['/.*ed/', ['refused', 'timeout', 'plain']],
  ['/[0-9]+/', ['refused', 'timeout', 'plain']],
  ['/(?i)GET/', ['timeout']],
  ['/.*\\/users.*/', ['timeout']],
  ['severity>=warn', ['refused', 'timeout']],
  ['severity:error', ['refused']],
  ['severity<=info', ['cjk', 'trace']],
  ['severity<info', ['trace']],
  ['severity>13', ['refused']],
  ['severity>=13', ['refused', 'timeout']],
  ['severity:13', ['timeout']],
  ['severity:unknown', ['plain']],
  ['severity:0', ['plain']],
  ['severity>=unknown', ['refused', 'timeout', 'cjk', 'trace']],
  ['severity>fatal', []],
  ['severity<trace', []],
  ['service:checkout', ['refused']],
  ['service:Checkout', []],
  ['service:""', ['plain', 'trace']],
  [`trace_id:${TRACE.toUpperCase()}`, ['refused']],
  ['span_id:00f067aa0ba902b7', ['refused']],
  ['attr.http.method:GET', ['refused']],
  ['attr.http.method:get', []],
  ['attr."user id":42', ['refused']],
  ['resource.k8s.pod.name:"cart-1 x"', ['refused']],
  ['resource.http.method:GET', []],
  ['connection OR timeout', ['refused', 'timeout']],
  ['NOT connection', ['timeout', 'cjk', 'plain', 'trace']],
  ['-severity>=warn -service:""', ['cjk']],
  ['(connection OR timeout) severity:warn', ['timeout']],
  ['NOT *', []],
];

describe('matchRow', () => {
  it.each(table)('%s', (q, expected) => {
    const node = parseSearch(q);
    const matched = Object.entries(rows).filter(([, r]) => matchRow(node, r)).map(([name]) => name);
    expect(matched).toEqual(expected);
  });

  it('phrases are terms at consecutive positions (against the joined terms)', () => {
    const real = realWorldRows();
    const vocab = vocabularyOf(real);
    const phraseOf = fc.oneof(fc.constantFrom(...vocab.phrases), fc.array(fc.constantFrom(...vocab.terms), { minLength: 2, maxLength: 3 }));
    fc.assert(
      fc.property(phraseOf, (terms) => {
        const node: SearchNode = { kind: 'phrase', terms };
        for (const r of real) expect(matchRow(node, r)).toBe(` ${tokenize(r.body).join(' ')} `.includes(` ${terms.join(' ')} `));
      }),
      { numRuns: 300 },
    );
  });
});

describe('fuzzy', () => {
  // Every term of the fixture, a few hundred query words: the matcher agrees with the full Levenshtein table.
  const dictionary = [...new Set(loadRealWorldLines().flatMap(tokenize))];

  it('finds every dictionary term within the distance and no other', () => {
    const words = fc.oneof(
      fc.constantFrom(...dictionary),
      fc.tuple(fc.constantFrom(...dictionary), fc.nat(20), fc.constantFrom('a', 'o', '1', 'é', '😀')).map(([t, at, c]) => {
        const cps = [...t];
        cps.splice(at % (cps.length + 1), at % 3, c);
        return cps.join('');
      }),
    );
    fc.assert(
      fc.property(words, fc.constantFrom<0 | 1 | 2>(0, 1, 2), (term, distance) => {
        const node: FuzzyNode = { kind: 'fuzzy', term, distance };
        const test = termMatcher(node);
        const found = dictionary.filter(test);
        expect(found).toEqual(dictionary.filter((t) => levenshtein(term, t) <= distance));
      }),
      { numRuns: 150 },
    );
  });

  it('a fuzzy query matches the rows having some body term within the distance', () => {
    const real = realWorldRows();
    for (const [term, distance] of [['conection', 1], ['tiemd', 2], ['postgress', 1], ['straße', 2], ['订', 0], ['echec', 1]] as const) {
      const node: FuzzyNode = { kind: 'fuzzy', term, distance };
      const expected = real.filter((r) => tokenize(r.body).some((t) => levenshtein(term, t) <= distance));
      expect(real.filter((r) => matchRow(node, r))).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
    }
  });
});

describe('severityRange', () => {
  it.each([
    [':', 'warn', 13, 16],
    [':', 7, 7, 7],
    [':', 'unknown', 0, 0],
    ['>=', 'warn', 13, 24],
    ['>', 'warn', 17, 24],
    ['>', 13, 14, 24],
    ['<=', 'info', 1, 12],
    ['<', 'info', 1, 8],
    ['<', 'trace', 1, 0],
    ['>=', 0, 1, 24],
  ] as const)('severity%s%s = [%d, %d]', (op, level, min, max) => {
    const node: SeverityNode = { kind: 'severity', op, level };
    expect(severityRange(node)).toEqual({ min, max });
  });
});

describe('termMatcher', () => {
  it('regexes are anchored to whole terms', () => {
    expect(termMatcher({ kind: 'regex', pattern: 'err' })('error')).toBe(false);
    expect(termMatcher({ kind: 'regex', pattern: 'err.*' })('error')).toBe(true);
    expect(termMatcher({ kind: 'prefix', prefix: 'err' })('error')).toBe(true);
    expect(termMatcher({ kind: 'term', term: 'err' })('error')).toBe(false);
  });

  it('hasPhrase', () => {
    expect(hasPhrase(['a', 'b', 'c'], ['b', 'c'])).toBe(true);
    expect(hasPhrase(['a', 'b', 'c'], ['a', 'c'])).toBe(false);
    expect(hasPhrase(['a'], ['a', 'a'])).toBe(false);
  });
});

describe('searchQuery (the oracle generator)', () => {
  it('makes queries that some rows match and some do not', () => {
    const real = realWorldRows();
    const queries = fc.sample(searchQuery(vocabularyOf(real)), { numRuns: 300, seed: 17 });
    const counts = queries.map((q) => real.filter((r) => matchRow(q, r)).length);
    const none = counts.filter((c) => c === 0).length;
    const all = counts.filter((c) => c === real.length).length;
    const some = counts.length - none - all;
    expect(some).toBeGreaterThan(60);
    expect(none).toBeGreaterThan(20);
  });

  it('covers every node kind', () => {
    const kinds = new Set<string>();
    const visit = (n: SearchNode): void => {
      kinds.add(n.kind);
      if (n.kind === 'and' || n.kind === 'or') n.children.forEach(visit);
      if (n.kind === 'not') visit(n.child);
    };
    fc.sample(searchQuery(vocabularyOf(realWorldRows())), { numRuns: 300, seed: 5 }).forEach(visit);
    expect([...kinds].sort()).toEqual(['all', 'and', 'attribute', 'field', 'fuzzy', 'not', 'or', 'phrase', 'prefix', 'regex', 'severity', 'term']);
  });
});
