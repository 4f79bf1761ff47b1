// The one tokenizer of log lines: the log index splits bodies with it and the search parser splits query words with
// it, so a word matches exactly when both sides cut it the same way. Rules:
//
// - Terms are lower-cased with String.prototype.toLowerCase (Unicode, locale-independent: 'ÉCOLE' → 'école',
//   'İ' → 'i̇' (i + U+0307), 'I' → 'i' never 'ı'; 'ẞ' → 'ß' but 'STRASSE' stays 'strasse' — no case folding to 'ss').
// - Word characters are letters, combining marks (not variation selectors), digits (any script) and '_'. Everything else separates terms: whitespace,
//   control and format characters (terms never contain them: the index uses '\u0000' as a separator), punctuation,
//   symbols, lone surrogates.
// - A run of word characters joined by single '.', ':', '-' or '%' (or a '::') is looked at as a whole:
//   · a UUID (8-4-4-4-12 hex) stays whole: '550e8400-e29b-41d4-a716-446655440000';
//   · an IPv6 address stays whole ('2001:db8::1', '::1', '::ffff:10.0.0.1'); a zone is its own term:
//     'fe80::1%eth0' → 'fe80::1', 'eth0' (so searching the address finds it whatever the interface);
//   · otherwise it splits at ':', '-' and '%', and each piece stays whole with its dots — dotted host and class
//     names ('example.com', 'com.acme.foo'), IPv4 addresses, versions and decimals ('3.14', '1.2.3'). A port is a
//     term of its own: '10.0.0.1:8080' → '10.0.0.1', '8080'. 'user-42' → 'user', '42'. Signs and exponents split
//     off numbers ('-1e-5' → '1e', '5'). Hex trace and span ids are plain word runs.
// - A path — '/' not right after a word character, then segments of word characters, '.', '-', '_', '~', '%' —
//   is one term without trailing '/', '.', '-', '~', '%': '/api/v1/users/' → '/api/v1/users'. 'HTTP/1.1' is no path.
// - A URL 'scheme://authority/path?query#fragment' gives the scheme, the authority's terms by the rules above
//   (host, port, user), the path as one term, then the query and fragment split as ordinary text ('id=42' → 'id', '42').
// - Han, Hiragana, Katakana and Hangul letters (by script extension, so 'ー' too) are one term each, so a phrase of them acts as a substring search.
// - Emoji (Extended_Pictographic code points, which includes '©' and '®') are one term each; joiners, variation
//   selectors, skin tones and flags' regional indicators separate.
// - A term longer than MAX_TOKEN_LENGTH code points is cut to that many (then trailing '.', '-', '~', '%', ':', '/'
//   dropped), so every term re-tokenizes to itself and long query words match long indexed words.
//
// Hot path: ASCII goes through a 128-entry table; other code points are classified once (lazily) into a table.

/** Longest term, in code points. */
export const MAX_TOKEN_LENGTH = 128;

const SEP = 0;
const WORD = 1;
const CJK = 2;
const EMOJI = 3;
const UNCLASSIFIED = 255;

const WORD_RE = /^(?!\p{Variation_Selector})[\p{L}\p{Mn}\p{Mc}\p{N}_]$/u;
const CJK_RE = /^(?=\p{L})[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}]$/u;
const EMOJI_RE = /^\p{Extended_Pictographic}$/u;

function computeClass(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0xd800 && cp <= 0xdfff)) return SEP;
  const ch = String.fromCodePoint(cp);
  if (CJK_RE.test(ch)) return CJK;
  if (WORD_RE.test(ch)) return WORD;
  if (EMOJI_RE.test(ch)) return EMOJI;
  return SEP;
}

// One byte per code point (1.1 MB), filled on first sight: a regex runs once per distinct code point, not per character.
const classes = new Uint8Array(0x110000).fill(UNCLASSIFIED);
for (let cp = 0; cp < 128; cp++) classes[cp] = computeClass(cp);

function classOf(cp: number): number {
  const k = classes[cp];
  return k !== UNCLASSIFIED ? k : (classes[cp] = computeClass(cp));
}

/** The code point at `i` (a lone surrogate stands for itself). */
function codePointAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
  }
  return c;
}

/** Whether a word character starts at `i` (before `end`). */
function wordAt(s: string, i: number, end: number): boolean {
  if (i >= end) return false;
  const c = s.charCodeAt(i);
  if (c < 128) return classes[c] === WORD;
  return classOf(codePointAt(s, i)) === WORD;
}

