// TraceQL text → Query. A hand-written lexer and recursive-descent parser; every error names the position (0-based
// character offset) and what was expected there. Input is bounded (length, nesting) so hostile queries fail fast.
//
// Grammar (whitespace between tokens is free):
//   query     = qterm { "||" qterm }
//   qterm     = qfactor { "&&" qfactor }
//   qfactor   = "{" [ cond ] "}" | "(" query ")"
//   cond      = cterm { "||" cterm }
//   cterm     = cfactor { "&&" cfactor }
//   cfactor   = "(" cond ")" | field [ op literal ] | "true"      (a bare attribute means `= true`)
//   field     = "span." name | "resource." name | "." name | intrinsic
//   name      = segment { "." segment }, a segment is unquoted characters or a "quoted" string
//   intrinsic = name | status | kind | duration | statusMessage | rootName | rootServiceName | traceDuration
//             | span:name | span:status | span:kind | span:duration | span:statusMessage | span:id | span:parentID
//             | trace:duration | trace:rootName | trace:rootService | trace:id
//   literal   = string | number | duration | true | false | nil | status enum | kind enum
import {
  KIND_VALUES, STATUS_VALUES, type ComparisonOperator, type Field, type Intrinsic, type KindValue, type Literal, type Query,
  type SpanCondition, type StatusValue,
} from './ast.ts';
import { compileRegex, RegexError } from './regex.ts';

/** Longest query text accepted. */
export const MAX_QUERY_LENGTH = 32 * 1024;
/** Deepest nesting of parentheses and braces accepted. */
export const MAX_QUERY_DEPTH = 64;

/** A query that cannot be parsed: `position` is the 0-based character offset, `expected` what would have fit. */
export class TraceQLError extends Error {
  readonly position: number;
  readonly expected: string;
  constructor(message: string, position: number, expected: string) {
    super(message);
    this.name = 'TraceQLError';
    this.position = position;
    this.expected = expected;
  }
}

const intrinsics: Record<string, Intrinsic> = {
  name: 'name', status: 'status', kind: 'kind', duration: 'duration', statusMessage: 'statusMessage',
  rootName: 'rootName', rootServiceName: 'rootService', traceDuration: 'traceDuration',
  'span:name': 'name', 'span:status': 'status', 'span:kind': 'kind', 'span:duration': 'duration', 'span:statusMessage': 'statusMessage',
  'span:id': 'spanId', 'span:parentID': 'parentId',
  'trace:duration': 'traceDuration', 'trace:rootName': 'rootName', 'trace:rootService': 'rootService', 'trace:id': 'traceId',
};

const durationUnits: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

type Token =
  | { t: 'punct'; v: '{' | '}' | '(' | ')' | '&&' | '||'; at: number }
  | { t: 'op'; v: ComparisonOperator; at: number }
  | { t: 'field'; field: Field; at: number }
  | { t: 'literal'; lit: Literal; at: number }
  | { t: 'other'; v: string; at: number }
  | { t: 'end'; at: number };

// Characters that end an unquoted attribute name (besides whitespace).
const NAME_STOP = new Set(['{', '}', '(', ')', '=', '!', '<', '>', '~', '&', '|', '"', ',', '^']);

class Lexer {
  private pos = 0;
  private readonly src: string;
  constructor(src: string) {
    this.src = src;
  }

  fail(at: number, expected: string, found?: string): never {
    const what = found ?? describeAt(this.src, at);
    throw new TraceQLError(`TraceQL: at position ${at}: expected ${expected}, found ${what}`, at, expected);
  }

