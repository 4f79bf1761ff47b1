// Evaluation of a Query on one trace, with Tempo's semantics:
// - all conditions inside one `{ … }` apply to the same span; the filter selects the spans that satisfy it;
// - `{A} && {B}`: both sides selected at least one span; the result is the union of both sides' spans;
//   `{A} || {B}`: at least one side selected a span; the result is the union of what the sides selected;
// - a comparison is true only when the field has a value of a comparable type (strings with strings, numbers with
//   numbers, booleans with booleans), so `span.x != "a"` does not select a span without `x`; `= nil` / `!= nil` test
//   absence / presence; for an array attribute, `=`, `=~` and the orderings hold if some element satisfies them, `!=`
//   and `!~` if no element satisfies `=` / `=~` (and some element is comparable);
// - `.key` (unscoped) reads the span's attribute, and the resource's when the span has none;
// - regexes are fully anchored (see regex.ts); strings order by UTF-16 code units.
import type { AnyValue, Attribute, Span } from '../../otlp/index.ts';
import type { ComparisonOperator, Field, KindValue, Literal, Query, SpanCondition, StatusValue } from './ast.ts';
import { KIND_VALUES, STATUS_VALUES } from './ast.ts';

/** The spans of one trace a query selected (in the order the trace listed them), and how many. */
export interface SpanSet {
  spans: Span[];
  matched: number;
}

/** What trace-level intrinsics read: computed once per trace. */
export interface TraceFacts {
  traceId: string;
  /** Latest span end minus earliest span start, ns. */
  durationNanos: number;
  /** The first span without a parent, if any. */
  root: Span | undefined;
}

/** Trace-level facts of a trace's spans. */
export function traceFacts(spans: readonly Span[]): TraceFacts {
  let startMs = Infinity;
  let startNanos = 0;
  let endMs = -Infinity;
  let endNanos = 0;
  let root: Span | undefined;
  for (const s of spans) {
    if (s.startTimeMs < startMs || (s.startTimeMs === startMs && s.startTimeNanos < startNanos)) [startMs, startNanos] = [s.startTimeMs, s.startTimeNanos];
    if (s.endTimeMs > endMs || (s.endTimeMs === endMs && s.endTimeNanos > endNanos)) [endMs, endNanos] = [s.endTimeMs, s.endTimeNanos];
    if (root === undefined && s.parentSpanId === '') root = s;
  }
  const durationNanos = spans.length === 0 ? 0 : (endMs - startMs) * 1_000_000 + (endNanos - startNanos);
  return { traceId: spans[0]?.traceId ?? '', durationNanos, root };
}

/** A span's duration in ns (end − start; negative if the span ends before it starts). */
export function spanDurationNanos(s: Span): number {
  return (s.endTimeMs - s.startTimeMs) * 1_000_000 + (s.endTimeNanos - s.startTimeNanos);
}

/** The spans of `spans` (one trace) that `query` selects: [] when the trace does not match, else one spanset. */
export function matchTrace(query: Query, spans: readonly Span[]): SpanSet[] {
  const facts = traceFacts(spans);
  const selected = select(query, spans, facts);
  if (selected === undefined) return [];
  const list = spans.filter((s) => selected.has(s));
  return [{ spans: list, matched: list.length }];
}

// The selected spans, or undefined when the query does not match the trace.
function select(q: Query, spans: readonly Span[], facts: TraceFacts): Set<Span> | undefined {
  switch (q.type) {
    case 'spanset': {
      const out = new Set<Span>();
      for (const s of spans) if (matchSpan(q.condition, s, facts)) out.add(s);
      return out.size > 0 ? out : undefined;
    }
    case 'and': {
      const left = select(q.left, spans, facts);
      if (left === undefined) return undefined;
      const right = select(q.right, spans, facts);
      return right === undefined ? undefined : new Set([...left, ...right]);
    }
    case 'or': {
      const left = select(q.left, spans, facts);
      const right = select(q.right, spans, facts);
      if (left === undefined) return right;
      return right === undefined ? left : new Set([...left, ...right]);
    }
  }
}

/** Whether one span satisfies a spanset filter's condition. */
export function matchSpan(c: SpanCondition, span: Span, facts: TraceFacts): boolean {
  switch (c.type) {
    case 'true':
      return true;
    case 'and':
      return matchSpan(c.left, span, facts) && matchSpan(c.right, span, facts);
    case 'or':
      return matchSpan(c.left, span, facts) || matchSpan(c.right, span, facts);
    case 'compare':
      return compareField(c, span, facts);
  }
}

