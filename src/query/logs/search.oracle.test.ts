// Log search against brute force: generated logs (the gen command's shop traffic) and the real-world fixture lines go
// through the real log_index processor into a real store; random queries of every operator (terms, phrases, prefix,
// fuzzy, regex, fields, severity, attributes, and / or / not) answer exactly the rows a scan with matchRow accepts,
// newest first, in any page size.
import { loadRealWorldLines, searchQuery, selfTokenizing, vocabularyOf } from '../../logs/search/testing.ts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Traffic } from '../../gen/traffic.ts';
import { logRow, type LogRow } from '../../logs/model.ts';
import type { SearchNode } from '../../logs/search/ast.ts';
import { formatSearch } from '../../logs/search/format.ts';
import { matchRow } from '../../logs/search/match.ts';
import { parseSearch } from '../../logs/search/parse.ts';
import { tokenize } from '../../logs/tokenize.ts';
import type { LogRecord } from '../../otlp/index.ts';
import { planOf } from './plan.ts';
import type { LogSearch } from './search.ts';
import { applyLogs, indexLogs, tempLogStore } from './testing.ts';

const BASE = Date.UTC(2026, 11, 1, 12);

/** The fixture's lines as log records of a few services and severities, a second apart, some with a tenant. */
function fixtureRecords(template: LogRecord): Array<{ tenant?: string; record: LogRecord }> {
  const lines = loadRealWorldLines();
  return lines.map((line, i) => ({
    tenant: i % 5 === 0 ? 'acme' : undefined,
    record: {
      ...template,
      resource: { ...template.resource, attributes: [{ key: 'service.name', type: 'string' as const, value: ['api', 'db', 'web'][i % 3] }] },
      timeMs: BASE + i * 1000 + (i % 7) * 13,
      timeNanos: (i * 7919) % 1_000_000,
      severityNumber: [9, 13, 17, 5, 0][i % 5],
      severityText: ['INFO', 'WARN', 'ERROR', 'DEBUG', ''][i % 5],
      body: { type: 'string' as const, value: line },
      attributes: [{ key: 'line', type: 'int' as const, value: i % 4 }],
    },
  }));
}

let search: LogSearch;
let rows: Array<{ tenant: string; row: LogRow }>;
let vocabulary: string[];
let close: () => Promise<void>;

beforeAll(() => {
  const traffic = new Traffic({ seed: 7, startMs: BASE });
  const generated = traffic.traces(1500).logs;
  const input = [...generated.map((record, i) => ({ tenant: i % 4 === 0 ? 'acme' : undefined, record })), ...fixtureRecords(generated[0])];
  const written = indexLogs(input);
  const store = tempLogStore();
  applyLogs(store.store, store.logs, written);
  search = store.search;
  close = store.close;
  rows = input.map(({ tenant, record }) => ({ tenant: tenant ?? '', row: logRow(record) }));
  const terms = new Map<string, number>();
  for (const { row } of rows) for (const t of tokenize(row.body)) terms.set(t, (terms.get(t) ?? 0) + 1);
  vocabulary = [...terms.keys()].sort();
});
afterAll(() => close());

const timeOrder = (a: LogRow, b: LogRow) => b.timeMs - a.timeMs || b.timeNanos - a.timeNanos;

/** Brute force: the tenant's rows in the range that match, newest first. */
function bruteForce(node: SearchNode, tenant: string, startMs = 0, endMs = Number.MAX_SAFE_INTEGER): LogRow[] {
  return rows.filter((r) => r.tenant === tenant && r.row.timeMs >= startMs && r.row.timeMs <= endMs && matchRow(node, r.row)).map((r) => r.row).sort(timeOrder);
}

const key = (r: LogRow) => `${r.timeMs}.${r.timeNanos} ${r.service} ${r.body}`;

function searchAll(node: SearchNode, tenant: string, limit: number, startMs = 0, endMs = Number.MAX_SAFE_INTEGER): LogRow[] {
  const out: LogRow[] = [];
  let after;
  for (let page = 0; page < 10_000; page++) {
    const result = search.search(planOf(node), { tenant, startMs, endMs, limit, after });
    out.push(...result.hits.map((h) => h.row));
    expect(result.hits.length).toBeLessThanOrEqual(limit);
    if (result.next === undefined) return out;
    after = result.next;
  }
  throw new Error('too many pages');
}

