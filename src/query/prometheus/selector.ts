// Prometheus series selectors (`http_requests_total{job="api", code!~"5.."}`): the parser and the label matchers the
// `match[]` parameter of /api/v1/series, /api/v1/labels and /api/v1/label/<name>/values takes.
//
// Grammar (Prometheus' metric selector, with the quoted UTF-8 names of Prometheus 3):
//   selector := name [ '{' [ item { ',' item } [ ',' ] ] '}' ] | '{' item { ',' item } [ ',' ] '}'
//   item     := label op string | string           (a lone string inside braces is the metric name)
//   label    := [a-zA-Z_][a-zA-Z0-9_]* | string
//   op       := '=' | '!=' | '=~' | '!~'
//   string   := "…" | '…' (Go escapes) | `…` (raw)
// As in Prometheus, a selector needs at least one matcher that does not match the empty string (`{job=~".*"}` is
// refused), and the metric name may be given once.
//
// Regular expressions are RE2 in Prometheus and JavaScript's RegExp here, fully anchored (`^(?:re)$`), with `.`
// matching newlines (Prometheus' `(?s:…)`) and code-point semantics (the `u` flag, dropped when the pattern is only
// valid without it). Known differences, none of which can silently widen a match:
//   - refused here, accepted by RE2: POSIX classes (`[[:alpha:]]`), `\pL` without braces, `\z`, `\C`, inline flags
//     other than a leading `(?i)`;
//   - refused here, refused by RE2 too: look-around (`(?=`, `(?!`, `(?<=`, `(?<!`) and back-references (`\1`, `\k<n>`);
//   - RE2 is linear-time, RegExp backtracks: a hostile pattern can be slow (the query service bounds request time).

/** A label matcher's operator. */
export type MatchOp = '=' | '!=' | '=~' | '!~';

/** One label matcher of a selector. An absent label reads as the empty string, as in Prometheus. */
export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  /** Whether a label value (`''` for an absent label) satisfies the matcher. */
  matches(value: string): boolean;
}

/** A parsed selector: its matchers, all of which a series must satisfy. */
export type Selector = readonly Matcher[];

