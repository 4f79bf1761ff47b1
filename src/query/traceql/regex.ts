// Regular expressions for TraceQL's =~ and !~: Go (RE2) syntax, fully anchored as Tempo treats them, run by a
// Thompson-NFA simulation (Pike VM without captures) so a match takes O(text length × program size) whatever the
// pattern. A backtracking engine (JS RegExp) would let one query like `(a+)+b` spin a core for minutes; RE2 has no
// backreferences or lookaround for the same reason, so rejecting them is also what Tempo does.
//
// Supported: literals, `.`, classes `[…]` (ranges, negation, escapes, `[:alpha:]`-style names), `\d \w \s` and their
// negations, `\p{…}` / `\P{…}`, `\b \B \A \z ^ $`, groups `(…)`, `(?:…)`, `(?P<n>…)`, `(?<n>…)`, flags `(?i)`, `(?s)`,
// `(?i:…)`, alternation, `* + ? {n} {n,} {n,m}` (and their lazy forms, the same for a yes/no match).

/** A regex that cannot be compiled; `position` is the offset in the pattern. */
export class RegexError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(message);
    this.name = 'RegexError';
    this.position = position;
  }
}

/** Largest pattern and compiled program accepted (RE2 caps repetition at 1000 the same way). */
export const MAX_REGEX_LENGTH = 4096;
export const MAX_REGEX_PROGRAM = 20_000;
const MAX_REPEAT = 1000;

type CharTest = (c: number) => boolean;

type Node =
  | { t: 'char'; test: CharTest }
  | { t: 'empty' }
  | { t: 'assert'; what: 'begin' | 'end' | 'word' | 'notWord' }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'repeat'; node: Node; min: number; max: number /* -1: unbounded */ };

interface Flags {
  i: boolean;
  s: boolean;
}

type Inst =
  | { op: 'char'; test: CharTest }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'assert'; what: 'begin' | 'end' | 'word' | 'notWord' }
  | { op: 'match' };

/** A compiled, fully anchored regex. */
export interface Regex {
  readonly source: string;
  /** Whether the whole of `text` matches. */
  test(text: string): boolean;
}

/** Compiles `pattern` (RE2 syntax) into a fully anchored, linear-time matcher; throws RegexError. */
export function compileRegex(pattern: string): Regex {
  if (pattern.length > MAX_REGEX_LENGTH) throw new RegexError(`regex is ${pattern.length} characters long, more than ${MAX_REGEX_LENGTH}`, MAX_REGEX_LENGTH);
  const node = new RegexParser(pattern).parse();
  const prog: Inst[] = [];
  emit(node, prog);
  prog.push({ op: 'match' });
  return { source: pattern, test: (text) => run(prog, text) };
}

const isWordChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

