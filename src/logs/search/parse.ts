// Native log search text → SearchNode. A hand-written lexer and recursive-descent parser; errors name what is wrong
// and where (0-based character offset in q). Input is bounded (length, nesting, clauses) so a hostile query fails fast.
//
// Grammar (whitespace between tokens is free; precedence NOT > AND > OR):
//   query   = or | ε                          (empty or `*`: everything)
//   or      = and { "OR" and }
//   and     = unary { [ "AND" ] unary }        (juxtaposition is AND)
//   unary   = ( "NOT" | "-" ) unary | "(" or ")" | leaf          ("-" sticks to what follows: `-word`, `-(a b)`)
//   leaf    = "*" | word | word "*" | word "~" [0-2] | quoted [ "*" | "~" [0-2] ] | "/" regex "/" | field
//   field   = ( "severity" ( ":" | ">=" | "<=" | ">" | "<" ) | ( "service" | "trace_id" | "span_id" ) ":"
//             | ( "attr." | "resource." ) key ":" ) value        (names case-insensitive; key and value may be quoted)
// A word is what runs up to whitespace, '(', ')' or '"'. Words and quoted phrases go through the tokenizer: one term
// is a term, several are a phrase (`user-42` = "user 42"); a prefix or fuzzy word must be one term. AND, OR and NOT
// are keywords only in upper case. A '/' starts a regex only when its closing '/' ends the token (`/err.*/`); else
// it is a word, so `/api/v1/users` and `/api/v1*` search paths. Inside a regex or quotes, `\/` and `\"` escape.
//
// Meaning (match.ts): text leaves look at the body's terms only; a regex must match a whole term, and terms are
// lower-case, so write it in lower case or with (?i). Field values compare exactly (case-sensitive; trace and span
// ids are lower-cased hex). Ordered severity comparisons match only records that have a severity (1–24);
// `severity:unknown` (or `:0`) finds those without. An empty query or `*` matches everything.
import { SEVERITY_NAMES, type SearchNode, type SeverityName, type SeverityOperator } from './ast.ts';
import { compileRegex, RegexError } from '../../query/traceql/regex.ts';
import { tokenize } from '../tokenize.ts';

/** Longest query accepted (characters). */
export const MAX_SEARCH_LENGTH = 4096;
/** Deepest nesting of parentheses and NOTs accepted. */
export const MAX_SEARCH_DEPTH = 32;
/** Most leaves (terms, phrases, filters, …) in one query. */
export const MAX_SEARCH_CLAUSES = 256;

/** A query that cannot be parsed; `position` is the 0-based character offset the message names. */
export class SearchSyntaxError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(message);
    this.name = 'SearchSyntaxError';
    this.position = position;
  }
}

type Token =
  | { t: '(' | ')' | 'AND' | 'OR' | 'NOT' | '-' | 'end'; at: number }
  | { t: 'leaf'; node: SearchNode; at: number };

const FIELD_RE = /(severity|service|trace_id|span_id)(>=|<=|>|<|:|=)|(attr|resource)\.("(?:[^"\\]|\\[\s\S])*"|[^\s:()"<>=]+)(>=|<=|>|<|:|=)/iy;
const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
const endsWord = (c: string | undefined) => c === undefined || c === '(' || c === ')' || c === '"' || isSpace(c);

/** Short quotation of user text for a message. */
function quote(text: string): string {
  return `'${text.length > 40 ? text.slice(0, 40) + '…' : text}'`;
}

function fail(message: string, at: number): never {
  throw new SearchSyntaxError(`q: ${message}`, at);
}

class Lexer {
  private pos = 0;
  private readonly src: string;
  constructor(src: string) {
    this.src = src;
  }

  next(): Token {
    const s = this.src;
    while (this.pos < s.length && isSpace(s[this.pos])) this.pos++;
    const at = this.pos;
    if (at >= s.length) return { t: 'end', at };
    const c = s[at];
    if (c === '(' || c === ')') {
      this.pos++;
      return { t: c, at };
    }
    if (c === '"') return this.quoted(at);
    if (c === '-') {
      const next = s[at + 1];
      if (next === undefined || next === ')' || isSpace(next)) fail(`'-' at ${at} needs what to exclude right after it`, at);
      this.pos++;
      return { t: '-', at };
    }
    if (c === '/') {
      const regex = this.regex(at);
      if (regex !== undefined) return regex;
    }
    FIELD_RE.lastIndex = at;
    const field = FIELD_RE.exec(s);
    if (field !== null) return this.field(field, at);
    return this.word(at);
  }