function expectSame(actual: LogRow[], expected: LogRow[]): void {
  // Newest first; rows of equal time in any order.
  for (let i = 1; i < actual.length; i++) expect(timeOrder(actual[i - 1], actual[i])).toBeLessThanOrEqual(0);
  expect(actual.map(key).sort()).toEqual(expected.map(key).sort());
}

describe('log search vs brute force', () => {
  it('answers a table of queries of every operator as a scan does', () => {
    const queries = [
      'failed', '"handled in"', 'checkout*', 'declned~1', 'declined~2', '/c.*t/', 'severity>=warn', 'severity:error', 'severity<info',
      'service:checkout', 'attr.line:2', 'resource.service.name:db', 'failed AND NOT checkout', 'GET OR POST', '(error OR failed) -timeout',
      'NOT failed', '*', '', 'connection refused', '"connection refused"',
    ];
    let found = 0;
    for (const q of queries) {
      const node = parseSearch(q);
      for (const tenant of ['', 'acme']) {
        const expected = bruteForce(node, tenant);
        expectSame(searchAll(node, tenant, 1000), expected);
        found += expected.length > 0 ? 1 : 0;
      }
    }
    // Most of the table finds something (an oracle of empty answers would prove little).
    expect(found).toBeGreaterThan(queries.length * 1.5);
  });

  it('answers random queries of every operator as a scan does, in any page size and time range', () => {
    const word = () => fc.constantFrom(...vocabulary);
    const leaf: fc.Arbitrary<SearchNode> = fc.oneof(
      word().map((term) => ({ kind: 'term' as const, term })),
      fc.array(word(), { minLength: 2, maxLength: 3 }).map((terms) => ({ kind: 'phrase' as const, terms })),
      // Half a word, when the tokenizer keeps that half whole (half a UUID is three words: not a prefix query).
      word().map((w) => {
        const half = w.slice(0, Math.max(1, Math.ceil(w.length / 2)));
        return { kind: 'prefix' as const, prefix: selfTokenizing(half) ? half : w };
      }),
      fc.tuple(word(), fc.constantFrom(0 as const, 1 as const, 2 as const)).map(([term, distance]) => ({ kind: 'fuzzy' as const, term, distance })),
      word().map((w) => ({ kind: 'regex' as const, pattern: `${w.slice(0, 2).replace(/[^a-z0-9]/g, '.')}.*` })),
      fc.tuple(fc.constantFrom(':' as const, '>' as const, '>=' as const, '<' as const, '<=' as const), fc.constantFrom('info' as const, 'warn' as const, 'error' as const, 9)).map(([op, level]) => ({ kind: 'severity' as const, op, level })),
      fc.constantFrom('checkout', 'api', 'db', 'frontend').map((value) => ({ kind: 'field' as const, field: 'service' as const, value })),
      fc.constantFrom('0', '1', '2').map((value) => ({ kind: 'attribute' as const, scope: 'attr' as const, key: 'line', value })),
    );
    const query = fc.letrec<{ node: SearchNode }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((children) => ({ kind: 'and' as const, children })),
        fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((children) => ({ kind: 'or' as const, children })),
        tie('node').map((child) => ({ kind: 'not' as const, child })),
      ),
    })).node;
    const span = rows.reduce((m, r) => Math.max(m, r.row.timeMs), 0) - BASE;
    fc.assert(
      fc.property(query, fc.constantFrom('', 'acme'), fc.integer({ min: 1, max: 300 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (node, tenant, limit, a, b) => {
        const startMs = BASE - 60_000 + Math.floor(Math.min(a, b) * (span + 120_000));
        const endMs = BASE - 60_000 + Math.floor(Math.max(a, b) * (span + 120_000));
        // What the query text says is what the AST says (the route parses text).
        const parsed = parseSearch(formatSearch(node));
        expectSame(searchAll(parsed, tenant, limit, startMs, endMs), bruteForce(parsed, tenant, startMs, endMs));
      }),
      { numRuns: 60 },
    );
  });

  it('answers the random queries of the search language generator (every node kind) as a scan does', () => {
    const vocabulary = vocabularyOf(rows.map((r) => r.row));
    let nonEmpty = 0;
    fc.assert(
      fc.property(searchQuery(vocabulary, 3), fc.constantFrom('', 'acme'), fc.integer({ min: 1, max: 500 }), (node, tenant, limit) => {
        const expected = bruteForce(node, tenant);
        if (expected.length > 0) nonEmpty++;
        expectSame(searchAll(node, tenant, limit), expected);
      }),
      { numRuns: 150 },
    );
    expect(nonEmpty).toBeGreaterThan(20);
  });
});