const posixClasses: Record<string, CharTest> = {
  alnum: (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  ascii: (c) => c <= 127,
  blank: (c) => c === 32 || c === 9,
  cntrl: (c) => c < 32 || c === 127,
  digit: isDigit,
  graph: (c) => c > 32 && c < 127,
  lower: (c) => c >= 97 && c <= 122,
  print: (c) => c >= 32 && c < 127,
  punct: (c) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
  space: isSpace,
  upper: (c) => c >= 65 && c <= 90,
  word: isWordChar,
  xdigit: (c) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
};

function caseFold(test: CharTest): CharTest {
  return (c) => {
    if (test(c)) return true;
    const s = String.fromCodePoint(c);
    const lower = s.toLowerCase().codePointAt(0)!;
    const upper = s.toUpperCase().codePointAt(0)!;
    return test(lower) || test(upper);
  };
}

class RegexParser {
  private pos = 0;
  private readonly src: string;
  constructor(src: string) {
    this.src = src;
  }

  private fail(message: string, at = this.pos): never {
    throw new RegexError(`regex "${this.src.length > 60 ? this.src.slice(0, 60) + '…' : this.src}" at offset ${at}: ${message}`, at);
  }

  parse(): Node {
    const node = this.alternation({ i: false, s: false }, 0);
    if (this.pos < this.src.length) this.fail(`unexpected "${this.src[this.pos]}" (unbalanced ")")`);
    return node;
  }

  private alternation(flags: Flags, depth: number): Node {
    if (depth > 100) this.fail('groups nested more than 100 deep');
    const items: Node[] = [this.concatenation(flags, depth)];
    while (this.src[this.pos] === '|') {
      this.pos++;
      items.push(this.concatenation(flags, depth));
    }
    return items.length === 1 ? items[0] : { t: 'alt', items };
  }

  private concatenation(flags: Flags, depth: number): Node {
    const items: Node[] = [];
    while (this.pos < this.src.length && this.src[this.pos] !== '|' && this.src[this.pos] !== ')') {
      const atomAt = this.pos;
      const atom = this.atom(flags, depth);
      if (atom === undefined) continue; // a flag group like (?i) changes `flags` and matches nothing
      items.push(this.quantified(atom, atomAt));
    }
    return items.length === 1 ? items[0] : items.length === 0 ? { t: 'empty' } : { t: 'cat', items };
  }

  private quantified(atom: Node, atomAt: number): Node {
    const c = this.src[this.pos];
    let min: number;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      [min, max] = c === '*' ? [0, -1] : c === '+' ? [1, -1] : [0, 1];
    } else if (c === '{' && this.repeatCount() !== null) {
      const m = this.repeatCount()!;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
      if (min > MAX_REPEAT || max > MAX_REPEAT) this.fail(`repetition count above ${MAX_REPEAT}`);
      if (max !== -1 && max < min) this.fail(`repetition {${min},${max}}: the maximum is below the minimum`);
      this.pos += m[0].length;
    } else {
      return atom; // Go reads a `{` that starts no repetition as a literal
    }
    if (atom.t === 'assert' || atom.t === 'empty') this.fail('nothing to repeat', atomAt);
    if (this.src[this.pos] === '?') this.pos++; // lazy: the same yes/no answer
    const after = this.src[this.pos];
    if (after === '*' || after === '+' || after === '?' || (after === '{' && this.repeatCount() !== null)) this.fail('repeated repetition operator');
    return { t: 'repeat', node: atom, min, max };
  }

  private repeatCount(): RegExpExecArray | null {
    return /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos, this.pos + 24));
  }

  private atom(flags: Flags, depth: number): Node | undefined {
    const c = this.src[this.pos];
    switch (c) {
      case '(':
        return this.group(flags, depth);
      case '[':
        return { t: 'char', test: this.maybeFold(this.charClass(), flags) };
      case '.':
        this.pos++;
        return { t: 'char', test: flags.s ? () => true : (ch) => ch !== 10 };
      case '^':
        this.pos++;
        return { t: 'assert', what: 'begin' };
      case '$':
        this.pos++;
        return { t: 'assert', what: 'end' };
      case '\\':
        return this.escape(flags);
      case '*':
      case '+':
      case '?':
        this.fail(`missing argument to repetition operator "${c}"`);
      // falls through (unreachable)
      default: {
        const cp = this.src.codePointAt(this.pos)!;
        this.pos += cp > 0xffff ? 2 : 1;
        return { t: 'char', test: this.maybeFold((x) => x === cp, flags) };
      }
    }
  }

  private maybeFold(test: CharTest, flags: Flags): CharTest {
    return flags.i ? caseFold(test) : test;
  }

  private group(flags: Flags, depth: number): Node | undefined {
    const start = this.pos;
    this.pos++;
    let inner = flags;
    if (this.src[this.pos] === '?') {
      const rest = this.src.slice(this.pos, this.pos + 300);
      const named = /^\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named !== null) {
        this.pos += named[0].length;
      } else {
        const m = /^\?([a-zA-Z]*)(-[a-zA-Z]*)?([:)])/.exec(rest);
        if (m === null) {
          if (/^\?[=!]|^\?<[=!]/.test(rest)) this.fail('lookaround (?= (?! (?<= (?<! is not supported (RE2 syntax)', start);
          this.fail('unknown group syntax after "(?"', start);
        }
        const next = { ...flags };
        for (const [letters, on] of [[m[1], true], [(m[2] ?? '').slice(1), false]] as const) {
          for (const f of letters) {
            if (f === 'i' || f === 's') next[f] = on;
            else if (f === 'U' || f === 'm') continue; // ungreedy: same answer; multiline: ^/$ are still text ends for a full match
            else this.fail(`unknown flag "${f}"`, start);
          }
        }
        this.pos += m[0].length;
        if (m[3] === ')') {
          // (?i): applies to the rest of the enclosing group
          Object.assign(flags, next);
          return undefined;
        }
        inner = next;
      }
    }
    const node = this.alternation({ ...inner }, depth + 1);
    if (this.src[this.pos] !== ')') this.fail('missing closing ")"', start);
    this.pos++;
    return node;
  }

  private escape(flags: Flags): Node {
    const at = this.pos;
    this.pos++;
    const c = this.src[this.pos];
    if (c === undefined) this.fail('trailing backslash', at);
    switch (c) {
      case 'A':
        this.pos++;
        return { t: 'assert', what: 'begin' };
      case 'z':
        this.pos++;
        return { t: 'assert', what: 'end' };
      case 'b':
        this.pos++;
        return { t: 'assert', what: 'word' };
      case 'B':
        this.pos++;
        return { t: 'assert', what: 'notWord' };
    }
    if (/[1-9]/.test(c)) this.fail('backreferences are not supported (RE2 syntax)', at);
    this.pos = at;
    return { t: 'char', test: this.maybeFold(this.classEscape(), flags) };
  }

  // One escape standing for a set of characters (also inside brackets). `this.pos` is at the backslash.
  private classEscape(): CharTest {
    const at = this.pos;
    this.pos++;
    const c = this.src[this.pos++];
    switch (c) {
      case 'd':
        return isDigit;
      case 'D':
        return (x) => !isDigit(x);
      case 'w':
        return isWordChar;
      case 'W':
        return (x) => !isWordChar(x);
      case 's':
        return isSpace;
      case 'S':
        return (x) => !isSpace(x);
      case 'p':
      case 'P': {
        let name: string;
        if (this.src[this.pos] === '{') {
          const end = this.src.indexOf('}', this.pos);
          if (end < 0) this.fail('missing "}" after \\p{', at);
          name = this.src.slice(this.pos + 1, end);
          this.pos = end + 1;
        } else {
          name = this.src[this.pos++] ?? '';
        }
        let re: RegExp;
        try {
          // One character against a Unicode property: no repetition, so no backtracking to fear.
          re = new RegExp(`^\\p{${name}}$`, 'u');
        } catch {
          this.fail(`unknown Unicode class "${name}"`, at);
        }
        return c === 'p' ? (x) => re.test(String.fromCodePoint(x)) : (x) => !re.test(String.fromCodePoint(x));
      }
    }
    const cp = this.escapedChar(c, at);
    return (x) => x === cp;
  }

  // The code point of a single-character escape; `c` is the character after the backslash (already consumed).
  private escapedChar(c: string, at: number): number {
    switch (c) {
      case 'n':
        return 10;
      case 't':
        return 9;
      case 'r':
        return 13;
      case 'f':
        return 12;
      case 'v':
        return 11;
      case 'a':
        return 7;
      case '0':
        return 0;
      case 'x': {
        const m = /^\{([0-9a-fA-F]{1,6})\}|^([0-9a-fA-F]{2})/.exec(this.src.slice(this.pos, this.pos + 9));
        if (m === null) this.fail('bad \\x escape', at);
        this.pos += m[0].length;
        const cp = parseInt(m[1] ?? m[2], 16);
        if (cp > 0x10ffff) this.fail('\\x escape beyond U+10FFFF', at);
        return cp;
      }
    }
    if (/[A-Za-z0-9]/.test(c)) this.fail(`unknown escape "\\${c}"`, at);
    this.pos += c.codePointAt(0)! > 0xffff ? 1 : 0;
    return this.src.codePointAt(at + 1)!;
  }

  private charClass(): CharTest {
    const start = this.pos;
    this.pos++;
    let negate = false;
    if (this.src[this.pos] === '^') {
      negate = true;
      this.pos++;
    }
    const tests: CharTest[] = [];
    let first = true;
    while (this.src[this.pos] !== ']' || first) {
      if (this.pos >= this.src.length) this.fail('missing closing "]"', start);
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.pos, this.pos + 16));
      if (posix !== null) {
        const test = posixClasses[posix[2]];
        if (test === undefined) this.fail(`unknown class [:${posix[2]}:]`);
        tests.push(posix[1] === '^' ? (x) => !test(x) : test);
        this.pos += posix[0].length;
        continue;
      }
      const lo = this.classChar();
      if (typeof lo !== 'number') {
        tests.push(lo);
        continue;
      }
      if (this.src[this.pos] === '-' && this.src[this.pos + 1] !== ']' && this.pos + 1 < this.src.length) {
        const dashAt = this.pos;
        this.pos++;
        const hi = this.classChar();
        if (typeof hi !== 'number') this.fail('a class escape cannot end a range', dashAt);
        if (hi < lo) this.fail(`range out of order in class`, dashAt);
        tests.push((x) => x >= lo && x <= hi);
      } else {
        tests.push((x) => x === lo);
      }
    }
    this.pos++;
    const any: CharTest = (x) => tests.some((t) => t(x));
    return negate ? (x) => !any(x) : any;
  }

  // One member of a bracket class: a code point, or a class escape's test.
  private classChar(): number | CharTest {
    if (this.src[this.pos] === '\\') {
      const c = this.src[this.pos + 1];
      if (c !== undefined && 'dDwWsSpP'.includes(c)) return this.classEscape();
      const at = this.pos;
      this.pos += 2;
      if (c === undefined) this.fail('trailing backslash', at);
      return this.escapedChar(c, at);
    }
    const cp = this.src.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }
}