  /** A "quoted" string from `at` (the opening quote); `this.pos` ends after the closing quote. */
  private string(at: number): string {
    const s = this.src;
    let out = '';
    let i = at + 1;
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      out += s[i++];
    }
    if (i >= s.length) fail(`'"' at ${at} is never closed`, at);
    this.pos = i + 1;
    return out;
  }

  private quoted(at: number): Token {
    const text = this.string(at);
    const modifier = this.src[this.pos];
    if (modifier === '*') {
      this.pos++;
      return { t: 'leaf', node: { kind: 'prefix', prefix: oneTerm(text, at, 'a prefix') }, at };
    }
    if (modifier === '~') {
      this.pos++;
      const digits = /\d*/y;
      digits.lastIndex = this.pos;
      const d = digits.exec(this.src)![0];
      this.pos += d.length;
      return { t: 'leaf', node: { kind: 'fuzzy', term: oneTerm(text, at, 'a fuzzy word'), distance: fuzzyDistance(d, this.pos - d.length - 1) }, at };
    }
    const terms = tokenize(text);
    if (terms.length === 0) fail(`phrase at ${at} has no letters or digits to search for`, at);
    return { t: 'leaf', node: terms.length === 1 ? { kind: 'term', term: terms[0] } : { kind: 'phrase', terms }, at };
  }

  /** A regex when the '/' at `at` has a closing '/' that ends the token. */
  private regex(at: number): Token | undefined {
    const s = this.src;
    let i = at + 1;
    let pattern = '';
    while (i < s.length && s[i] !== '/') {
      if (s[i] === '\\' && s[i + 1] === '/') {
        pattern += '/';
        i += 2;
      } else if (s[i] === '\\' && i + 1 < s.length) {
        pattern += s[i] + s[i + 1];
        i += 2;
      } else pattern += s[i++];
    }
    if (i >= s.length || !(i + 1 === s.length || isSpace(s[i + 1]) || s[i + 1] === ')')) return undefined;
    try {
      compileRegex(pattern);
    } catch (e) {
      if (e instanceof RegexError) fail(`regex at ${at}: ${e.message}`, at);
      throw e;
    }
    this.pos = i + 1;
    return { t: 'leaf', node: { kind: 'regex', pattern }, at };
  }

  private value(name: string, at: number): string {
    const s = this.src;
    if (s[this.pos] === '"') return this.string(this.pos);
    const from = this.pos;
    while (!endsWord(s[this.pos])) this.pos++;
    if (this.pos === from) fail(`${name} at ${at} needs a value`, at);
    return s.slice(from, this.pos);
  }

  private field(m: RegExpExecArray, at: number): Token {
    this.pos = at + m[0].length;
    if (m[1] !== undefined) {
      const name = m[1].toLowerCase() as 'severity' | 'service' | 'trace_id' | 'span_id';
      const op = m[2];
      if (name === 'severity') {
        if (op === '=') fail(`severity at ${at} takes ':', '>=', '<=', '>' or '<', not '='`, at);
        const value = this.value(name, at);
        return { t: 'leaf', node: { kind: 'severity', op: op as SeverityOperator, level: severityLevelOf(value, at) }, at };
      }
      if (op !== ':') fail(`${name} at ${at} takes ':' (only severity compares), not ${quote(op)}`, at);
      const value = this.value(name, at);
      if (name === 'service') return { t: 'leaf', node: { kind: 'field', field: name, value }, at };
      const digits = name === 'trace_id' ? 32 : 16;
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(value)) fail(`${name} at ${at} must be ${digits} hex digits, not ${quote(value)}`, at);
      return { t: 'leaf', node: { kind: 'field', field: name, value: value.toLowerCase() }, at };
    }
    const scope = m[3].toLowerCase() as 'attr' | 'resource';
    const rawKey = m[4];
    const key = rawKey.startsWith('"') ? rawKey.slice(1, -1).replace(/\\([\s\S])/g, '$1') : rawKey;
    if (m[5] !== ':') fail(`${scope}.${key} at ${at} takes ':' (only severity compares), not ${quote(m[5])}`, at);
    if (key === '') fail(`${scope}. at ${at} needs an attribute key`, at);
    const value = this.value(`${scope}.${key}`, at);
    return { t: 'leaf', node: { kind: 'attribute', scope, key, value }, at };
  }

  private word(at: number): Token {
    const s = this.src;
    while (!endsWord(s[this.pos])) this.pos++;
    const text = s.slice(at, this.pos);
    if (text === 'AND' || text === 'OR' || text === 'NOT') return { t: text, at };
    if (text === '*') return { t: 'leaf', node: { kind: 'all' }, at };
    const star = text.indexOf('*');
    if (star >= 0) {
      if (star !== text.length - 1) fail(`'*' at ${at + star}: only a trailing '*' (prefix) is supported`, at + star);
      return { t: 'leaf', node: { kind: 'prefix', prefix: oneTerm(text.slice(0, -1), at, 'a prefix') }, at };
    }
    const fuzzy = /~(\d*)$/.exec(text);
    if (fuzzy !== null) {
      const stem = text.slice(0, fuzzy.index);
      return { t: 'leaf', node: { kind: 'fuzzy', term: oneTerm(stem, at, 'a fuzzy word'), distance: fuzzyDistance(fuzzy[1], at + fuzzy.index) }, at };
    }
    const terms = tokenize(text);
    if (terms.length === 0) fail(`${quote(text)} at ${at} has no letters or digits to search for`, at);
    return { t: 'leaf', node: terms.length === 1 ? { kind: 'term', term: terms[0] } : { kind: 'phrase', terms }, at };
  }
}

