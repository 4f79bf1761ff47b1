// Jaeger's trace search parameters as a TraceQL spanset filter. Jaeger tests every criterion on one span (its
// process's service, its operation name, its own duration, and each tag against the span's tags and its process's
// tags, compared as text), so they become one `{ … }`:
//   service → resource.service.name, operation → name, minDuration / maxDuration → span duration,
//   a tag k=v → .k (span, else resource) equal to v, also as a number or boolean when v reads as one;
//   the tags Jaeger derives from OpenTelemetry data read the source fields: error=true → status = error,
//   span.kind → kind, otel.status_code → status, otel.status_description → statusMessage.
// Jaeger also matches tags against log (event) fields; events are not searched here.
import { QueryParameterError } from '../errors.ts';
import type { Field, KindValue, Literal, Query, SpanCondition } from '../traceql/ast.ts';
import { KIND_VALUES } from '../traceql/ast.ts';

/** Parses Jaeger's `tags` parameter: a JSON object of string → string. Throws QueryParameterError('tags', …). */
export function parseJaegerTags(text: string, parameter = 'tags'): Map<string, string> {
  if (text.length > 16 * 1024) throw new QueryParameterError(parameter, 'longer than 16384 characters');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new QueryParameterError(parameter, `not JSON (${(e as Error).message}); expected an object like {"http.status_code":"500","error":"true"}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new QueryParameterError(parameter, `expected a JSON object of string values like {"error":"true"}, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}`);
  }
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new QueryParameterError(parameter, `the value of "${key}" must be a string, got ${value === null ? 'null' : typeof value} (write "${String(value)}")`);
    out.set(key, value);
  }
  return out;
}

/** Parses Jaeger's repeated `tag=key:value` parameters (the first ':' splits). */
export function parseJaegerTagParams(values: readonly string[], parameter = 'tag'): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const at = v.indexOf(':');
    if (at <= 0) throw new QueryParameterError(parameter, `expected key:value, got ${JSON.stringify(v.slice(0, 60))}`);
    out.set(v.slice(0, at), v.slice(at + 1));
  }
  return out;
}

/** Jaeger's search criteria (all optional; durations in ns). */
export interface JaegerSearch {
  service?: string;
  operation?: string;
  tags?: ReadonlyMap<string, string>;
  minDurationNanos?: number;
  maxDurationNanos?: number;
}

/** The TraceQL spanset filter selecting the spans Jaeger's search would select. */
export function jaegerSearchQuery(s: JaegerSearch): Query {
  const parts: SpanCondition[] = [];
  const eq = (field: Field, value: Literal): SpanCondition => ({ type: 'compare', field, op: '=', value });
  if (s.service !== undefined) parts.push(eq({ kind: 'attribute', scope: 'resource', key: 'service.name' }, { type: 'string', value: s.service }));
  if (s.operation !== undefined) parts.push(eq({ kind: 'intrinsic', name: 'name' }, { type: 'string', value: s.operation }));
  const duration: Field = { kind: 'intrinsic', name: 'duration' };
  if (s.minDurationNanos !== undefined) parts.push({ type: 'compare', field: duration, op: '>=', value: { type: 'duration', nanos: s.minDurationNanos } });
  if (s.maxDurationNanos !== undefined) parts.push({ type: 'compare', field: duration, op: '<=', value: { type: 'duration', nanos: s.maxDurationNanos } });
  for (const [key, value] of s.tags ?? []) parts.push(tagCondition(key, value));
  const condition = parts.reduce<SpanCondition | undefined>((acc, c) => (acc === undefined ? c : { type: 'and', left: acc, right: c }), undefined);
  return { type: 'spanset', condition: condition ?? { type: 'true' } };
}

function tagCondition(key: string, value: string): SpanCondition {
  const eq = (field: Field, v: Literal): SpanCondition => ({ type: 'compare', field, op: '=', value: v });
  const attribute: Field = { kind: 'attribute', scope: 'unscoped', key };
  let condition = eq(attribute, { type: 'string', value });
  if (value === 'true' || value === 'false') condition = { type: 'or', left: condition, right: eq(attribute, { type: 'bool', value: value === 'true' }) };
  else if (/^-?\d{1,18}$/.test(value)) condition = { type: 'or', left: condition, right: eq(attribute, { type: 'int', value: Number(value) }) };
  else if (/^-?\d+\.\d+$/.test(value)) condition = { type: 'or', left: condition, right: eq(attribute, { type: 'float', value: Number(value) }) };
  const derived = derivedTag(key, value);
  return derived === undefined ? condition : { type: 'or', left: condition, right: derived };
}

// Tags that Jaeger's view of OpenTelemetry spans derives from intrinsic fields.
function derivedTag(key: string, value: string): SpanCondition | undefined {
  const status = (v: 'error' | 'ok'): SpanCondition => ({ type: 'compare', field: { kind: 'intrinsic', name: 'status' }, op: '=', value: { type: 'status', value: v } });
  switch (key) {
    case 'error':
      return value === 'true' ? status('error') : undefined;
    case 'otel.status_code':
      return value === 'ERROR' ? status('error') : value === 'OK' ? status('ok') : undefined;
    case 'otel.status_description':
      return { type: 'compare', field: { kind: 'intrinsic', name: 'statusMessage' }, op: '=', value: { type: 'string', value } };
    case 'span.kind':
      return (KIND_VALUES as readonly string[]).includes(value) && value !== 'unspecified'
        ? { type: 'compare', field: { kind: 'intrinsic', name: 'kind' }, op: '=', value: { type: 'kind', value: value as KindValue } }
        : undefined;
  }
  return undefined;
}
