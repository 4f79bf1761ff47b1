// Test support for log search: random queries over a vocabulary (for the index-vs-brute-force oracle), the
// real-world fixture as lines and rows, and a reference Levenshtein distance.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { LogRow } from '../model.ts';
import { tokenize } from '../tokenize.ts';
import { SEVERITY_NAMES, type SearchNode, type SeverityOperator } from './ast.ts';

export { formatSearch } from './format.ts';

/** The lines of test/fixtures/logs/real-world.log (blank lines left out). */
export function loadRealWorldLines(): string[] {
  const text = readFileSync(new URL('../../../test/fixtures/logs/real-world.log', import.meta.url), 'utf8');
  return text.split('\n').filter((line) => line.trim() !== '');
}

const BASE_MS = Date.UTC(2026, 11, 4, 9, 12, 0);
const OTHER_SERVICES = ['checkout', 'payments', 'ledger'];

function severityOf(line: string): number {
  if (/\b(fatal|panic)\b/i.test(line)) return 21;
  if (/\berr(or)?\b|exception|failed/i.test(line)) return 17;
  if (/\bwarn(ing)?\b/i.test(line)) return 13;
  if (/\bdebug\b/i.test(line)) return 5;
  if (/\b(info|log)\b/i.test(line)) return 9;
  return 0;
}

function serviceOf(line: string, i: number): string {
  if (/^(\[?[0-9a-f.:]+\]?|::1) - /.test(line)) return 'frontend';
  if (/ UTC \[\d+\]/.test(line)) return 'postgres';
  if (/^Dec {1,2}\d/.test(line)) return 'syslog';
  if (line.startsWith('{')) return 'shop-api';
  return OTHER_SERVICES[i % OTHER_SERVICES.length];
}

/** The fixture lines as rows: one second apart, service and severity guessed from the line's style, ids from the
 *  line when it has some (else every fourth row gets made-up ones), a few attributes. Deterministic. */
export function realWorldRows(): LogRow[] {
  return loadRealWorldLines().map((body, i) => {
    const service = serviceOf(body, i);
    const method = /"(GET|POST|PUT|DELETE) /.exec(body)?.[1];
    const traceId = /\b[0-9a-f]{32}\b/.exec(body)?.[0] ?? (i % 4 === 0 ? (i + 1).toString(16).padStart(32, '0') : '');
    const spanId = /\b[0-9a-f]{16}\b/.exec(body)?.[0] ?? (i % 4 === 0 ? (i + 1).toString(16).padStart(16, '0') : '');
    const attributes: Array<readonly [string, string]> = [['line', String(i + 1)]];
    if (method !== undefined) attributes.push(['http.method', method]);
    return {
      timeMs: BASE_MS + i * 1000,
      timeNanos: (i * 7919) % 1_000_000,
      severityNumber: severityOf(body),
      severityText: '',
      body,
      traceId,
      spanId,
      service,
      resource: [['service.name', service], ['host.name', `host-${i % 3}`]],
      attributes,
    };
  });
}

/** Levenshtein distance over code points with the full table (the reference for fuzzy matching). */
export function levenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length];
}

/** What random queries are made of: words and values that occur (and the generator adds some that do not). */
export interface SearchVocabulary {
  terms: readonly string[];
  /** Runs of 2–3 consecutive body terms. */
  phrases: ReadonlyArray<readonly string[]>;
  services: readonly string[];
  traceIds: readonly string[];
  spanIds: readonly string[];
  attributes: ReadonlyArray<readonly [string, string]>;
  resource: ReadonlyArray<readonly [string, string]>;
}

const distinct = <T>(items: Iterable<T>, key: (t: T) => string = String): T[] => [...new Map([...items].map((t) => [key(t), t])).values()];

/** The vocabulary of some rows (every body term, phrases from every body, field values). */
export function vocabularyOf(rows: readonly LogRow[]): SearchVocabulary {
  const terms: string[] = [];
  const phrases: string[][] = [];
  for (const row of rows) {
    const t = tokenize(row.body);
    terms.push(...t);
    for (let i = 0; i + 1 < t.length; i += 3) phrases.push(t.slice(i, i + 2 + (i % 2)));
  }
  return {
    terms: distinct(terms),
    phrases: distinct(phrases, (p) => p.join(' ')),
    services: distinct(rows.map((r) => r.service)),
    traceIds: distinct(rows.map((r) => r.traceId).filter((id) => id !== '')),
    spanIds: distinct(rows.map((r) => r.spanId).filter((id) => id !== '')),
    attributes: distinct(rows.flatMap((r) => r.attributes), (a) => a.join('\u0000')),
    resource: distinct(rows.flatMap((r) => r.resource), (a) => a.join('\u0000')),
  };
}

/** A word the tokenizer keeps whole (a cut UUID or path may not be one word any more). */
export const selfTokenizing = (word: string) => {
  const t = tokenize(word);
  return t.length === 1 && t[0] === word;
};

const escapeRegex = (text: string) => text.replace(/[\\.+*?()|[\]{}^$]/g, (c) => '\\' + c);

const pick = <T>(items: readonly T[], fallback: T): fc.Arbitrary<T> => (items.length === 0 ? fc.constant(fallback) : fc.constantFrom(...items));

