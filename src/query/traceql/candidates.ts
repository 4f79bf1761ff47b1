// What a trace must contain for a query to match it, in terms the index answers: a boolean formula over postings
// `(field, value)`, and bounds on the trace's duration. Conservative: every trace the query matches satisfies the
// formula and lies within the bounds (no false negatives); traces that satisfy them may still not match, so the store
// decodes the survivors and runs matchTrace.
//
// Postings fields: `resource.<key>`, `span.<key>`, `name`, `status`, `kind`. Values are text, as attributeText
// (src/otlp/plainValue.ts) renders an attribute: strings as they are, booleans `true`/`false`, numbers by String();
// status `error`/`ok`/`unset`; kind `unspecified`/`internal`/`server`/`client`/`producer`/`consumer`.
// A posting (field, value) holds for a trace when some span of the trace has that field with that value; an array
// attribute posts each of its scalar elements under its key (TraceQL's `=` matches an array by any element), and
// every span posts its status and kind (unset and unspecified included).
import type { Literal, Query, SpanCondition } from './ast.ts';
import { KIND_VALUES, STATUS_VALUES } from './ast.ts';

/** A boolean formula over postings. `all` holds for every trace (nothing to prune by). */
export type CandidateFormula =
  | { op: 'all' }
  | { op: 'term'; field: string; value: string }
  | { op: 'and' | 'or'; args: CandidateFormula[] };

/** Inclusive bounds on the trace duration (latest end − earliest start) of every match, ns; absent: unbounded. */
export interface DurationBounds {
  minNanos?: number;
  maxNanos?: number;
}

export interface Candidates {
  formula: CandidateFormula;
  duration: DurationBounds;
}

const ALL: CandidateFormula = { op: 'all' };

/** The postings formula and duration bounds every trace matching `query` satisfies. */
export function candidates(query: Query): Candidates {
  return { formula: simplify(queryFormula(query)), duration: queryBounds(query) };
}

function queryFormula(q: Query): CandidateFormula {
  switch (q.type) {
    case 'spanset':
      return conditionFormula(q.condition);
    case 'and':
    case 'or':
      return { op: q.type, args: [queryFormula(q.left), queryFormula(q.right)] };
  }
}

// A span satisfying `c` has these postings, so its trace does too.
function conditionFormula(c: SpanCondition): CandidateFormula {
  switch (c.type) {
    case 'true':
      return ALL;
    case 'and':
    case 'or':
      return { op: c.type, args: [conditionFormula(c.left), conditionFormula(c.right)] };
    case 'compare':
      break;
  }
  const { field, op, value } = c;
  if (field.kind === 'intrinsic') {
    switch (field.name) {
      case 'name':
        return op === '=' ? term('name', (value as { value: string }).value) : ALL;
      case 'rootName':
        return op === '=' ? term('name', (value as { value: string }).value) : ALL;
      case 'rootService':
        // The root span's resource has service.name = value.
        return op === '=' ? term('resource.service.name', (value as { value: string }).value) : ALL;
      case 'status':
      case 'kind': {
        const all: readonly string[] = field.name === 'status' ? STATUS_VALUES : KIND_VALUES;
        const v = (value as { value: string }).value;
        const values = op === '=' ? [v] : all.filter((x) => x !== v);
        return { op: 'or', args: values.map((x) => term(field.name, x)) };
      }
      default:
        return ALL;
    }
  }
  if (op !== '=') return ALL;
  const text = literalText(value);
  if (text === undefined) return ALL;
  const terms = field.scope === 'unscoped' ? [term(`span.${field.key}`, text), term(`resource.${field.key}`, text)] : [term(`${field.scope}.${field.key}`, text)];
  return terms.length === 1 ? terms[0] : { op: 'or', args: terms };
}

function term(field: string, value: string): CandidateFormula {
  return { op: 'term', field, value };
}