  next(): Token {
    const s = this.src;
    while (this.pos < s.length && /\s/.test(s[this.pos])) this.pos++;
    const at = this.pos;
    if (at >= s.length) return { t: 'end', at };
    const c = s[at];
    const two = s.slice(at, at + 2);
    if (c === '{' || c === '}' || c === '(' || c === ')') {
      this.pos++;
      return { t: 'punct', v: c, at };
    }
    if (two === '&&' || two === '||') {
      this.pos += 2;
      return { t: 'punct', v: two, at };
    }
    if (two === '!=' || two === '>=' || two === '<=' || two === '=~' || two === '!~') {
      this.pos += 2;
      return { t: 'op', v: two, at };
    }
    if (c === '=' || c === '>' || c === '<') {
      this.pos++;
      return { t: 'op', v: c, at };
    }
    if (c === '"') return { t: 'literal', lit: { type: 'string', value: this.quoted() }, at };
    if (c === '.') {
      this.pos++;
      return { t: 'field', field: { kind: 'attribute', scope: 'unscoped', key: this.attributeName(at) }, at };
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(s[at + 1] ?? ''))) return { t: 'literal', lit: this.number(), at };
    const word = /^[A-Za-z_][A-Za-z0-9_]*(:[A-Za-z_][A-Za-z0-9_]*)?/.exec(s.slice(at, at + 64));
    if (word === null) {
      // Left to the parser, which knows what it expected here (`|` of a pipeline, `~` of a structural operator…).
      const cp = s.codePointAt(at)!;
      this.pos += cp > 0xffff ? 2 : 1;
      return { t: 'other', v: String.fromCodePoint(cp), at };
    }
    const w = word[0];
    if ((w === 'span' || w === 'resource') && s[at + w.length] === '.') {
      this.pos = at + w.length + 1;
      return { t: 'field', field: { kind: 'attribute', scope: w, key: this.attributeName(at) }, at };
    }
    this.pos = at + w.length;
    if (w in intrinsics) return { t: 'field', field: { kind: 'intrinsic', name: intrinsics[w] }, at };
    if (w === 'true' || w === 'false') return { t: 'literal', lit: { type: 'bool', value: w === 'true' }, at };
    if (w === 'nil') return { t: 'literal', lit: { type: 'nil' }, at };
    if ((STATUS_VALUES as readonly string[]).includes(w)) return { t: 'literal', lit: { type: 'status', value: w as StatusValue }, at };
    if ((KIND_VALUES as readonly string[]).includes(w)) return { t: 'literal', lit: { type: 'kind', value: w as KindValue }, at };
    this.pos = at;
    if (w.includes(':')) this.fail(at, 'a known intrinsic (span:name, span:status, span:kind, span:duration, trace:duration, trace:rootName, trace:rootService, …)', `"${w}"`);
    this.fail(at, 'a field (span.<attr>, resource.<attr>, .<attr>, name, status, kind, duration, …) or a value', `"${w}"`);
  }

  // A double-quoted string with \" \\ \n \t \r escapes; `pos` is at the opening quote.
  private quoted(): string {
    const s = this.src;
    const start = this.pos;
    let out = '';
    let k = start + 1;
    for (;;) {
      const end = nextSpecial(s, k);
      if (end < 0) this.fail(start, 'a closing \'"\' for the string starting here', 'the end of the query');
      out += s.slice(k, end);
      if (s[end] === '"') {
        this.pos = end + 1;
        return out;
      }
      const e = s[end + 1];
      const map: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };
      if (e === undefined || !(e in map)) this.fail(end, 'an escape \\" \\\\ \\n \\t or \\r', e === undefined ? 'the end of the query' : `"\\${e}"`);
      out += map[e];
      k = end + 2;
    }
  }

  // An attribute name after its scope prefix: unquoted segments and "quoted" ones, joined by dots.
  private attributeName(fieldAt: number): string {
    const s = this.src;
    let name = '';
    for (;;) {
      if (s[this.pos] === '"') {
        name += this.quoted();
      } else if (this.pos < s.length && !/\s/.test(s[this.pos]) && !NAME_STOP.has(s[this.pos])) {
        const start = this.pos;
        while (this.pos < s.length && !/\s/.test(s[this.pos]) && !NAME_STOP.has(s[this.pos])) this.pos++;
        name += s.slice(start, this.pos);
      } else {
        break;
      }
    }
    if (name === '') this.fail(fieldAt, 'an attribute name after the scope', describeAt(s, this.pos));
    return name;
  }

  // A number or a duration (Go syntax: `1h30m`, `1.5s`, `300ms`).
  private number(): Literal {
    const s = this.src;
    const at = this.pos;
    const m = /^-?(\d+(\.\d+)?)/.exec(s.slice(at, at + 400))!;
    const unitAfter = (p: number) => /^(ns|us|µs|μs|ms|s|m|h)/.exec(s.slice(p, p + 2));
    if (unitAfter(at + m[0].length) !== null) {
      let nanos = 0;
      let p = at + (s[at] === '-' ? 1 : 0);
      for (;;) {
        const part = /^(\d+(\.\d+)?)(ns|us|µs|μs|ms|s|m|h)/.exec(s.slice(p, p + 400));
        if (part === null) break;
        nanos += Number(part[1]) * durationUnits[part[3]];
        p += part[0].length;
        if (!/[0-9]/.test(s[p] ?? '')) break;
      }
      if (/[A-Za-z0-9_.]/.test(s[p] ?? '')) this.fail(at, 'a duration like 100ms, 1.5s or 1h30m (units ns, us, µs, ms, s, m, h)', `"${s.slice(at, p + 1)}"`);
      if (!Number.isSafeInteger(Math.round(nanos))) this.fail(at, `a duration below ${Math.floor(Number.MAX_SAFE_INTEGER / 3600e9)}h`, `"${s.slice(at, p)}"`);
      this.pos = p;
      return { type: 'duration', nanos: (s[at] === '-' ? -1 : 1) * Math.round(nanos) };
    }
    const end = at + m[0].length;
    if (/[A-Za-z_.]/.test(s[end] ?? '')) this.fail(at, 'a number, or a duration with a unit ns, us, µs, ms, s, m or h', `"${s.slice(at, end + 1)}"`);
    this.pos = end;
    if (m[2] !== undefined) return { type: 'float', value: Number(m[0]) };
    const big = BigInt(m[0]);
    if (big > 2n ** 63n - 1n || big < -(2n ** 63n)) this.fail(at, 'an integer within the 64-bit range', `"${m[0]}"`);
    return { type: 'int', value: Number.isSafeInteger(Number(big)) ? Number(big) : big };
  }
}

