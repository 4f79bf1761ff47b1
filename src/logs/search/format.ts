// SearchNode → query text that parses back to the same node (for tests, logs and links).
import type { SearchNode } from './ast.ts';

// A term that reads back as itself when bare: letters, digits, marks, '_' and inner dots.
const BARE_TERM = /^[\p{L}\p{N}_][\p{L}\p{M}\p{N}_.]*$/u;
// A field value or key that reads back as itself when bare.
const BARE_VALUE = /^[^\s()"\\]+$/;
const BARE_KEY = /^[^\s:()"<>=\\]+$/;

function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}

function term(t: string): string {
  return BARE_TERM.test(t) ? t : quoted(t);
}

function value(v: string): string {
  return BARE_VALUE.test(v) ? v : quoted(v);
}

/** The regex between slashes: a '/' is escaped, other escapes stay as written. */
function regex(pattern: string): string {
  let out = '/';
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\' && i + 1 < pattern.length) out += pattern[i] + pattern[++i];
    else out += pattern[i] === '/' ? '\\/' : pattern[i];
  }
  return out + '/';
}

function child(node: SearchNode, parent: 'and' | 'or' | 'not'): string {
  const text = formatSearch(node);
  // AND binds tighter than OR; a nested AND in an AND, or OR in an OR, keeps its parentheses to stay a node.
  const group = node.kind === 'or' || (node.kind === 'and' && parent !== 'or');
  return group ? `(${text})` : text;
}

/** Query text for `node`; parseSearch(formatSearch(n)) equals n. */
export function formatSearch(node: SearchNode): string {
  switch (node.kind) {
    case 'all':
      return '*';
    case 'term':
      return term(node.term);
    case 'phrase':
      return quoted(node.terms.join(' '));
    case 'prefix':
      return `${term(node.prefix)}*`;
    case 'fuzzy':
      return `${term(node.term)}~${node.distance}`;
    case 'regex':
      return regex(node.pattern);
    case 'severity':
      return `severity${node.op}${node.level}`;
    case 'field':
      return `${node.field}:${value(node.value)}`;
    case 'attribute':
      return `${node.scope}.${BARE_KEY.test(node.key) ? node.key : quoted(node.key)}:${value(node.value)}`;
    case 'and':
      return node.children.map((c) => child(c, 'and')).join(' ');
    case 'or':
      return node.children.map((c) => child(c, 'or')).join(' OR ');
    case 'not':
      return `NOT ${child(node.child, 'not')}`;
  }
}