// The posting text of a literal that `=` compares, when every value equal to it renders to that text.
function literalText(v: Literal): string | undefined {
  switch (v.type) {
    case 'string':
      return v.value;
    case 'bool':
      return String(v.value);
    case 'int':
      // A bigint int64 equals doubles that do not print the same; safe integers print the same as int or double.
      return typeof v.value === 'number' ? String(v.value) : undefined;
    case 'float':
      // An integral double could equal a bigint int64 attribute (printed exactly); below 2^53 both print alike.
      return Number.isFinite(v.value) && Math.abs(v.value) < 2 ** 53 ? String(v.value) : undefined;
    default:
      return undefined;
  }
}

// Drops `all` from conjunctions, collapses disjunctions containing `all`, flattens nested and/or.
function simplify(f: CandidateFormula): CandidateFormula {
  if (f.op === 'all' || f.op === 'term') return f;
  const args: CandidateFormula[] = [];
  for (const a of f.args.map(simplify)) {
    if (a.op === 'all') {
      if (f.op === 'or') return ALL;
      continue;
    }
    if (a.op === f.op) args.push(...a.args);
    else args.push(a);
  }
  if (args.length === 0) return ALL;
  return args.length === 1 ? args[0] : { op: f.op, args };
}

function queryBounds(q: Query): DurationBounds {
  switch (q.type) {
    case 'spanset':
      return conditionBounds(q.condition);
    case 'and':
      return intersect(queryBounds(q.left), queryBounds(q.right));
    case 'or':
      return hull(queryBounds(q.left), queryBounds(q.right));
  }
}

// A span's duration is at most its trace's (it starts no earlier and ends no later), so a lower bound on a span's
// duration bounds the trace's from below; only trace:duration bounds it from above.
function conditionBounds(c: SpanCondition): DurationBounds {
  switch (c.type) {
    case 'true':
      return {};
    case 'and':
      return intersect(conditionBounds(c.left), conditionBounds(c.right));
    case 'or':
      return hull(conditionBounds(c.left), conditionBounds(c.right));
    case 'compare':
      break;
  }
  if (c.field.kind !== 'intrinsic' || (c.field.name !== 'duration' && c.field.name !== 'traceDuration')) return {};
  const d = (c.value as { nanos: number }).nanos;
  const lower = c.op === '=' || c.op === '>=' ? d : c.op === '>' ? d + 1 : undefined;
  const upper = c.field.name === 'traceDuration' ? (c.op === '=' || c.op === '<=' ? d : c.op === '<' ? d - 1 : undefined) : undefined;
  return { ...(lower === undefined ? {} : { minNanos: lower }), ...(upper === undefined ? {} : { maxNanos: upper }) };
}

function intersect(a: DurationBounds, b: DurationBounds): DurationBounds {
  const out: DurationBounds = {};
  const min = a.minNanos === undefined ? b.minNanos : b.minNanos === undefined ? a.minNanos : Math.max(a.minNanos, b.minNanos);
  const max = a.maxNanos === undefined ? b.maxNanos : b.maxNanos === undefined ? a.maxNanos : Math.min(a.maxNanos, b.maxNanos);
  if (min !== undefined) out.minNanos = min;
  if (max !== undefined) out.maxNanos = max;
  return out;
}

function hull(a: DurationBounds, b: DurationBounds): DurationBounds {
  const out: DurationBounds = {};
  if (a.minNanos !== undefined && b.minNanos !== undefined) out.minNanos = Math.min(a.minNanos, b.minNanos);
  if (a.maxNanos !== undefined && b.maxNanos !== undefined) out.maxNanos = Math.max(a.maxNanos, b.maxNanos);
  return out;
}

/** Evaluates a formula given which postings a trace has (for the store's brute-force path and for tests). */
export function satisfies(f: CandidateFormula, has: (field: string, value: string) => boolean): boolean {
  switch (f.op) {
    case 'all':
      return true;
    case 'term':
      return has(f.field, f.value);
    case 'and':
      return f.args.every((a) => satisfies(a, has));
    case 'or':
      return f.args.some((a) => satisfies(a, has));
  }
}
