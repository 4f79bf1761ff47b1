// Oracle tests: the evaluator against a brute-force interpreter over a flat table (one row per span, one column per
// field: `span.k`, `resource.k`, intrinsics), and candidates() against every trace the evaluator matches.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeText, nanosToBigInt, type AnyValue, type Span } from '../../otlp/index.ts';
import type { Literal, Query, SpanCondition } from './ast.ts';
import { KIND_VALUES, STATUS_VALUES } from './ast.ts';
import { candidates, satisfies } from './candidates.ts';
import { matchTrace, traceFacts } from './evaluate.ts';
import { formatTraceQL } from './format.ts';
import { parseTraceQL } from './parse.ts';
import { query, trace } from '../testing/arbitraries.ts';

type Cell = { kind: 'str'; v: string } | { kind: 'num'; v: bigint | number } | { kind: 'bool'; v: boolean } | { kind: 'list'; v: Cell[] } | { kind: 'none' };
type Row = Map<string, Cell>;

function cell(v: AnyValue): Cell {
  switch (v.type) {
    case 'string':
      return { kind: 'str', v: v.value };
    case 'int':
      return { kind: 'num', v: BigInt(v.value) };
    case 'double':
      return { kind: 'num', v: v.value };
    case 'bool':
      return { kind: 'bool', v: v.value };
    case 'array':
      return { kind: 'list', v: v.value.map(cell) };
    default:
      return { kind: 'none' };
  }
}

