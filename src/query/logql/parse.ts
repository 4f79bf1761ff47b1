// LogQL text → LogQLQuery: a hand-written lexer and recursive-descent parser for the subset in ast.ts. Errors read like
// Loki's — `parse error at line 1, col 12: syntax error: unexpected …, expecting …` (line and column 1-based) — and
// input is bounded (length, nesting) so hostile queries fail fast.
//
// Grammar (whitespace between tokens is free):
//   query    = metric | log
//   log      = selector { filter } | "(" log ")"
//   selector = "{" matcher { "," matcher } [ "," ] "}"
//   matcher  = label ( "=" | "!=" | "=~" | "!~" ) string
//   filter   = ( "|=" | "!=" | "|~" | "!~" ) string
//   metric   = rangefn "(" log range ")" | vectorop [ grouping ] "(" metric ")" [ grouping ] | "(" metric ")"
//   range    = "[" duration "]"                      (duration: 5m, 1h30m, 90s, 1d, 250ms …)
//   grouping = ( "by" | "without" ) "(" [ label { "," label } ] ")"
//   string   = "…" (Go escapes) | `…` (raw)
import {
  RANGE_FUNCTIONS, VECTOR_OPERATORS, type LabelMatcher, type LineFilter, type LineFilterOperator, type LogQLQuery, type LogQuery,
  type MatchOperator, type MetricQuery, type RangeFunction, type VectorAggregation, type VectorOperator,
} from './ast.ts';
import { compileRegex, RegexError, type Regex } from '../traceql/regex.ts';

/** Longest query text accepted. */
export const MAX_QUERY_LENGTH = 16 * 1024;
/** Deepest nesting of parentheses accepted. */
export const MAX_QUERY_DEPTH = 32;
/** Longest range accepted (`[…]`): ns must stay exact in a double. */
export const MAX_RANGE_NANOS = 100 * 24 * 3600e9;

/** A query that cannot be parsed; `line` and `col` are 1-based, `position` the 0-based character offset. */
export class LogQLError extends Error {
  readonly position: number;
  readonly line: number;
  readonly col: number;
  constructor(message: string, position: number, line: number, col: number) {
    super(message);
    this.name = 'LogQLError';
    this.position = position;
    this.line = line;
    this.col = col;
  }
}

type Punct = '{' | '}' | '(' | ')' | '[' | ']' | ',' | '=' | '!=' | '=~' | '!~' | '|=' | '|~';
type Token =
  | { t: 'punct'; v: Punct; at: number }
  | { t: 'ident'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'end'; at: number };

const DURATION_UNITS: Record<string, number> = {
  ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9, w: 7 * 86400e9, y: 365 * 86400e9,
};

class Parser {
  private pos = 0;
  private look: Token;
  private readonly src: string;

  constructor(src: string) {
    this.src = src;
    if (src.length > MAX_QUERY_LENGTH) this.fail(MAX_QUERY_LENGTH, `query is ${src.length} characters long, more than ${MAX_QUERY_LENGTH}`);
    this.look = this.lex();
  }