function emit(node: Node, prog: Inst[]): void {
  if (prog.length > MAX_REGEX_PROGRAM) throw new RegexError(`regex too large: its program exceeds ${MAX_REGEX_PROGRAM} steps (large repetition counts multiply)`, 0);
  switch (node.t) {
    case 'char':
      prog.push({ op: 'char', test: node.test });
      return;
    case 'empty':
      return;
    case 'assert':
      prog.push({ op: 'assert', what: node.what });
      return;
    case 'cat':
      for (const n of node.items) emit(n, prog);
      return;
    case 'alt': {
      // split L1, next; L1: a; jmp end; next: split L2, … ; last: z; end:
      const jumps: Inst[] = [];
      for (let k = 0; k < node.items.length; k++) {
        if (k < node.items.length - 1) {
          const split: Inst = { op: 'split', x: prog.length + 1, y: -1 };
          prog.push(split);
          emit(node.items[k], prog);
          const jmp: Inst = { op: 'jmp', x: -1 };
          prog.push(jmp);
          jumps.push(jmp);
          (split as { y: number }).y = prog.length;
        } else {
          emit(node.items[k], prog);
        }
      }
      for (const j of jumps) (j as { x: number }).x = prog.length;
      return;
    }
    case 'repeat': {
      for (let k = 0; k < node.min; k++) emit(node.node, prog);
      if (node.max === -1) {
        // L: split body, end; body; jmp L; end:
        const loop = prog.length;
        const split = { op: 'split' as const, x: loop + 1, y: -1 };
        prog.push(split);
        emit(node.node, prog);
        prog.push({ op: 'jmp', x: loop });
        split.y = prog.length;
      } else {
        const splits: { y: number }[] = [];
        for (let k = node.min; k < node.max; k++) {
          const split = { op: 'split' as const, x: prog.length + 1, y: -1 };
          prog.push(split);
          splits.push(split);
          emit(node.node, prog);
        }
        for (const s of splits) s.y = prog.length;
      }
      return;
    }
  }
}