/** Random queries over `vocab`: every leaf kind and operator, nested up to `maxDepth`; formatSearch prints them. */
export function searchQuery(vocab: SearchVocabulary, maxDepth = 4): fc.Arbitrary<SearchNode> {
  const term = fc.oneof({ arbitrary: pick(vocab.terms, 'error'), weight: 5 }, { arbitrary: fc.constantFrom('zzzabsent', 'nosuchterm'), weight: 1 });
  const cut = (t: string, n: number) => [...t].slice(0, Math.max(1, n)).join('');
  const edit = (t: string, at: number, c: string, how: number) => {
    const cps = [...t];
    const i = at % (cps.length + 1);
    if (how === 0) cps.splice(i, 0, c);
    else if (how === 1) cps.splice(i, 1);
    else cps.splice(i, 1, c);
    return cps.join('');
  };
  const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
  const leaf: fc.Arbitrary<SearchNode> = fc.oneof(
    { arbitrary: term.map((t): SearchNode => ({ kind: 'term', term: t })), weight: 6 },
    {
      arbitrary: fc.oneof(pick(vocab.phrases, ['error', 'timeout']), fc.tuple(term, term)).map((terms): SearchNode => ({ kind: 'phrase', terms: [...terms] })),
      weight: 3,
    },
    {
      arbitrary: fc.tuple(term, fc.nat(12)).map(([t, n]): SearchNode => {
        const p = cut(t, n);
        return { kind: 'prefix', prefix: selfTokenizing(p) ? p : t };
      }),
      weight: 2,
    },
    {
      arbitrary: fc.tuple(term, fc.constantFrom<0 | 1 | 2>(0, 1, 2), fc.nat(3), fc.nat(40), fc.constantFrom('a', 'e', 'x', '0', 'é'), fc.nat(2)).map(([t, distance, edits, at, c, how]): SearchNode => {
        let word = t;
        for (let k = 0; k < edits; k++) word = edit(word, at + k, c, how);
        return { kind: 'fuzzy', term: selfTokenizing(word) ? word : t, distance };
      }),
      weight: 2,
    },
    {
      arbitrary: fc.oneof(
        fc.tuple(term, fc.nat(6)).map(([t, n]) => `${escapeRegex(cut(t, n))}.*`),
        fc.tuple(term, fc.nat(6)).map(([t, n]) => `.*${escapeRegex([...t].slice(-Math.max(1, n)).join(''))}`),
        fc.tuple(term, term).map(([a, b]) => `${escapeRegex(a)}|${escapeRegex(b)}`),
        fc.constantFrom('[a-z]+', '[0-9]+', '.*\\d.*', '[0-9a-f]{32}', '.*err.*', '(?i)GET', '\\p{L}'),
      ).map((pattern): SearchNode => ({ kind: 'regex', pattern })),
      weight: 2,
    },
    {
      arbitrary: fc
        .tuple(fc.constantFrom<SeverityOperator>(':', '>', '>=', '<', '<='), fc.oneof(fc.constantFrom(...SEVERITY_NAMES), fc.integer({ min: 0, max: 24 })))
        .map(([op, level]): SearchNode => ({ kind: 'severity', op, level })),
      weight: 2,
    },
    {
      arbitrary: fc.oneof(
        fc.oneof(pick(vocab.services, 'checkout'), fc.constant('no such service')).map((value): SearchNode => ({ kind: 'field', field: 'service', value })),
        fc.oneof(pick(vocab.traceIds, '0'.repeat(32)), hex(32)).map((value): SearchNode => ({ kind: 'field', field: 'trace_id', value })),
        fc.oneof(pick(vocab.spanIds, '0'.repeat(16)), hex(16)).map((value): SearchNode => ({ kind: 'field', field: 'span_id', value })),
      ),
      weight: 2,
    },
    {
      arbitrary: fc.oneof(
        fc.oneof(pick(vocab.attributes, ['line', '1'] as const), fc.constant(['http.method', 'PATCH "x"'] as const)).map(([key, value]): SearchNode => ({ kind: 'attribute', scope: 'attr', key, value })),
        fc.oneof(pick(vocab.resource, ['service.name', 'checkout'] as const), fc.constant(['host name', ''] as const)).map(([key, value]): SearchNode => ({ kind: 'attribute', scope: 'resource', key, value })),
      ),
      weight: 2,
    },
    { arbitrary: fc.constant<SearchNode>({ kind: 'all' }), weight: 1 },
  );
  const { node } = fc.letrec<{ node: SearchNode }>((tie) => ({
    node: fc.oneof(
      { maxDepth, depthIdentifier: 'search' },
      { arbitrary: leaf, weight: 3 },
      { arbitrary: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((children): SearchNode => ({ kind: 'and', children })), weight: 1 },
      { arbitrary: fc.array(tie('node'), { minLength: 2, maxLength: 3 }).map((children): SearchNode => ({ kind: 'or', children })), weight: 1 },
      { arbitrary: tie('node').map((child): SearchNode => ({ kind: 'not', child })), weight: 1 },
    ),
  }));
  return node;
}
