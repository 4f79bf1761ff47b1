// TraceQL subset: parse → Query, evaluate on one trace, and the postings a match needs (for pruning).
export type {
  AttributeScope, ComparisonOperator, Field, Intrinsic, KindValue, Literal, Query, SpanCondition, StatusValue,
} from './ast.ts';
export { KIND_VALUES, STATUS_VALUES } from './ast.ts';
export { MAX_QUERY_DEPTH, MAX_QUERY_LENGTH, parseTraceQL, TraceQLError } from './parse.ts';
export { formatCondition, formatField, formatLiteral, formatTraceQL } from './format.ts';
export { attributeOf, matchSpan, matchTrace, spanDurationNanos, traceFacts, type SpanSet, type TraceFacts } from './evaluate.ts';
export { candidates, satisfies, type CandidateFormula, type Candidates, type DurationBounds } from './candidates.ts';
export { compileRegex, MAX_REGEX_LENGTH, RegexError, type Regex } from './regex.ts';