  fail(at: number, message: string): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.src.length; i++) {
      if (this.src[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    const col = at - lineStart + 1;
    throw new LogQLError(`parse error at line ${line}, col ${col}: ${message}`, at, line, col);
  }

  private unexpected(tok: Token, expecting: string): never {
    return this.fail(tok.at, `syntax error: unexpected ${describe(tok)}, expecting ${expecting}`);
  }

  // ---- lexer ----

  private skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
  }

  private lex(): Token {
    this.skipSpace();
    const s = this.src;
    const at = this.pos;
    if (at >= s.length) return { t: 'end', at };
    const two = s.slice(at, at + 2);
    if (two === '!=' || two === '=~' || two === '!~' || two === '|=' || two === '|~') {
      this.pos += 2;
      return { t: 'punct', v: two, at };
    }
    const c = s[at];
    if ('{}()[],='.includes(c)) {
      this.pos++;
      return { t: 'punct', v: c as Punct, at };
    }
    if (c === '"' || c === '`') return { t: 'string', v: this.string(), at };
    const ident = /[A-Za-z_][A-Za-z0-9_]*/y;
    ident.lastIndex = at;
    const m = ident.exec(s);
    if (m !== null) {
      this.pos += m[0].length;
      return { t: 'ident', v: m[0], at };
    }
    return this.fail(at, `syntax error: unexpected character ${JSON.stringify(String.fromCodePoint(s.codePointAt(at)!))}`);
  }

  // A Go string literal: "…" with Go's escapes, or `…` raw.
  private string(): string {
    const s = this.src;
    const start = this.pos;
    const quote = s[start];
    let i = start + 1;
    if (quote === '`') {
      const end = s.indexOf('`', i);
      if (end < 0) this.fail(start, 'syntax error: unterminated raw string');
      this.pos = end + 1;
      return s.slice(i, end);
    }
    let out = '';
    while (true) {
      if (i >= s.length || s[i] === '\n') this.fail(start, 'syntax error: unterminated string');
      const c = s[i];
      if (c === '"') break;
      if (c !== '\\') {
        out += c;
        i++;
        continue;
      }
      const e = s[i + 1];
      const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };
      if (e !== undefined && simple[e] !== undefined) {
        out += simple[e];
        i += 2;
        continue;
      }
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      if (hex > 0) {
        const digits = s.slice(i + 2, i + 2 + hex);
        if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) this.fail(i, `syntax error: invalid escape \\${e} in string`);
        const cp = parseInt(digits, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) this.fail(i, `syntax error: escape \\${e}${digits} is not a valid code point`);
        out += String.fromCodePoint(cp);
        i += 2 + hex;
        continue;
      }
      if (e !== undefined && /[0-7]/.test(e)) {
        const digits = s.slice(i + 1, i + 4);
        if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) this.fail(i, 'syntax error: invalid octal escape in string');
        out += String.fromCharCode(parseInt(digits, 8));
        i += 4;
        continue;
      }
      this.fail(i, `syntax error: unknown escape sequence \\${e ?? ''} in string (write \\\\ for a backslash, e.g. "\\\\d" in a regex)`);
    }
    this.pos = i + 1;
    return out;
  }

  private next(): Token {
    const tok = this.look;
    this.look = this.lex();
    return tok;
  }

  // The lookahead, unnarrowed (after next() an earlier check on it no longer holds).
  private peek(): Token {
    return this.look;
  }

  private isPunct(v: Punct): boolean {
    return this.look.t === 'punct' && this.look.v === v;
  }

  private expect(v: Punct, expecting = `"${v}"`): Token {
    if (!this.isPunct(v)) this.unexpected(this.look, expecting);
    return this.next();
  }

  // ---- grammar ----

  parse(): LogQLQuery {
    const q = this.query(0);
    if (this.look.t !== 'end') this.unexpected(this.look, q.kind === 'log' ? 'a line filter (|=, !=, |~, !~) or end of query' : 'end of query');
    return q;
  }

  private query(depth: number): LogQLQuery {
    if (depth > MAX_QUERY_DEPTH) this.fail(this.look.at, `syntax error: expressions nested more than ${MAX_QUERY_DEPTH} deep`);
    const tok = this.look;
    if (tok.t === 'punct' && tok.v === '{') return this.logQuery();
    if (tok.t === 'punct' && tok.v === '(') {
      this.next();
      const q = this.query(depth + 1);
      this.expect(')', q.kind === 'log' ? 'a line filter or ")"' : '")"');
      return q;
    }
    if (tok.t === 'ident' && (RANGE_FUNCTIONS as readonly string[]).includes(tok.v)) return this.rangeAggregation(depth);
    if (tok.t === 'ident' && (VECTOR_OPERATORS as readonly string[]).includes(tok.v)) return this.vectorAggregation(depth);
    if (tok.t === 'ident') {
      return this.fail(tok.at, `syntax error: unexpected IDENTIFIER ${JSON.stringify(tok.v)}, expecting "{", "(" or one of ${[...RANGE_FUNCTIONS, ...VECTOR_OPERATORS].join(', ')}`);
    }
    return this.unexpected(tok, '"{", "(" or a function');
  }

  private logQuery(): LogQuery {
    const open = this.expect('{');
    const matchers: LabelMatcher[] = [];
    while (!this.isPunct('}')) {
      matchers.push(this.matcher());
      if (this.isPunct(',')) this.next();
      else if (!this.isPunct('}')) this.unexpected(this.look, '"," or "}"');
    }
    this.next();
    if (matchers.length === 0) this.fail(open.at, 'syntax error: a stream selector needs at least one label matcher, e.g. {service_name="checkout"}');
    if (matchers.every((m) => matchesEmpty(m))) {
      this.fail(open.at, 'queries need at least one matcher that cannot match an empty value (=~".*" matches every stream; use =~".+" or an equality)');
    }
    const filters: LineFilter[] = [];
    while (this.look.t === 'punct' && (['|=', '!=', '|~', '!~'] as Punct[]).includes(this.look.v)) {
      const op = this.next() as { v: LineFilterOperator; at: number };
      const lit = this.peek();
      if (lit.t !== 'string') this.unexpected(lit, 'a string');
      this.next();
      const filter: LineFilter = { op: op.v, value: lit.v };
      // Unanchored: the regex may match anywhere in the line.
      if (op.v === '|~' || op.v === '!~') filter.regex = this.regex(`(?s:.*)(?:${lit.v})(?s:.*)`, lit.at, lit.v);
      filters.push(filter);
    }
    return { kind: 'log', matchers, filters };
  }

  private matcher(): LabelMatcher {
    const name = this.look;
    if (name.t !== 'ident') this.unexpected(name, 'a label name');
    this.next();
    const op = this.look;
    if (op.t !== 'punct' || !['=', '!=', '=~', '!~'].includes(op.v)) this.unexpected(op, '=, !=, =~ or !~');
    this.next();
    const value = this.look;
    if (value.t !== 'string') this.unexpected(value, 'a string');
    this.next();
    const m: LabelMatcher = { name: name.v, op: op.v as MatchOperator, value: value.v };
    if (m.op === '=~' || m.op === '!~') m.regex = this.regex(value.v, value.at, value.v);
    return m;
  }

  private regex(pattern: string, at: number, shown: string): Regex {
    try {
      return compileRegex(pattern);
    } catch (e) {
      if (e instanceof RegexError) this.fail(at, `invalid regex ${JSON.stringify(shown.slice(0, 80))}: ${e.message}`);
      throw e;
    }
  }

  private rangeAggregation(depth: number): MetricQuery {
    const fn = this.next() as { v: RangeFunction };
    this.expect('(');
    let query: LogQuery;
    if (this.isPunct('(')) {
      const inner = this.query(depth + 1);
      if (inner.kind !== 'log') this.fail(this.look.at, `syntax error: ${fn.v} takes a log query, not a metric query`);
      query = inner;
    } else {
      if (!this.isPunct('{')) this.unexpected(this.look, 'a stream selector "{"');
      query = this.logQuery();
    }
    const rangeNanos = this.range(query);
    this.expect(')');
    return { kind: 'range', fn: fn.v, query, rangeNanos };
  }

  // `[5m]`: read straight from the source (a duration is no token elsewhere).
  private range(_query: LogQuery): number {
    if (!this.isPunct('[')) this.unexpected(this.look, 'a line filter or a range like [5m]');
    const open = this.look.at;
    const close = this.src.indexOf(']', open);
    if (close < 0) this.fail(open, 'syntax error: unterminated range, expecting "]"');
    const text = this.src.slice(open + 1, close).trim();
    const part = /(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h|d|w|y)/y;
    let nanos = 0;
    let at = 0;
    while (at < text.length) {
      part.lastIndex = at;
      const m = part.exec(text);
      if (m === null) break;
      nanos += Number(m[1]) * DURATION_UNITS[m[2]];
      at = part.lastIndex;
    }
    if (at === 0 || at < text.length) this.fail(open + 1, `syntax error: invalid range ${JSON.stringify(text.slice(0, 40))}, expecting a duration like 5m, 1h or 30s`);
    nanos = Math.round(nanos);
    if (nanos <= 0) this.fail(open + 1, 'syntax error: the range must be positive');
    if (nanos > MAX_RANGE_NANOS) this.fail(open + 1, `syntax error: range ${text} is longer than ${MAX_RANGE_NANOS / 86400e9}d`);
    this.pos = close + 1;
    this.look = this.lex();
    return nanos;
  }

  private vectorAggregation(depth: number): MetricQuery {
    const op = this.next() as { v: VectorOperator; at: number };
    let grouping = this.grouping();
    this.expect('(', grouping === undefined ? '"(", "by" or "without"' : '"("');
    const innerAt = this.look.at;
    const inner = this.query(depth + 1);
    if (inner.kind === 'log') this.fail(innerAt, `syntax error: ${op.v} aggregates a metric query such as count_over_time({…}[5m]), not log lines`);
    this.expect(')');
    if (grouping === undefined) grouping = this.grouping();
    else if (this.look.t === 'ident' && (this.look.v === 'by' || this.look.v === 'without')) this.fail(this.look.at, 'syntax error: a second grouping ("by" or "without") for the same aggregation');
    const agg: VectorAggregation = { kind: 'vector', op: op.v, inner };
    if (grouping !== undefined) agg.grouping = grouping;
    return agg;
  }

  private grouping(): { without: boolean; labels: string[] } | undefined {
    const tok = this.look;
    if (tok.t !== 'ident' || (tok.v !== 'by' && tok.v !== 'without')) return undefined;
    this.next();
    this.expect('(');
    const labels: string[] = [];
    while (!this.isPunct(')')) {
      const label = this.look;
      if (label.t !== 'ident') this.unexpected(label, 'a label name');
      this.next();
      labels.push(label.v);
      if (this.isPunct(',')) this.next();
      else if (!this.isPunct(')')) this.unexpected(this.look, '"," or ")"');
    }
    this.next();
    return { without: tok.v === 'without', labels };
  }
}

function describe(tok: Token): string {
  switch (tok.t) {
    case 'end':
      return 'end of query';
    case 'punct':
      return `"${tok.v}"`;
    case 'ident':
      return `IDENTIFIER ${JSON.stringify(tok.v)}`;
    case 'string':
      return `STRING ${JSON.stringify(tok.v.length > 40 ? tok.v.slice(0, 40) + '…' : tok.v)}`;
  }
}

/** Whether a matcher accepts a stream without the label (an empty value). */
export function matchesEmpty(m: LabelMatcher): boolean {
  switch (m.op) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return m.regex!.test('');
    case '!~':
      return !m.regex!.test('');
  }
}

/** Parses a LogQL query (the subset in ast.ts); throws LogQLError. */
export function parseLogQL(text: string): LogQLQuery {
  return new Parser(text).parse();
}

/** Parses a bare stream selector (`{a="x"}`, no filters), as /labels and /label/<name>/values take it; throws LogQLError. */
export function parseSelector(text: string): LogQuery {
  const q = parseLogQL(text);
  if (q.kind !== 'log' || q.filters.length > 0) throw new LogQLError('parse error at line 1, col 1: expecting a stream selector like {service_name="checkout"}', 0, 1, 1);
  return q;
}