function oneTerm(text: string, at: number, what: string): string {
  const terms = tokenize(text);
  if (terms.length === 0) fail(`${quote(text)} at ${at} has no letters or digits to search for`, at);
  if (terms.length > 1) fail(`${what} must be one word: ${quote(text)} at ${at} is ${terms.length} (${terms.join(' ')})`, at);
  return terms[0];
}

function fuzzyDistance(digits: string, at: number): 0 | 1 | 2 {
  if (digits === '') return 2;
  const d = Number(digits);
  if (d > 2) fail(`fuzzy distance ${digits} at ${at} is more than 2`, at);
  return d as 0 | 1 | 2;
}

function severityLevelOf(value: string, at: number): SeverityName | number {
  const lower = value.toLowerCase();
  if ((SEVERITY_NAMES as readonly string[]).includes(lower)) return lower as SeverityName;
  if (/^\d{1,2}$/.test(value) && Number(value) <= 24) return Number(value);
  return fail(`severity at ${at}: ${quote(value)} is not a level (${SEVERITY_NAMES.join(', ')} or a number 0–24)`, at);
}

function describe(tok: Token): string {
  return tok.t === 'leaf' ? 'search term' : tok.t === '(' || tok.t === ')' || tok.t === '-' ? `'${tok.t}'` : tok.t;
}

class Parser {
  private tok: Token;
  private clauses = 0;
  private readonly lexer: Lexer;
  constructor(lexer: Lexer) {
    this.lexer = lexer;
    this.tok = lexer.next();
  }

  /** The token at hand (a method, so TypeScript does not keep a narrowing across calls that advance). */
  private current(): Token {
    return this.tok;
  }

  private advance(): Token {
    const t = this.tok;
    this.tok = this.lexer.next();
    return t;
  }

  parse(): SearchNode {
    if (this.tok.t === 'end') return { kind: 'all' };
    const node = this.or(0);
    const rest = this.current();
    if (rest.t !== 'end') fail(`unexpected ${describe(rest)} at ${rest.at}`, rest.at);
    return node;
  }

  private or(depth: number): SearchNode {
    const children = [this.and(depth)];
    while (this.tok.t === 'OR') {
      const op = this.advance();
      children.push(this.and(depth, op));
    }
    return children.length === 1 ? children[0] : { kind: 'or', children };
  }

  private and(depth: number, after?: Token): SearchNode {
    const children = [this.unary(depth, after)];
    for (;;) {
      const t = this.tok.t;
      if (t === 'AND') {
        const op = this.advance();
        children.push(this.unary(depth, op));
      } else if (t === 'leaf' || t === '(' || t === 'NOT' || t === '-') children.push(this.unary(depth));
      else break;
    }
    return children.length === 1 ? children[0] : { kind: 'and', children };
  }

  private unary(depth: number, after?: Token): SearchNode {
    const tok = this.advance();
    switch (tok.t) {
      case 'NOT':
      case '-':
        this.deeper(depth, tok.at);
        return { kind: 'not', child: this.unary(depth + 1, tok) };
      case '(': {
        this.deeper(depth, tok.at);
        if (this.tok.t === 'end') fail(`'(' at ${tok.at} is never closed`, tok.at);
        const inner = this.or(depth + 1);
        if (this.tok.t !== ')') fail(`'(' at ${tok.at} is never closed`, tok.at);
        this.advance();
        return inner;
      }
      case 'leaf':
        if (++this.clauses > MAX_SEARCH_CLAUSES) fail(`more than ${MAX_SEARCH_CLAUSES} clauses (at ${tok.at})`, tok.at);
        return tok.node;
      case 'end':
        if (after !== undefined) fail(`${describe(after)} at ${after.at} has nothing after it`, after.at);
        return fail(`unexpected end at ${tok.at}`, tok.at);
      default:
        return fail(`unexpected ${describe(tok)} at ${tok.at}`, tok.at);
    }
  }

  private deeper(depth: number, at: number): void {
    if (depth + 1 > MAX_SEARCH_DEPTH) fail(`nested more than ${MAX_SEARCH_DEPTH} deep at ${at}`, at);
  }
}

/** Parses the native search syntax (the `q` of /api/logs/search); throws SearchSyntaxError. */
export function parseSearch(q: string): SearchNode {
  if (q.length > MAX_SEARCH_LENGTH) fail(`${q.length} characters long, more than ${MAX_SEARCH_LENGTH}`, MAX_SEARCH_LENGTH);
  return new Parser(new Lexer(q)).parse();
}