// One row per span: later attributes overwrite earlier ones (last wins), trace facts repeated on every row.
function table(spans: Span[]): Row[] {
  const starts = spans.map((s) => nanosToBigInt(s.startTimeMs, s.startTimeNanos));
  const ends = spans.map((s) => nanosToBigInt(s.endTimeMs, s.endTimeNanos));
  const traceDuration = ends.reduce((a, b) => (a > b ? a : b)) - starts.reduce((a, b) => (a < b ? a : b));
  const root = spans.find((s) => s.parentSpanId === '');
  return spans.map((s, k) => {
    const row: Row = new Map();
    for (const a of s.resource.attributes) row.set(`resource.${a.key}`, cell(a));
    for (const a of s.attributes) row.set(`span.${a.key}`, cell(a));
    row.set('name', { kind: 'str', v: s.name });
    row.set('statusMessage', { kind: 'str', v: s.statusMessage });
    row.set('status', { kind: 'str', v: ['unset', 'ok', 'error'][s.statusCode] });
    row.set('kind', { kind: 'str', v: ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'][s.kind] });
    row.set('duration', { kind: 'num', v: ends[k] - starts[k] });
    row.set('traceDuration', { kind: 'num', v: traceDuration });
    if (root !== undefined) {
      row.set('rootName', { kind: 'str', v: root.name });
      const service = [...root.resource.attributes].reverse().find((a) => a.key === 'service.name');
      if (service?.type === 'string') row.set('rootService', { kind: 'str', v: service.value });
    }
    return row;
  });
}

function literalCell(l: Literal): Cell {
  switch (l.type) {
    case 'string':
    case 'status':
    case 'kind':
      return { kind: 'str', v: l.value };
    case 'int':
      return { kind: 'num', v: BigInt(l.value) };
    case 'float':
      return { kind: 'num', v: l.value };
    case 'duration':
      return { kind: 'num', v: BigInt(l.nanos) };
    case 'bool':
      return { kind: 'bool', v: l.value };
    case 'nil':
      return { kind: 'none' };
  }
}

// -1, 0, 1, or undefined when not comparable.
function cmp(a: Cell, b: Cell): number | undefined {
  if (a.kind === 'str' && b.kind === 'str') return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
  if (a.kind === 'bool' && b.kind === 'bool') return a.v === b.v ? 0 : 2; // 2: unequal, unordered
  if (a.kind === 'num' && b.kind === 'num') {
    const x = a.v;
    const y = b.v;
    if (typeof x === 'number' && Number.isNaN(x)) return Number.NaN;
    if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
    // Exact comparison through scaled bigints (all test floats have at most two decimals).
    const big = (n: number | bigint) => (typeof n === 'bigint' ? n * 100n : BigInt(Math.round(n * 100)));
    const d = big(x) - big(y);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }
  return undefined;
}

function holds(op: string, c: number): boolean {
  if (Number.isNaN(c)) return op === '!=';
  return { '=': c === 0, '!=': c !== 0, '>': c === 1, '>=': c === 1 || c === 0, '<': c === -1, '<=': c === -1 || c === 0 }[op] ?? false;
}

function scalar(op: string, v: Cell, lit: Literal, pattern: string | undefined): boolean | undefined {
  if (pattern !== undefined) {
    if (v.kind !== 'str') return undefined;
    // JS has no leading (?i): it becomes the i flag.
    const insensitive = pattern.startsWith('(?i)');
    const re = new RegExp(`^(?:${insensitive ? pattern.slice(4) : pattern})$`, insensitive ? 'iu' : 'u');
    return re.test(v.v) === (op === '=~');
  }
  const c = cmp(v, literalCell(lit));
  return c === undefined ? undefined : holds(op, c);
}

function oracleCondition(c: SpanCondition, row: Row): boolean {
  if (c.type === 'true') return true;
  if (c.type === 'and') return oracleCondition(c.left, row) && oracleCondition(c.right, row);
  if (c.type === 'or') return oracleCondition(c.left, row) || oracleCondition(c.right, row);
  if (c.type !== 'compare') throw new Error('unreachable');
  const f = c.field;
  const v = f.kind === 'intrinsic' ? row.get(f.name) : f.scope === 'unscoped' ? (row.get(`span.${f.key}`) ?? row.get(`resource.${f.key}`)) : row.get(`${f.scope}.${f.key}`);
  if (c.value.type === 'nil') return (v === undefined || v.kind === 'none') === (c.op === '=');
  if (v === undefined) return false;
  const pattern = c.op === '=~' || c.op === '!~' ? (c.value as { value: string }).value : undefined;
  if (v.kind === 'list') {
    const negated = c.op === '!=' || c.op === '!~';
    const results = v.v.map((e) => scalar(negated ? (c.op === '!=' ? '=' : '=~') : c.op, e, c.value, pattern)).filter((r) => r !== undefined);
    return negated ? results.length > 0 && !results.includes(true) : results.includes(true);
  }
  return scalar(c.op, v, c.value, pattern) ?? false;
}

// Indexes of selected spans, or undefined for no match.
function oracle(q: Query, rows: Row[]): number[] | undefined {
  if (q.type === 'spanset') {
    const hits = rows.flatMap((r, k) => (oracleCondition(q.condition, r) ? [k] : []));
    return hits.length > 0 ? hits : undefined;
  }
  const l = oracle(q.left, rows);
  const r = oracle(q.right, rows);
  if (q.type === 'and' && (l === undefined || r === undefined)) return undefined;
  if (l === undefined && r === undefined) return undefined;
  return [...new Set([...(l ?? []), ...(r ?? [])])].sort((a, b) => a - b);
}

// The postings a trace has, as the index builder posts them (see candidates.ts).
function postings(spans: Span[]): Set<string> {
  const out = new Set<string>();
  const post = (field: string, v: AnyValue) => {
    if (v.type === 'array') for (const e of v.value) post(field, e);
    else out.add(`${field}\u0000${attributeText(v)}`);
  };
  for (const s of spans) {
    for (const a of s.attributes) post(`span.${a.key}`, a);
    for (const a of s.resource.attributes) post(`resource.${a.key}`, a);
    out.add(`name\u0000${s.name}`);
    out.add(`status\u0000${STATUS_VALUES[s.statusCode]}`);
    out.add(`kind\u0000${KIND_VALUES[s.kind]}`);
  }
  return out;
}

describe('matchTrace', () => {
  it('equals a brute-force scan of a flat table, and candidates never miss a match', () => {
    let matches = 0;
    let runs = 0;
    fc.assert(
      fc.property(query, fc.array(trace, { minLength: 1, maxLength: 4 }), (q, traces) => {
        const cand = candidates(q);
        for (const spans of traces) {
          runs++;
          const got = matchTrace(q, spans);
          const expected = oracle(q, table(spans));
          if (expected === undefined) {
            expect(got, formatTraceQL(q)).toEqual([]);
            continue;
          }
          matches++;
          expect(got.length).toBe(1);
          expect(got[0].spans.map((s) => spans.indexOf(s)), formatTraceQL(q)).toEqual(expected);
          expect(got[0].matched).toBe(expected.length);
          const has = postings(spans);
          expect(satisfies(cand.formula, (field, value) => has.has(`${field}\u0000${value}`)), `${formatTraceQL(q)} → ${JSON.stringify(cand.formula)}`).toBe(true);
          const d = traceFacts(spans).durationNanos;
          if (cand.duration.minNanos !== undefined) expect(d).toBeGreaterThanOrEqual(cand.duration.minNanos);
          if (cand.duration.maxNanos !== undefined) expect(d).toBeLessThanOrEqual(cand.duration.maxNanos);
        }
      }),
      { numRuns: 1500 },
    );
    // The generators must produce both outcomes often enough for the oracle to mean something.
    expect(matches).toBeGreaterThan(runs / 10);
    expect(matches).toBeLessThan(runs * 0.9);
  });

  it('answers the documented semantics on a hand-made trace', () => {
    const resource = (service: string, env: string) => ({
      attributes: [{ key: 'service.name', type: 'string' as const, value: service }, { key: 'env', type: 'string' as const, value: env }],
      droppedAttributesCount: 0, entityRefs: [], schemaUrl: '',
    });
    const scope = { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
    const front = resource('frontend', 'production');
    const db = resource('db', 'staging');
    const span = (id: string, parent: string, name: string, r: typeof front, attrs: Span['attributes'], extra: Partial<Span> = {}): Span => ({
      resource: r, scope, traceId: 'a'.repeat(32), spanId: id, traceState: '', parentSpanId: parent, flags: 0, name, kind: 2,
      startTimeMs: 1000, startTimeNanos: 0, endTimeMs: 1100, endTimeNanos: 0, attributes: attrs, droppedAttributesCount: 0,
      events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, statusCode: 0, statusMessage: '', ...extra,
    });
    const spans = [
      span('1', '', 'GET /api', front, [{ key: 'http.status_code', type: 'int', value: 200 }, { key: 'env', type: 'string', value: 'override' }]),
      span('2', '1', 'query', db, [{ key: 'db.system', type: 'string', value: 'postgresql' }], { kind: 3, statusCode: 2, statusMessage: 'timeout', endTimeMs: 1300 }),
    ];
    const ids = (text: string) => matchTrace(parseTraceQL(text), spans).flatMap((s) => s.spans.map((x) => x.spanId));
    expect(ids('{ }')).toEqual(['1', '2']);
    expect(ids('{ status = error }')).toEqual(['2']);
    expect(ids('{ resource.env = "production" } && { resource.env = "staging" }')).toEqual(['1', '2']);
    expect(ids('{ resource.env = "production" && resource.env = "staging" }')).toEqual([]);
    expect(ids('{ .env = "production" }')).toEqual([]); // the span's own `env` wins over the resource's
    expect(ids('{ .env = "override" }')).toEqual(['1']);
    expect(ids('{ .env = "staging" } || { name = "nothing" }')).toEqual(['2']);
    expect(ids('{ span.http.status_code >= 200 && span.http.status_code < 300 }')).toEqual(['1']);
    expect(ids('{ span.http.status_code != 500 }')).toEqual(['1']); // spans without the attribute do not match !=
    expect(ids('{ span.http.status_code = nil }')).toEqual(['2']);
    expect(ids('{ span.db.system =~ "postgres" }')).toEqual([]); // anchored
    expect(ids('{ span.db.system =~ "postgres.*" }')).toEqual(['2']);
    expect(ids('{ duration > 150ms }')).toEqual(['2']);
    expect(ids('{ trace:duration = 300ms && kind = client }')).toEqual(['2']);
    expect(ids('{ rootServiceName = "frontend" && rootName = "GET /api" && statusMessage = "timeout" }')).toEqual(['2']);
    expect(ids('{ span:parentID = "1" }')).toEqual(['2']);
  });

  it('candidates prune by postings and durations', () => {
    expect(candidates(parseTraceQL('{ .a = "x" && status = error } && { resource.service.name = "api" || name = "GET" }'))).toEqual({
      formula: {
        op: 'and',
        args: [
          { op: 'or', args: [{ op: 'term', field: 'span.a', value: 'x' }, { op: 'term', field: 'resource.a', value: 'x' }] },
          { op: 'term', field: 'status', value: 'error' },
          { op: 'or', args: [{ op: 'term', field: 'resource.service.name', value: 'api' }, { op: 'term', field: 'name', value: 'GET' }] },
        ],
      },
      duration: {},
    });
    expect(candidates(parseTraceQL('{ span.x != "a" || .y =~ "b" }')).formula).toEqual({ op: 'all' });
    expect(candidates(parseTraceQL('{ kind != server }')).formula.op).toBe('or');
    expect(candidates(parseTraceQL('{ duration > 1ms && trace:duration < 1s }')).duration).toEqual({ minNanos: 1_000_001, maxNanos: 999_999_999 });
    expect(candidates(parseTraceQL('{ duration >= 1ms } || { trace:duration >= 2ms }')).duration).toEqual({ minNanos: 1_000_000 });
    expect(candidates(parseTraceQL('{ duration >= 1ms } || { name = "x" }')).duration).toEqual({});
    expect(candidates(parseTraceQL('{ span.n = 9223372036854775807 }')).formula).toEqual({ op: 'all' });
    expect(candidates(parseTraceQL('{ trace:rootService = "api" }')).formula).toEqual({ op: 'term', field: 'resource.service.name', value: 'api' });
  });
});