function nextSpecial(s: string, from: number): number {
  for (let k = from; k < s.length; k++) if (s[k] === '"' || s[k] === '\\') return k;
  return -1;
}

function describeAt(src: string, at: number): string {
  if (at >= src.length) return 'the end of the query';
  const near = src.slice(at, at + 20);
  return `"${near}${src.length > at + 20 ? '…' : ''}"`;
}

/** Parses a TraceQL query of the supported subset; throws TraceQLError naming the position and what was expected. */
export function parseTraceQL(text: string): Query {
  if (text.length > MAX_QUERY_LENGTH) throw new TraceQLError(`TraceQL: the query is ${text.length} characters long, more than ${MAX_QUERY_LENGTH}`, MAX_QUERY_LENGTH, 'a shorter query');
  return new Parser(text).parse();
}

class Parser {
  private readonly lexer: Lexer;
  private tok: Token;
  private depth = 0;
  constructor(text: string) {
    this.lexer = new Lexer(text);
    this.tok = this.lexer.next();
  }

  parse(): Query {
    if (this.tok.t === 'end') this.lexer.fail(0, 'a spanset filter like { status = error }', 'an empty query');
    const q = this.query();
    if ((this.tok as Token).t !== 'end') {
      const pipe = this.tok.at;
      this.lexer.fail(pipe, '"&&", "||" or the end of the query (pipelines, aggregates and structural operators are not supported)');
    }
    return q;
  }

  private advance(): Token {
    const t = this.tok;
    this.tok = this.lexer.next();
    return t;
  }

  private isPunct(v: string): boolean {
    return this.tok.t === 'punct' && this.tok.v === v;
  }

  private enter(at: number): void {
    if (++this.depth > MAX_QUERY_DEPTH) this.lexer.fail(at, `nesting at most ${MAX_QUERY_DEPTH} deep`, 'deeper nesting');
  }

  private query(): Query {
    let left = this.queryTerm();
    while (this.isPunct('||')) {
      this.advance();
      left = { type: 'or', left, right: this.queryTerm() };
    }
    return left;
  }

  private queryTerm(): Query {
    let left = this.queryFactor();
    while (this.isPunct('&&')) {
      this.advance();
      left = { type: 'and', left, right: this.queryFactor() };
    }
    return left;
  }