/** Whether a word character ends right before `i`. */
function wordBefore(s: string, i: number): boolean {
  if (i <= 0) return false;
  const c = s.charCodeAt(i - 1);
  if (c < 128) return classes[c] === WORD;
  if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
    const h = s.charCodeAt(i - 2);
    if (h >= 0xd800 && h <= 0xdbff) return classOf((h - 0xd800) * 0x400 + (c - 0xdc00) + 0x10000) === WORD;
  }
  return classOf(c) === WORD;
}

const isHexUnit = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const DOT = 46;
const COLON = 58;
const DASH = 45;
const PERCENT = 37;
const SLASH = 47;
const TILDE = 126;
const UNDERSCORE = 95;

/** A path character other than '/' (word characters and . - _ ~ %) starting at `i`. */
function pathCharAt(s: string, i: number, end: number): boolean {
  const c = s.charCodeAt(i);
  return c === DOT || c === DASH || c === UNDERSCORE || c === TILDE || c === PERCENT || wordAt(s, i, end);
}

function isTrailingJunk(c: number): boolean {
  return c === DOT || c === DASH || c === TILDE || c === PERCENT || c === COLON || c === SLASH;
}

/** The term for raw text: lower-cased, cut to MAX_TOKEN_LENGTH code points; '' when nothing is left. */
function normalize(raw: string): string {
  let needsLower = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 128 || (c >= 65 && c <= 90)) {
      needsLower = true;
      break;
    }
  }
  let t = needsLower ? raw.toLowerCase() : raw;
  if (t.length > MAX_TOKEN_LENGTH) {
    let units = 0;
    for (let n = 0; n < MAX_TOKEN_LENGTH && units < t.length; n++) units += codePointAt(t, units) > 0xffff ? 2 : 1;
    if (units < t.length) {
      while (units > 0 && isTrailingJunk(t.charCodeAt(units - 1))) units--;
      t = t.slice(0, units);
    }
  }
  return t;
}

const UUID_GROUPS = [8, 4, 4, 4, 12];

function isUuid(s: string): boolean {
  if (s.length !== 36) return false;
  let i = 0;
  for (let g = 0; g < UUID_GROUPS.length; g++) {
    if (g > 0 && s.charCodeAt(i++) !== DASH) return false;
    for (let k = 0; k < UUID_GROUPS[g]; k++) if (!isHexUnit(s.charCodeAt(i++))) return false;
  }
  return true;
}

function isIpv4(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3) return false;
    for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) < 48 || p.charCodeAt(i) > 57) return false;
    if (Number(p) > 255) return false;
  }
  return true;
}

function isIpv6(s: string): boolean {
  const halves = s.split('::');
  if (halves.length > 2) return false;
  let groups = 0;
  for (let h = 0; h < halves.length; h++) {
    if (halves[h] === '') continue;
    const parts = halves[h].split(':');
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p];
      const last = h === halves.length - 1 && p === parts.length - 1;
      if (last && part.includes('.')) {
        if (!isIpv4(part)) return false;
        groups += 2;
        continue;
      }
      if (part.length === 0 || part.length > 4) return false;
      for (let i = 0; i < part.length; i++) if (!isHexUnit(part.charCodeAt(i))) return false;
      groups++;
    }
  }
  return halves.length === 2 ? groups <= 7 : groups === 8;
}

type Emit = (raw: string) => void;

/** Emits the pieces of `run` split at ':', '-' and '%' (dots stay). */
function emitPieces(run: string, emit: Emit): void {
  let from = 0;
  for (let i = 0; i <= run.length; i++) {
    const c = i < run.length ? run.charCodeAt(i) : COLON;
    if (c === COLON || c === DASH || c === PERCENT) {
      if (i > from) emit(run.slice(from, i));
      from = i + 1;
    }
  }
}

