// Query → TraceQL text that parses back to the same query (used by tests, logs, and to turn `tags` searches into
// TraceQL).
import type { Field, Literal, Query, SpanCondition } from './ast.ts';

const intrinsicText: Record<string, string> = {
  name: 'name', status: 'status', kind: 'kind', duration: 'duration', statusMessage: 'statusMessage', spanId: 'span:id',
  parentId: 'span:parentID', traceDuration: 'trace:duration', rootName: 'trace:rootName', rootService: 'trace:rootService', traceId: 'trace:id',
};

/** TraceQL text of a query. */
export function formatTraceQL(q: Query): string {
  switch (q.type) {
    case 'spanset':
      return q.condition.type === 'true' ? '{ }' : `{ ${formatCondition(q.condition)} }`;
    case 'and':
    case 'or':
      return `${side(q.left, q.type, formatTraceQL)} ${q.type === 'and' ? '&&' : '||'} ${side(q.right, q.type, formatTraceQL, true)}`;
  }
}

// Parenthesizes an operand unless precedence makes it unnecessary (&& binds tighter than ||; both group left to
// right, so a right operand of the same operator keeps its parentheses to keep the tree's shape).
function side<T extends { type: string }>(operand: T, parent: 'and' | 'or', format: (x: T) => string, right = false): string {
  const text = format(operand);
  if (operand.type !== 'and' && operand.type !== 'or') return text;
  if (operand.type === 'and' && parent === 'or') return text;
  if (operand.type === parent && !right) return text;
  return `(${text})`;
}

/** TraceQL text of one span condition (what goes between the braces). */
export function formatCondition(c: SpanCondition): string {
  switch (c.type) {
    case 'true':
      return 'true';
    case 'compare':
      return `${formatField(c.field)} ${c.op} ${formatLiteral(c.value)}`;
    case 'and':
    case 'or':
      return `${side(c.left, c.type, formatCondition)} ${c.type === 'and' ? '&&' : '||'} ${side(c.right, c.type, formatCondition, true)}`;
  }
}

export function formatField(f: Field): string {
  if (f.kind === 'intrinsic') return intrinsicText[f.name];
  const plain = /^[^\s{}()=!<>~&|",^]+$/.test(f.key);
  const key = plain ? f.key : quote(f.key);
  return f.scope === 'unscoped' ? `.${key}` : `${f.scope}.${key}`;
}

function quote(s: string): string {
  return `"${s.replace(/[\\"\n\t\r]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r' })[c]!)}"`;
}

export function formatLiteral(v: Literal): string {
  switch (v.type) {
    case 'string':
      return quote(v.value);
    case 'int':
      return String(v.value);
    case 'float':
      return Number.isInteger(v.value) ? v.value.toFixed(1) : plainDecimal(v.value);
    case 'bool':
      return String(v.value);
    case 'duration':
      return `${v.nanos}ns`;
    case 'status':
    case 'kind':
      return v.value;
    case 'nil':
      return 'nil';
  }
}

// A float without exponent notation (the grammar has none).
function plainDecimal(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(20).replace(/0+$/, '').replace(/\.$/, '.0');
}