function lastAttribute(list: readonly Attribute[], key: string): Attribute | undefined {
  for (let k = list.length - 1; k >= 0; k--) if (list[k].key === key) return list[k];
  return undefined;
}

/** The attribute a field names on a span (an unscoped key reads the span first, then the resource). */
export function attributeOf(span: Span, scope: 'span' | 'resource' | 'unscoped', key: string): AnyValue | undefined {
  if (scope === 'span') return lastAttribute(span.attributes, key);
  if (scope === 'resource') return lastAttribute(span.resource.attributes, key);
  return lastAttribute(span.attributes, key) ?? lastAttribute(span.resource.attributes, key);
}

const statusOf = (code: number): StatusValue => STATUS_VALUES[code] ?? 'unset';
const kindOf = (kind: number): KindValue => KIND_VALUES[kind] ?? 'unspecified';

type Compare = Extract<SpanCondition, { type: 'compare' }>;

function compareField(c: Compare, span: Span, facts: TraceFacts): boolean {
  const f: Field = c.field;
  if (f.kind === 'attribute') return compareAttribute(c, attributeOf(span, f.scope, f.key));
  switch (f.name) {
    case 'status':
      return (statusOf(span.statusCode) === (c.value as { value: string }).value) === (c.op === '=');
    case 'kind':
      return (kindOf(span.kind) === (c.value as { value: string }).value) === (c.op === '=');
    case 'duration':
      return order(c.op, spanDurationNanos(span), (c.value as { nanos: number }).nanos);
    case 'traceDuration':
      return order(c.op, facts.durationNanos, (c.value as { nanos: number }).nanos);
    case 'name':
      return compareString(c, span.name);
    case 'statusMessage':
      return compareString(c, span.statusMessage);
    case 'spanId':
      return compareString(c, span.spanId);
    case 'parentId':
      return compareString(c, span.parentSpanId);
    case 'traceId':
      return compareString(c, span.traceId);
    case 'rootName':
      return facts.root !== undefined && compareString(c, facts.root.name);
    case 'rootService': {
      const service = facts.root === undefined ? undefined : lastAttribute(facts.root.resource.attributes, 'service.name');
      return service !== undefined && service.type === 'string' && compareString(c, service.value);
    }
  }
}

function compareString(c: Compare, text: string): boolean {
  if (c.regex !== undefined) return c.regex.test(text) === (c.op === '=~');
  return order(c.op, text, (c.value as { value: string }).value);
}

function order<T extends string | number | bigint>(op: ComparisonOperator, a: T, b: T): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    default:
      return false;
  }
}

function compareAttribute(c: Compare, v: AnyValue | undefined): boolean {
  const lit = c.value;
  if (lit.type === 'nil') return (v === undefined || v.type === 'empty') === (c.op === '=');
  if (v === undefined) return false;
  if (v.type === 'array') {
    const negative = c.op === '!=' || c.op === '!~';
    const positive: Compare = negative ? { ...c, op: c.op === '!=' ? '=' : '=~' } : c;
    let comparable = false;
    for (const e of v.value) {
      const r = scalarCompare(positive, e);
      if (r === undefined) continue;
      comparable = true;
      if (r) return !negative;
    }
    return negative && comparable;
  }
  return scalarCompare(c, v) ?? false;
}

// true / false, or undefined when the value's type does not compare with the literal.
function scalarCompare(c: Compare, v: AnyValue): boolean | undefined {
  const lit: Literal = c.value;
  switch (lit.type) {
    case 'string':
      if (v.type !== 'string') return undefined;
      return compareString(c, v.value);
    case 'bool':
      if (v.type !== 'bool') return undefined;
      return (v.value === lit.value) === (c.op === '=');
    case 'int':
    case 'float':
      if (v.type !== 'int' && v.type !== 'double') return undefined;
      return compareNumbers(c.op, v.value, lit.value);
    default:
      return undefined;
  }
}

/** Compares two numbers exactly even when one is a bigint int64 (NaN compares false, except with !=). */
export function compareNumbers(op: ComparisonOperator, a: number | bigint, b: number | bigint): boolean {
  if (typeof a === 'number' && typeof b === 'number') return order(op, a, b);
  // Mixed: exact when the number is an integer, else via doubles (a non-integer never equals an integer).
  const big = (x: number | bigint) => (typeof x === 'bigint' ? x : Number.isInteger(x) ? BigInt(x) : undefined);
  const ba = big(a);
  const bb = big(b);
  if (ba !== undefined && bb !== undefined) return order(op, ba, bb);
  return order(op, Number(a), Number(b));
}