/** A selector that does not parse or cannot be evaluated: the message starts with `line:column: parse error:`. */
export class SelectorError extends Error {
  /** 0-based offset into the selector text. */
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  constructor(message: string, offset: number, line: number, column: number) {
    super(`${line}:${column}: parse error: ${message}`);
    this.name = 'SelectorError';
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

// RE2 constructs JavaScript reads differently or not at all (see the header).
const UNSUPPORTED_REGEX: ReadonlyArray<[RegExp, string]> = [
  [/\(\?<?[=!]/, 'look-around is not supported (RE2 syntax)'],
  [/\\[1-9]|\\k</, 'back-references are not supported (RE2 syntax)'],
  [/\[\[:\^?[a-z]+:\]/, 'POSIX character classes are not supported'],
  [/\\[pP][A-Za-z]/, 'write Unicode classes with braces (\\p{L})'],
  [/\\[zC]/, '\\z and \\C are not supported'],
];

/** A matcher; throws a plain Error for an invalid regular expression (the parser adds the position). */
export function matcher(name: string, op: MatchOp, value: string): Matcher {
  switch (op) {
    case '=':
      return { name, op, value, matches: (v) => v === value };
    case '!=':
      return { name, op, value, matches: (v) => v !== value };
    case '=~': {
      const re = anchoredRegex(value);
      return { name, op, value, matches: (v) => re.test(v) };
    }
    case '!~': {
      const re = anchoredRegex(value);
      return { name, op, value, matches: (v) => !re.test(v) };
    }
  }
}

/** A Prometheus regular expression as a fully anchored RegExp. */
export function anchoredRegex(pattern: string): RegExp {
  let source = pattern;
  let flags = 's';
  // RE2's leading case-insensitivity flag is the one inline flag common enough to translate.
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    flags += 'i';
  }
  for (const [construct, why] of UNSUPPORTED_REGEX) if (construct.test(source)) throw new Error(`invalid regular expression ${JSON.stringify(pattern)}: ${why}`);
  if (/\(\?[a-zA-Z]/.test(source)) throw new Error(`invalid regular expression ${JSON.stringify(pattern)}: inline flags other than a leading (?i) are not supported`);
  try {
    return new RegExp(`^(?:${source})$`, `${flags}u`);
  } catch {
    try {
      return new RegExp(`^(?:${source})$`, flags);
    } catch (e) {
      throw new Error(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`, { cause: e });
    }
  }
}

/** Whether a series' labels (without absent ones) satisfy every matcher of a selector. */
export function selectorMatches(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  for (const m of selector) if (!m.matches(labels[m.name] ?? '')) return false;
  return true;
}

/** Parses a series selector; throws SelectorError naming the position of what is wrong. */
export function parseSelector(text: string): Selector {
  return new Parser(text).selector();
}

class Parser {
  private at = 0;
  private readonly text: string;
  constructor(text: string) {
    this.text = text;
  }

  selector(): Selector {
    const matchers: Matcher[] = [];
    let metricName: { value: string } | undefined;
    this.space();
    const name = METRIC_NAME.exec(this.rest());
    if (name) {
      metricName = { value: name[0] };
      this.at += name[0].length;
      matchers.push(matcher('__name__', '=', name[0]));
      this.space();
    }
    if (this.peek() === '{') {
      this.at++;
      this.space();
      while (this.peek() !== '}') {
        const start = this.at;
        const item = this.item();
        if (item.name === '__name__' && metricName !== undefined) this.fail(`metric name must not be set twice: ${JSON.stringify(metricName.value)} or ${JSON.stringify(item.value)}`, start);
        matchers.push(item);
        this.space();
        if (this.peek() === ',') {
          this.at++;
          this.space();
        } else if (this.peek() !== '}') {
          this.fail(this.atEnd() ? 'unexpected end of input inside braces' : `unexpected ${this.describe()} inside braces, expected "," or "}"`);
        }
      }
      this.at++;
      this.space();
    } else if (!name) {
      this.fail(this.atEnd() ? 'unexpected end of input, expected a metric name or "{"' : `unexpected ${this.describe()}, expected a metric name or "{"`);
    }
    if (!this.atEnd()) this.fail(`unexpected ${this.describe()} after the selector`);
    if (!matchers.some((m) => !m.matches(''))) this.fail('vector selector must contain at least one non-empty matcher', 0);
    return matchers;
  }

  private item(): Matcher {
    const start = this.at;
    let name: string;
    if (this.peekQuote()) {
      name = this.string();
      this.space();
      // `{"metric.name"}`: a lone quoted string is the metric name.
      if (this.peek() === ',' || this.peek() === '}') return matcher('__name__', '=', name);
    } else {
      const m = LABEL_NAME.exec(this.rest());
      if (!m) this.fail(this.atEnd() ? 'unexpected end of input, expected a label name' : `unexpected ${this.describe()}, expected a label name`);
      name = m[0];
      this.at += name.length;
      this.space();
    }
    const opAt = this.at;
    const op = (['=~', '!~', '!=', '='] as const).find((o) => this.text.startsWith(o, this.at));
    if (op === undefined) this.fail(this.atEnd() ? `unexpected end of input after label ${JSON.stringify(name)}, expected one of "=", "!=", "=~", "!~"` : `unexpected ${this.describe()} after label ${JSON.stringify(name)}, expected one of "=", "!=", "=~", "!~"`);
    this.at += op.length;
    this.space();
    if (!this.peekQuote()) this.fail(this.atEnd() ? 'unexpected end of input, expected a quoted label value' : `unexpected ${this.describe()}, expected a quoted label value`);
    const valueAt = this.at;
    const value = this.string();
    if (name === '') this.fail('empty label name', start);
    try {
      return matcher(name, op, value);
    } catch (e) {
      return this.fail((e as Error).message, op === '=~' || op === '!~' ? valueAt : opAt);
    }
  }

  // A quoted string: Go's interpreted ("…", '…') or raw (`…`) literals.
  private string(): string {
    const start = this.at;
    const quote = this.text[this.at++];
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail('unterminated quoted string', start);
      const c = this.text[this.at];
      if (c === quote) {
        this.at++;
        return out;
      }
      if (quote !== '`' && c === '\n') this.fail('unterminated quoted string (newline in string)', start);
      if (quote === '`' || c !== '\\') {
        out += c;
        this.at++;
        continue;
      }
      out += this.escape(quote);
    }
  }

  private escape(quote: string): string {
    const at = this.at;
    const c = this.text[this.at + 1];
    this.at += 2;
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
    if (c === undefined) this.fail('unterminated quoted string', at);
    if (c in simple) return simple[c];
    if (c === quote) return c;
    const hex = (digits: number) => {
      const h = this.text.slice(this.at, this.at + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(h)) this.fail(`invalid escape \\${c}${h}: expected ${digits} hex digits`, at);
      this.at += digits;
      return parseInt(h, 16);
    };
    if (c === 'x') return String.fromCharCode(hex(2));
    if (c === 'u' || c === 'U') {
      const code = hex(c === 'u' ? 4 : 8);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) this.fail(`invalid escape: ${code.toString(16)} is not a Unicode code point`, at);
      return String.fromCodePoint(code);
    }
    if (c >= '0' && c <= '7') {
      const o = this.text.slice(this.at - 1, this.at + 2);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) this.fail(`invalid escape \\${o}: expected three octal digits up to \\377`, at);
      this.at += 2;
      return String.fromCharCode(parseInt(o, 8));
    }
    return this.fail(`unknown escape sequence \\${c}`, at);
  }

  private space(): void {
    while (!this.atEnd() && /\s/.test(this.text[this.at])) this.at++;
  }
  private peek(): string | undefined {
    return this.text[this.at];
  }
  private peekQuote(): boolean {
    const c = this.peek();
    return c === '"' || c === "'" || c === '`';
  }
  private rest(): string {
    return this.text.slice(this.at);
  }
  private atEnd(): boolean {
    return this.at >= this.text.length;
  }
  private describe(): string {
    return JSON.stringify(this.text.slice(this.at, this.at + 1));
  }
  private fail(message: string, offset = this.at): never {
    const before = this.text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    throw new SelectorError(message, offset, line, column);
  }
}