/** Scans the joined run starting at `start` (a word character or a leading '::'); returns where scanning resumes. */
function scanRun(s: string, start: number, end: number, emit: Emit): number {
  let i = start;
  let joined = false;
  let hasColon = false;
  if (s.charCodeAt(i) === COLON) {
    i += 2; // a leading '::' (the caller checked a word follows)
    joined = hasColon = true;
  }
  for (;;) {
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 128) {
        if (classes[c] !== WORD) break;
        i++;
      } else {
        const cp = codePointAt(s, i);
        if (classOf(cp) !== WORD) break;
        i += cp > 0xffff ? 2 : 1;
      }
    }
    if (i >= end) break;
    const c = s.charCodeAt(i);
    if (c === COLON && s.charCodeAt(i + 1) === COLON && i + 1 < end) {
      joined = hasColon = true;
      i += 2;
      if (wordAt(s, i, end)) continue;
      break; // a trailing '::' ('2001:db8::')
    }
    if ((c === DOT || c === COLON || c === DASH || c === PERCENT) && wordAt(s, i + 1, end)) {
      joined = true;
      if (c === COLON) hasColon = true;
      i++;
      continue;
    }
    break;
  }
  const run = s.slice(start, i);
  if (!joined) {
    if (s.charCodeAt(i) === COLON && s.charCodeAt(i + 1) === SLASH && s.charCodeAt(i + 2) === SLASH && i + 2 < end) return scanUrl(s, run, i + 3, end, emit);
    emit(run);
    return i;
  }
  if (isUuid(run)) {
    emit(run);
    return i;
  }
  if (hasColon) {
    const zoneAt = run.indexOf('%');
    const address = zoneAt < 0 ? run : run.slice(0, zoneAt);
    if (isIpv6(address)) {
      emit(address);
      if (zoneAt >= 0) emitPieces(run.slice(zoneAt + 1), emit);
      return i;
    }
  }
  emitPieces(run, emit);
  return i;
}

/** Scans a path at `start` (a '/'); returns where scanning resumes. */
function scanPath(s: string, start: number, end: number, emit: Emit): number {
  let stop = start + 1;
  let hasWord = false;
  while (stop < end) {
    const c = s.charCodeAt(stop);
    if (c === SLASH || c === DOT || c === DASH || c === TILDE || c === PERCENT) stop++;
    else if (wordAt(s, stop, end)) {
      hasWord = true;
      stop += codePointAt(s, stop) > 0xffff ? 2 : 1;
    } else break;
  }
  // Without a word the run holds only separators: skip all of it (returning earlier would rescan it from every '/').
  if (!hasWord) return stop;
  let i = stop;
  while (isTrailingJunk(s.charCodeAt(i - 1))) i--;
  emit(s.slice(start, i));
  return i;
}

/** Whether the authority of a URL ends at code unit `c`. */
function endsAuthority(c: number): boolean {
  return c === SLASH || c === 63 /* ? */ || c === 35 /* # */ || c <= 32 || c === 34 /* " */ || c === 60 || c === 62 || c === 92 || c === 96 || c === 123 || c === 124 || c === 125 || c === 94 || (c >= 0x7f && c <= 0x9f);
}

/** A URL: the scheme, then the authority's terms, then its path as one term; the rest is ordinary text. */
function scanUrl(s: string, scheme: string, from: number, end: number, emit: Emit): number {
  emit(scheme);
  let authorityEnd = from;
  while (authorityEnd < end && !endsAuthority(s.charCodeAt(authorityEnd))) authorityEnd++;
  scanText(s, from, authorityEnd, emit);
  if (authorityEnd < end && s.charCodeAt(authorityEnd) === SLASH) {
    const next = authorityEnd + 1 < end && pathCharAt(s, authorityEnd + 1, end);
    return next ? scanPath(s, authorityEnd, end, emit) : authorityEnd + 1;
  }
  return authorityEnd;
}

function scanText(s: string, from: number, end: number, emit: Emit): void {
  let i = from;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      const k = classes[c];
      if (k === WORD) i = scanRun(s, i, end, emit);
      else if (c === SLASH && i + 1 < end && !wordBefore(s, i) && pathCharAt(s, i + 1, end)) i = scanPath(s, i, end, emit);
      else if (c === COLON && s.charCodeAt(i + 1) === COLON && i + 2 < end && isHexUnit(s.charCodeAt(i + 2)) && !wordBefore(s, i)) i = scanRun(s, i, end, emit);
      else i++;
      continue;
    }
    const cp = codePointAt(s, i);
    const width = cp > 0xffff ? 2 : 1;
    const k = classOf(cp);
    if (k === WORD) i = scanRun(s, i, end, emit);
    else if (k === CJK || k === EMOJI) {
      emit(s.slice(i, i + width));
      i += width;
    } else i += width;
  }
}

/** Calls `fn` with each term of `text` and its position (0, 1, 2, … in order). */
export function forEachToken(text: string, fn: (term: string, position: number) => void): void {
  let position = 0;
  scanText(text, 0, text.length, (raw) => {
    const term = normalize(raw);
    if (term !== '') fn(term, position++);
  });
}

/** The terms of `text` in order (a term's position is its index). */
export function tokenize(text: string): string[] {
  const terms: string[] = [];
  forEachToken(text, (term) => terms.push(term));
  return terms;
}
