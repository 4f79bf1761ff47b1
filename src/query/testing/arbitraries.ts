// fast-check generators for query tests (tests only): small traces whose attribute keys and values collide often, so
// random queries match some traces and miss others; and random TraceQL queries over the same vocabulary.
import fc from 'fast-check';
import type { AnyValue, Attribute, Resource, Scope, Span } from '../../otlp/index.ts';
import type { ComparisonOperator, Field, Intrinsic, Literal, Query, SpanCondition } from '../traceql/ast.ts';
import { KIND_VALUES, STATUS_VALUES } from '../traceql/ast.ts';
import { compileRegex } from '../traceql/regex.ts';

export const KEYS = ['a', 'b', 'http.code', 'service.name'];
export const STRINGS = ['x', 'y', 'X', '', 'GET', 'x y'];
export const NAMES = ['GET', 'POST', 'db', 'GET /x'];
export const SERVICES = ['s1', 's2', 'front'];
/** Patterns where Go RE2 and JS RegExp agree (the oracle runs them with JS). */
export const PATTERNS = ['x', 'x|y', '.*', 'x.*', '[xy]', 'GE.', '(PO|GE)(ST|T)', 'G.*', '[^x]*', 'x?y?', '(?i)get', 'GET /\\w+', '\\d+', ''];

const value: fc.Arbitrary<AnyValue> = fc.oneof(
  fc.constantFrom(...STRINGS).map((v) => ({ type: 'string' as const, value: v })),
  fc.constantFrom(0, 1, 500, -1, 2 ** 60).map((v) => ({ type: 'int' as const, value: v === 2 ** 60 ? 2n ** 60n : v })),
  fc.constantFrom(0.5, 1, 500, Number.NaN).map((v) => ({ type: 'double' as const, value: v })),
  fc.boolean().map((v) => ({ type: 'bool' as const, value: v })),
  fc.constant({ type: 'empty' as const, value: null }),
  fc.array(fc.constantFrom(...STRINGS), { maxLength: 3 }).map((vs) => ({ type: 'array' as const, value: vs.map((v) => ({ type: 'string' as const, value: v })) })),
);

const attributes: fc.Arbitrary<Attribute[]> = fc.array(fc.tuple(fc.constantFrom(...KEYS), value).map(([key, v]) => ({ key, ...v }) as Attribute), { maxLength: 4 });

const resource: fc.Arbitrary<Resource> = fc
  .tuple(fc.option(fc.constantFrom(...SERVICES), { nil: undefined }), attributes)
  .map(([service, attrs]) => ({
    attributes: service === undefined ? attrs : [{ key: 'service.name', type: 'string' as const, value: service }, ...attrs],
    droppedAttributesCount: 0, entityRefs: [], schemaUrl: '',
  }));

const scope: Scope = { name: 'test', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

const BASE_MS = 1_700_000_000_000;

/** One trace: 1–8 spans over up to 3 resources, parents among earlier spans (sometimes missing), times in a few ms. */
export const trace: fc.Arbitrary<Span[]> = fc
  .tuple(
    fc.array(resource, { minLength: 1, maxLength: 3 }),
    fc.array(
      fc.record({
        resource: fc.nat(), parent: fc.option(fc.nat(), { nil: undefined }), name: fc.constantFrom(...NAMES), kind: fc.integer({ min: 0, max: 5 }),
        status: fc.integer({ min: 0, max: 2 }), message: fc.constantFrom('', 'boom'), start: fc.integer({ min: 0, max: 5_000_000 }),
        duration: fc.integer({ min: 0, max: 5_000_000 }), attributes,
      }),
      { minLength: 1, maxLength: 8 },
    ),
    fc.boolean(),
  )
  .map(([resources, raw, orphan]) => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const spans: Span[] = [];
    raw.forEach((r, k) => {
      const startNs = r.start;
      const endNs = r.start + r.duration;
      const parentSpanId = k === 0 || r.parent === undefined ? (k > 0 && orphan ? 'ffffffffffffffff' : '') : spanIdOf(r.parent % k);
      spans.push({
        resource: resources[r.resource % resources.length], scope, traceId, spanId: spanIdOf(k), traceState: '', parentSpanId, flags: 0,
        name: r.name, kind: r.kind, startTimeMs: BASE_MS + Math.floor(startNs / 1e6), startTimeNanos: startNs % 1e6,
        endTimeMs: BASE_MS + Math.floor(endNs / 1e6), endTimeNanos: endNs % 1e6, attributes: r.attributes, droppedAttributesCount: 0,
        events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, statusCode: r.status, statusMessage: r.message,
      });
    });
    return spans;
  });

export function spanIdOf(k: number): string {
  return (k + 1).toString(16).padStart(16, '0');
}

