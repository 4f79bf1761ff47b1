// The TraceQL subset we answer, as a tree: spanset filters `{ … }` combined by && and ||. Conditions inside one
// filter apply to the same span; `{A} && {B}` asks for a span matching A and a span matching B in the same trace.
import type { Regex } from './regex.ts';

/** Where an attribute is looked up; `unscoped` (`.key`) reads the span's attribute, else the resource's. */
export type AttributeScope = 'span' | 'resource' | 'unscoped';

/**
 * Intrinsic fields. Span level: name, status, kind, duration, statusMessage, spanId, parentId; trace level (the same
 * for every span of a trace): traceDuration (latest end − earliest start), rootName, rootService, traceId.
 */
export type Intrinsic =
  | 'name' | 'status' | 'kind' | 'duration' | 'statusMessage' | 'spanId' | 'parentId'
  | 'traceDuration' | 'rootName' | 'rootService' | 'traceId';

export type Field =
  | { kind: 'attribute'; scope: AttributeScope; key: string }
  | { kind: 'intrinsic'; name: Intrinsic };

export const STATUS_VALUES = ['unset', 'ok', 'error'] as const;
export const KIND_VALUES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export type StatusValue = (typeof STATUS_VALUES)[number];
export type KindValue = (typeof KIND_VALUES)[number];

/** A literal; ints beyond ±2^53 are bigints; durations are whole nanoseconds. */
export type Literal =
  | { type: 'string'; value: string }
  | { type: 'int'; value: number | bigint }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'duration'; nanos: number }
  | { type: 'status'; value: StatusValue }
  | { type: 'kind'; value: KindValue }
  | { type: 'nil' };

export type ComparisonOperator = '=' | '!=' | '>' | '>=' | '<' | '<=' | '=~' | '!~';

/** A condition on one span. `regex` is set (compiled once) when `op` is =~ or !~. */
export type SpanCondition =
  | { type: 'true' }
  | { type: 'compare'; field: Field; op: ComparisonOperator; value: Literal; regex?: Regex }
  | { type: 'and' | 'or'; left: SpanCondition; right: SpanCondition };

/** A query: spanset filters combined with && (both found spans) and || (either did). */
export type Query =
  | { type: 'spanset'; condition: SpanCondition }
  | { type: 'and' | 'or'; left: Query; right: Query };