// Thompson simulation: the set of program counters alive before each character; epsilon moves (split, jmp,
// assertions) are followed when a thread is added, so each pc is added at most once per position.
function run(prog: Inst[], text: string): boolean {
  const chars: number[] = [];
  for (const ch of text) chars.push(ch.codePointAt(0)!);
  const n = chars.length;
  const mark = new Int32Array(prog.length).fill(-1);
  let current: number[] = [];
  let next: number[] = [];
  const stack: number[] = [];

  const add = (list: number[], start: number, at: number) => {
    stack.push(start);
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (mark[pc] === at) continue;
      mark[pc] = at;
      const inst = prog[pc];
      switch (inst.op) {
        case 'jmp':
          stack.push(inst.x);
          break;
        case 'split':
          stack.push(inst.y, inst.x);
          break;
        case 'assert': {
          const before = at > 0 && isWordChar(chars[at - 1]);
          const after = at < n && isWordChar(chars[at]);
          const ok = inst.what === 'begin' ? at === 0 : inst.what === 'end' ? at === n : inst.what === 'word' ? before !== after : before === after;
          if (ok) stack.push(pc + 1);
          break;
        }
        default:
          list.push(pc);
      }
    }
  };

  add(current, 0, 0);
  for (let at = 0; at < n; at++) {
    if (current.length === 0) return false;
    const c = chars[at];
    next.length = 0;
    for (const pc of current) {
      const inst = prog[pc];
      if (inst.op === 'char' && inst.test(c)) add(next, pc + 1, at + 1);
    }
    [current, next] = [next, current];
  }
  return current.some((pc) => prog[pc].op === 'match');
}
