// The meaning of a search, by brute force over one row: the oracle the log index is tested against, and the
// predicates the index reuses on its term dictionary. Text leaves look at the body's terms (the tokenizer's);
// field leaves compare exact text values.
import { SEVERITY_LEVELS, type LogRow } from '../model.ts';
import { compileRegex } from '../../query/traceql/regex.ts';
import { tokenize } from '../tokenize.ts';
import type { SearchNode, SeverityNode, TermTestNode } from './ast.ts';
import { withinEditDistance } from './fuzzy.ts';

/** The terms a query word stands for (the tokenizer's: one is a term, several a phrase). */
export function queryTerms(word: string): string[] {
  return tokenize(word);
}

const MAX_SEVERITY = 24;

/** The severity numbers a severity leaf matches, as an inclusive range (empty when min > max). */
export function severityRange(node: SeverityNode): { min: number; max: number } {
  const named = typeof node.level === 'number' ? undefined : SEVERITY_LEVELS.find((l) => l.name === node.level);
  const [lo, hi] = typeof node.level === 'number' ? [node.level, node.level] : named !== undefined ? [named.min, named.max] : [0, 0];
  switch (node.op) {
    case ':':
      return { min: lo, max: hi };
    case '>=':
      return { min: Math.max(lo, 1), max: MAX_SEVERITY };
    case '>':
      return { min: Math.max(hi + 1, 1), max: MAX_SEVERITY };
    case '<=':
      return { min: 1, max: hi };
    case '<':
      return { min: 1, max: lo - 1 };
  }
}

const termMatchers = new WeakMap<TermTestNode, (term: string) => boolean>();

/** Whether one term satisfies a term leaf (equal, starts with, within the distance, matches the regex). */
export function termMatcher(node: TermTestNode): (term: string) => boolean {
  let m = termMatchers.get(node);
  if (m !== undefined) return m;
  switch (node.kind) {
    case 'term': {
      const t = node.term;
      m = (term) => term === t;
      break;
    }
    case 'prefix': {
      const p = node.prefix;
      m = (term) => term.startsWith(p);
      break;
    }
    case 'fuzzy': {
      const { term: t, distance } = node;
      m = (term) => withinEditDistance(t, term, distance);
      break;
    }
    case 'regex': {
      const regex = compileRegex(node.pattern);
      m = (term) => regex.test(term);
      break;
    }
  }
  termMatchers.set(node, m);
  return m;
}

/** Whether `terms` holds `phrase` at consecutive positions. */
export function hasPhrase(terms: readonly string[], phrase: readonly string[]): boolean {
  outer: for (let i = 0; i + phrase.length <= terms.length; i++) {
    for (let k = 0; k < phrase.length; k++) if (terms[i + k] !== phrase[k]) continue outer;
    return true;
  }
  return false;
}

function matches(node: SearchNode, row: LogRow, body: { terms?: string[] }): boolean {
  const terms = () => (body.terms ??= tokenize(row.body));
  switch (node.kind) {
    case 'all':
      return true;
    case 'term':
    case 'prefix':
    case 'fuzzy':
    case 'regex':
      return terms().some(termMatcher(node));
    case 'phrase':
      return hasPhrase(terms(), node.terms);
    case 'severity': {
      const { min, max } = severityRange(node);
      return row.severityNumber >= min && row.severityNumber <= max;
    }
    case 'field':
      return (node.field === 'service' ? row.service : node.field === 'trace_id' ? row.traceId : row.spanId) === node.value;
    case 'attribute':
      return (node.scope === 'attr' ? row.attributes : row.resource).some(([k, v]) => k === node.key && v === node.value);
    case 'and':
      return node.children.every((c) => matches(c, row, body));
    case 'or':
      return node.children.some((c) => matches(c, row, body));
    case 'not':
      return !matches(node.child, row, body);
  }
}

/** Whether `row` satisfies the search (brute force: the oracle of the log index). */
export function matchRow(node: SearchNode, row: LogRow): boolean {
  return matches(node, row, {});
}
