// Tempo's `tags` search parameter: logfmt pairs (`service.name=frontend http.status_code=500 name="GET /x"`), all of
// which a trace must match. Turned into a TraceQL spanset filter so one evaluator and one pruning path serve both.
//
// Mapping (Tempo's well-known tag names): `name` → span name, `status.code` → status (error|ok|unset, or 2|1|0),
// `error=true` → status = error, `root.service.name` → trace:rootService, `root.name` → trace:rootName; every
// other key → the unscoped attribute `.key` (span, else resource). A value that reads as an integer, a float or a
// boolean also matches an attribute of that type (`http.status_code=500` finds the int 500 and the string "500").
// Values match exactly (the index answers equality; Tempo's old substring matching would defeat it). All pairs apply
// to the same span, as they do in Tempo.
import { QueryParameterError } from '../errors.ts';
import type { Field, Literal, Query, SpanCondition, StatusValue } from '../traceql/ast.ts';

/** One `key=value` pair of the `tags` parameter. */
export interface TagCondition {
  key: string;
  value: string;
}

/** Parses logfmt `tags`; a repeated key keeps its last value. Throws QueryParameterError('tags', …). */
export function parseTags(text: string, parameter = 'tags'): TagCondition[] {
  const fail = (at: number, what: string): never => {
    throw new QueryParameterError(parameter, `at position ${at}: ${what} (expected logfmt pairs like service.name=frontend name="GET /x")`);
  };
  if (text.length > 16 * 1024) fail(16 * 1024, 'longer than 16384 characters');
  const byKey = new Map<string, string>();
  let at = 0;
  const s = text;
  for (;;) {
    while (at < s.length && /\s/.test(s[at])) at++;
    if (at >= s.length) break;
    const keyAt = at;
    let key: string;
    if (s[at] === '"') {
      [key, at] = quoted(s, at, fail);
    } else {
      while (at < s.length && !/[\s="]/.test(s[at])) at++;
      key = s.slice(keyAt, at);
    }
    if (key === '') fail(keyAt, 'a key is missing before "="');
    if (s[at] !== '=') fail(at, `tag "${key}" has no "=value"`);
    at++;
    let value: string;
    if (s[at] === '"') {
      [value, at] = quoted(s, at, fail);
    } else {
      const valueAt = at;
      while (at < s.length && !/[\s"]/.test(s[at])) at++;
      value = s.slice(valueAt, at);
      if (s[at] === '"') fail(at, 'a quote inside an unquoted value');
    }
    if (at < s.length && !/\s/.test(s[at])) fail(at, 'a space expected after the value');
    byKey.delete(key);
    byKey.set(key, value);
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}

function quoted(s: string, start: number, fail: (at: number, what: string) => never): [string, number] {
  let out = '';
  let at = start + 1;
  for (;;) {
    if (at >= s.length) fail(start, 'the quoted string starting here is not closed');
    const c = s[at];
    if (c === '"') return [out, at + 1];
    if (c === '\\') {
      const e = s[at + 1];
      const map: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };
      if (e === undefined || !(e in map)) fail(at, 'unknown escape in a quoted string (\\" \\\\ \\n \\t \\r)');
      out += map[e];
      at += 2;
      continue;
    }
    out += c;
    at++;
  }
}

const STATUS_BY_TEXT: Record<string, StatusValue> = { error: 'error', ok: 'ok', unset: 'unset', '2': 'error', '1': 'ok', '0': 'unset' };

/** Options of tagsQuery: Tempo's minDuration / maxDuration (trace duration, ns, inclusive). */
export interface TagSearchBounds {
  minDurationNanos?: number;
  maxDurationNanos?: number;
}

/** The TraceQL spanset filter equivalent to a tags search (`{ }` when there are no tags and no bounds). */
export function tagsQuery(tags: readonly TagCondition[], bounds: TagSearchBounds = {}): Query {
  const parts: SpanCondition[] = tags.map(tagCondition);
  const traceDuration: Field = { kind: 'intrinsic', name: 'traceDuration' };
  if (bounds.minDurationNanos !== undefined) parts.push({ type: 'compare', field: traceDuration, op: '>=', value: { type: 'duration', nanos: bounds.minDurationNanos } });
  if (bounds.maxDurationNanos !== undefined) parts.push({ type: 'compare', field: traceDuration, op: '<=', value: { type: 'duration', nanos: bounds.maxDurationNanos } });
  const condition = parts.reduce<SpanCondition | undefined>((acc, c) => (acc === undefined ? c : { type: 'and', left: acc, right: c }), undefined);
  return { type: 'spanset', condition: condition ?? { type: 'true' } };
}

function tagCondition(t: TagCondition): SpanCondition {
  const eq = (field: Field, value: Literal): SpanCondition => ({ type: 'compare', field, op: '=', value });
  const str: Literal = { type: 'string', value: t.value };
  switch (t.key) {
    case 'name':
      return eq({ kind: 'intrinsic', name: 'name' }, str);
    case 'root.name':
      return eq({ kind: 'intrinsic', name: 'rootName' }, str);
    case 'root.service.name':
      return eq({ kind: 'intrinsic', name: 'rootService' }, str);
    case 'status.code': {
      const status = STATUS_BY_TEXT[t.value.toLowerCase()];
      if (status === undefined) throw new QueryParameterError('tags', `status.code must be error, ok or unset (or 2, 1, 0), got ${JSON.stringify(t.value)}`);
      return eq({ kind: 'intrinsic', name: 'status' }, { type: 'status', value: status });
    }
    case 'error':
      if (t.value === 'true') return eq({ kind: 'intrinsic', name: 'status' }, { type: 'status', value: 'error' });
  }
  const field: Field = { kind: 'attribute', scope: 'unscoped', key: t.key };
  let condition = eq(field, str);
  for (const typed of typedReadings(t.value)) condition = { type: 'or', left: condition, right: eq(field, typed) };
  return condition;
}

// The other literals a tag value may stand for.
function typedReadings(v: string): Literal[] {
  if (v === 'true' || v === 'false') return [{ type: 'bool', value: v === 'true' }];
  if (/^-?\d{1,18}$/.test(v)) return [{ type: 'int', value: Number(v) }];
  if (/^-?\d+\.\d+$/.test(v) && Number.isFinite(Number(v))) return [{ type: 'float', value: Number(v) }];
  return [];
}
