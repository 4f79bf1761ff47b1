// Native log search: the query language of GET /api/logs/search?q= (parse, print), its brute-force meaning on one
// row, and the term predicates the log index evaluates over its dictionary.
export type {
  AllNode, AndNode, AttributeNode, FieldNode, FuzzyNode, NotNode, OrNode, PhraseNode, PrefixNode, RegexNode, SearchNode,
  SeverityName, SeverityNode, SeverityOperator, TermNode, TermTestNode,
} from './ast.ts';
export { SEVERITY_NAMES } from './ast.ts';
export { MAX_SEARCH_CLAUSES, MAX_SEARCH_DEPTH, MAX_SEARCH_LENGTH, parseSearch, SearchSyntaxError } from './parse.ts';
export { formatSearch } from './format.ts';
export { hasPhrase, matchRow, queryTerms, severityRange, termMatcher } from './match.ts';
export { withinEditDistance } from './fuzzy.ts';
