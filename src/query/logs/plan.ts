// A log search as the store evaluates it: leaves are sets of index terms (exact, or expanded from the term
// dictionary for prefix, fuzzy and regex), combined with and / or / not; phrases need consecutive positions.
// parseSearch's AST (src/logs/search/) becomes a plan in planOf; the oracle is matchRow over the same AST.
import type { LogRow } from '../../logs/model.ts';
import type { SearchNode } from '../../logs/search/ast.ts';
import { matchRow, termMatcher } from '../../logs/search/match.ts';

/** How a leaf's terms are found in the dictionary of a field. */
export type TermSet =
  | { kind: 'exact'; values: readonly string[] }
  | { kind: 'prefix'; prefix: string }
  /** Every term of the field (within `prefix`, if given) that passes `test`. */
  | { kind: 'scan'; prefix?: string; describe: string; test: (term: string) => boolean };

export type Plan =
  | { op: 'all' }
  | { op: 'none' }
  /** Rows holding any of the terms of `field` ('' = body terms). */
  | { op: 'terms'; field: string; terms: TermSet }
  /** Rows whose body holds the terms at consecutive positions. */
  | { op: 'phrase'; terms: readonly string[] }
  | { op: 'and'; items: readonly Plan[] }
  | { op: 'or'; items: readonly Plan[] }
  | { op: 'not'; item: Plan };

const EMPTY_ROW: LogRow = { timeMs: 0, timeNanos: 0, severityNumber: 0, severityText: '', body: '', traceId: '', spanId: '', service: '', resource: [], attributes: [] };

/** Severity numbers (0–24) a severity filter accepts: decided by the oracle itself, so both agree. */
function severityValues(node: SearchNode): string[] {
  const out: string[] = [];
  for (let n = 0; n <= 24; n++) if (matchRow(node, { ...EMPTY_ROW, severityNumber: n })) out.push(String(n));
  return out;
}

/** The plan of a parsed search. */
export function planOf(node: SearchNode): Plan {
  switch (node.kind) {
    case 'all':
      return { op: 'all' };
    case 'term':
      return { op: 'terms', field: '', terms: { kind: 'exact', values: [node.term] } };
    case 'phrase':
      return { op: 'phrase', terms: node.terms };
    case 'prefix':
      return { op: 'terms', field: '', terms: { kind: 'prefix', prefix: node.prefix } };
    case 'fuzzy':
      return { op: 'terms', field: '', terms: { kind: 'scan', describe: `fuzzy "${node.term}~${node.distance}"`, test: termMatcher(node) } };
    case 'regex':
      return { op: 'terms', field: '', terms: { kind: 'scan', describe: `regex /${node.pattern}/`, test: termMatcher(node) } };
    case 'severity':
      return { op: 'terms', field: 'severity', terms: { kind: 'exact', values: severityValues(node) } };
    case 'field':
      return { op: 'terms', field: node.field, terms: { kind: 'exact', values: [node.value] } };
    case 'attribute':
      return { op: 'terms', field: `${node.scope}.${node.key}`, terms: { kind: 'exact', values: [node.value] } };
    case 'and':
      return { op: 'and', items: node.children.map(planOf) };
    case 'or':
      return { op: 'or', items: node.children.map(planOf) };
    case 'not':
      return { op: 'not', item: planOf(node.child) };
  }
}