const attributeField: fc.Arbitrary<Field> = fc.record({ kind: fc.constant('attribute' as const), scope: fc.constantFrom('span' as const, 'resource' as const, 'unscoped' as const), key: fc.constantFrom(...KEYS) });
const durations = fc.constantFrom(0, 1000, 1_000_000, 2_500_000, 5_000_000, 10_000_000);
const ops: ComparisonOperator[] = ['=', '!=', '>', '>=', '<', '<='];

function compare(field: Field, op: ComparisonOperator, value: Literal): SpanCondition {
  return op === '=~' || op === '!~' ? { type: 'compare', field, op, value, regex: compileRegex((value as { value: string }).value) } : { type: 'compare', field, op, value };
}

const attributeCondition: fc.Arbitrary<SpanCondition> = fc.oneof(
  fc.tuple(attributeField, fc.constantFrom(...ops), fc.constantFrom(...STRINGS, ...SERVICES)).map(([f, op, v]) => compare(f, op, { type: 'string', value: v })),
  fc.tuple(attributeField, fc.constantFrom<ComparisonOperator>('=~', '!~'), fc.constantFrom(...PATTERNS)).map(([f, op, v]) => compare(f, op, { type: 'string', value: v })),
  fc.tuple(attributeField, fc.constantFrom(...ops), fc.constantFrom<number | bigint>(0, 1, 500, -1, 2n ** 60n)).map(([f, op, v]) => compare(f, op, { type: 'int', value: v })),
  fc.tuple(attributeField, fc.constantFrom(...ops), fc.constantFrom(0.5, 1.5, 500.25)).map(([f, op, v]) => compare(f, op, { type: 'float', value: v })),
  fc.tuple(attributeField, fc.constantFrom<ComparisonOperator>('=', '!='), fc.boolean()).map(([f, op, v]) => compare(f, op, { type: 'bool', value: v })),
  fc.tuple(attributeField, fc.constantFrom<ComparisonOperator>('=', '!=')).map(([f, op]) => compare(f, op, { type: 'nil' })),
);

const intrinsic = (name: Intrinsic): Field => ({ kind: 'intrinsic', name });

const intrinsicCondition: fc.Arbitrary<SpanCondition> = fc.oneof(
  fc.tuple(fc.constantFrom<Intrinsic>('name', 'rootName'), fc.constantFrom(...ops), fc.constantFrom(...NAMES)).map(([n, op, v]) => compare(intrinsic(n), op, { type: 'string', value: v })),
  fc.tuple(fc.constantFrom<Intrinsic>('name', 'rootName', 'rootService', 'statusMessage'), fc.constantFrom<ComparisonOperator>('=~', '!~'), fc.constantFrom(...PATTERNS)).map(([n, op, v]) => compare(intrinsic(n), op, { type: 'string', value: v })),
  fc.tuple(fc.constantFrom<ComparisonOperator>('=', '!='), fc.constantFrom(...SERVICES)).map(([op, v]) => compare(intrinsic('rootService'), op, { type: 'string', value: v })),
  fc.tuple(fc.constantFrom<ComparisonOperator>('=', '!='), fc.constantFrom(...STATUS_VALUES)).map(([op, v]) => compare(intrinsic('status'), op, { type: 'status', value: v })),
  fc.tuple(fc.constantFrom<ComparisonOperator>('=', '!='), fc.constantFrom(...KIND_VALUES)).map(([op, v]) => compare(intrinsic('kind'), op, { type: 'kind', value: v })),
  fc.tuple(fc.constantFrom<Intrinsic>('duration', 'traceDuration'), fc.constantFrom(...ops), durations).map(([n, op, v]) => compare(intrinsic(n), op, { type: 'duration', nanos: v })),
);

/** Random span conditions (`&&`/`||` trees up to depth 3). */
export const condition: fc.Arbitrary<SpanCondition> = fc.letrec<{ c: SpanCondition }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    attributeCondition,
    intrinsicCondition,
    fc.constant({ type: 'true' as const }),
    fc.tuple(fc.constantFrom('and' as const, 'or' as const), tie('c'), tie('c')).map(([type, left, right]) => ({ type, left, right })),
  ),
})).c;

/** Random queries: spanset filters combined by `&&`/`||`. */
export const query: fc.Arbitrary<Query> = fc.letrec<{ q: Query }>((tie) => ({
  q: fc.oneof(
    { depthSize: 'small', maxDepth: 2 },
    condition.map((c) => ({ type: 'spanset' as const, condition: c })),
    fc.tuple(fc.constantFrom('and' as const, 'or' as const), tie('q'), tie('q')).map(([type, left, right]) => ({ type, left, right })),
  ),
})).q;