  private queryFactor(): Query {
    const at = this.tok.at;
    if (this.isPunct('(')) {
      this.enter(at);
      this.advance();
      const q = this.query();
      this.expectPunct(')', 'a closing ")" (or "&&", "||")');
      this.depth--;
      return q;
    }
    if (!this.isPunct('{')) this.lexer.fail(at, 'a spanset filter "{ … }" or "("');
    this.enter(at);
    this.advance();
    const condition: SpanCondition = this.isPunct('}') ? { type: 'true' } : this.condition();
    this.expectPunct('}', 'a closing "}" (or "&&", "||" between conditions)');
    this.depth--;
    return { type: 'spanset', condition };
  }

  private expectPunct(v: string, expected: string): void {
    if (!this.isPunct(v)) this.lexer.fail(this.tok.at, expected);
    this.advance();
  }

  private condition(): SpanCondition {
    let left = this.conditionTerm();
    while (this.isPunct('||')) {
      this.advance();
      left = { type: 'or', left, right: this.conditionTerm() };
    }
    return left;
  }

  private conditionTerm(): SpanCondition {
    let left = this.conditionFactor();
    while (this.isPunct('&&')) {
      this.advance();
      left = { type: 'and', left, right: this.conditionFactor() };
    }
    return left;
  }

  private conditionFactor(): SpanCondition {
    const tok = this.tok;
    if (this.isPunct('(')) {
      this.enter(tok.at);
      this.advance();
      const c = this.condition();
      this.expectPunct(')', 'a closing ")" (or "&&", "||")');
      this.depth--;
      return c;
    }
    if (tok.t === 'literal' && tok.lit.type === 'bool' && tok.lit.value) {
      this.advance();
      return { type: 'true' };
    }
    if (tok.t !== 'field') this.lexer.fail(tok.at, 'a condition: a field (span.<attr>, resource.<attr>, .<attr>, name, status, kind, duration, …) or "("');
    this.advance();
    const opTok = this.tok;
    if (opTok.t !== 'op') {
      if (tok.field.kind === 'attribute') return { type: 'compare', field: tok.field, op: '=', value: { type: 'bool', value: true } };
      this.lexer.fail(opTok.at, 'a comparison operator = != > >= < <= =~ !~');
    }
    this.advance();
    const valueTok = this.tok;
    if (valueTok.t !== 'literal') this.lexer.fail(valueTok.at, 'a value: a "string", a number, a duration, true, false, nil, or a status or kind');
    this.advance();
    return this.comparison(tok.field, opTok.v, valueTok.lit, valueTok.at);
  }

  // Checks that the literal fits the field and operator, and compiles regexes once.
  private comparison(field: Field, op: ComparisonOperator, value: Literal, at: number): SpanCondition {
    const equality = op === '=' || op === '!=';
    const regex = op === '=~' || op === '!~';
    const fail = (expected: string) => this.lexer.fail(at, expected, value.type === 'string' ? `the string ${JSON.stringify(value.value).slice(0, 40)}` : `a ${value.type} value`);
    if (regex && value.type !== 'string') fail(`a "string" holding a regular expression after ${op}`);
    if (field.kind === 'intrinsic') {
      switch (field.name) {
        case 'status':
          if (value.type !== 'status' || !equality) fail('status compared with = or != to error, ok or unset');
          break;
        case 'kind':
          if (value.type !== 'kind' || !equality) fail('kind compared with = or != to unspecified, internal, server, client, producer or consumer');
          break;
        case 'duration':
        case 'traceDuration':
          if (value.type !== 'duration' || regex) fail('a duration like 100ms, 1.5s or 2m (units ns, us, µs, ms, s, m, h)');
          break;
        default:
          if (value.type !== 'string') fail(`a "string" for ${field.name}`);
      }
    } else {
      if (value.type === 'status' || value.type === 'kind' || value.type === 'duration') fail('a "string", a number, true, false or nil for an attribute');
      if ((value.type === 'bool' || value.type === 'nil') && !equality) fail(`= or != with ${value.type === 'nil' ? 'nil' : 'true or false'}; or a "string" or a number`);
    }
    if (regex) {
      try {
        return { type: 'compare', field, op, value, regex: compileRegex((value as { value: string }).value) };
      } catch (e) {
        if (e instanceof RegexError) this.lexer.fail(at, 'a valid regular expression (RE2 syntax)', e.message);
        throw e;
      }
    }
    return { type: 'compare', field, op, value };
  }
}
