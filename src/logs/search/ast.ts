// The native log search query as a tree: what parseSearch returns, formatSearch prints, matchRow evaluates and the
// log index plans. Text leaves hold terms as the tokenizer makes them (lower-case), field leaves hold exact values.

/** Level names a severity filter accepts ('unknown' is severity number 0: the record said nothing). */
export const SEVERITY_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'unknown'] as const;
export type SeverityName = (typeof SEVERITY_NAMES)[number];

/** `severity:x` is within x's range; the others compare with it (and match only records with a severity, 1–24). */
export type SeverityOperator = ':' | '>' | '>=' | '<' | '<=';

/** Everything (`*` or an empty query). */
export interface AllNode {
  kind: 'all';
}
/** A body term. */
export interface TermNode {
  kind: 'term';
  term: string;
}
/** Body terms at consecutive positions (two or more). */
export interface PhraseNode {
  kind: 'phrase';
  terms: readonly string[];
}
/** Some body term starts with `prefix` (`word*`). */
export interface PrefixNode {
  kind: 'prefix';
  prefix: string;
}
/** Some body term is within `distance` edits (Levenshtein over code points) of `term` (`word~`, `word~1`). */
export interface FuzzyNode {
  kind: 'fuzzy';
  term: string;
  distance: 0 | 1 | 2;
}
/** Some whole body term matches the RE2 `pattern` (fully anchored; terms are lower-case). */
export interface RegexNode {
  kind: 'regex';
  pattern: string;
}
/** `severity<op><level>`: `level` is a name or a severity number 0–24. */
export interface SeverityNode {
  kind: 'severity';
  op: SeverityOperator;
  level: SeverityName | number;
}
/** `service:x`, `trace_id:x`, `span_id:x`: the row's field equals `value` (ids lower-case hex). */
export interface FieldNode {
  kind: 'field';
  field: 'service' | 'trace_id' | 'span_id';
  value: string;
}
/** `attr.<key>:<value>` / `resource.<key>:<value>`: some record (or resource) attribute `key` has text `value`. */
export interface AttributeNode {
  kind: 'attribute';
  scope: 'attr' | 'resource';
  key: string;
  value: string;
}
export interface AndNode {
  kind: 'and';
  children: readonly SearchNode[];
}
export interface OrNode {
  kind: 'or';
  children: readonly SearchNode[];
}
export interface NotNode {
  kind: 'not';
  child: SearchNode;
}

export type SearchNode =
  | AllNode | TermNode | PhraseNode | PrefixNode | FuzzyNode | RegexNode
  | SeverityNode | FieldNode | AttributeNode
  | AndNode | OrNode | NotNode;

/** Leaves that test single body terms (the index looks them up in its term dictionary). */
export type TermTestNode = TermNode | PrefixNode | FuzzyNode | RegexNode;
