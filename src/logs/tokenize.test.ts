import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRealWorldLines } from './search/testing.ts';
import { forEachToken, MAX_TOKEN_LENGTH, tokenize } from './tokenize.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

// input → the terms it must give, in order.
const table: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['', []],
  [' \t\r\n\u00a0\u3000', []],
  ['Hello, World!', ['hello', 'world']],
  // URLs: scheme, authority terms (host whole, port and user apart), the path whole, query parameters split.
  ['GET https://Example.COM:8443/api/v1/users/?id=42&sort=name#top', ['get', 'https', 'example.com', '8443', '/api/v1/users', 'id', '42', 'sort', 'name', 'top']],
  ['http://user:secret@10.1.2.3/login?next=/home', ['http', 'user', 'secret', '10.1.2.3', '/login', 'next', '/home']],
  ['see "https://docs.acme.io/a_b/c-d.html".', ['see', 'https', 'docs.acme.io', '/a_b/c-d.html']],
  ['https://example.com/ ok', ['https', 'example.com', 'ok']],
  ['file:///etc/passwd', ['file', '/etc/passwd']],
  ['https://[2001:db8::7]:8080/x', ['https', '2001:db8::7', '8080', '/x']],
  // Paths: whole, without a trailing slash or full stop; 'HTTP/1.1' and 'a/b' are no paths.
  ['"GET /api/v1/orders/991 HTTP/1.1" 200', ['get', '/api/v1/orders/991', 'http', '1.1', '200']],
  ['wrote /var/log/app.log.', ['wrote', '/var/log/app.log']],
  ['path=/srv/data/ and ./conf/app.yaml and and/or', ['path', '/srv/data', 'and', '/conf/app.yaml', 'and', 'and', 'or']],
  ['/ // /-/ /.well-known/acme', ['/.well-known/acme']],
  // IPv4 with a port: the port is its own term.
  ['client 192.168.0.17:51234 connected', ['client', '192.168.0.17', '51234', 'connected']],
  ['peer=10.0.0.1,', ['peer', '10.0.0.1']],
  // IPv6: whole, the zone apart.
  ['listen [::1]:9090', ['listen', '::1', '9090']],
  ['from fe80::1%eth0 via 2001:0db8:85a3:0000:0000:8a2e:0370:7334', ['from', 'fe80::1', 'eth0', 'via', '2001:0db8:85a3:0000:0000:8a2e:0370:7334']],
  ['mapped ::ffff:192.0.2.128 and 2001:db8:: end', ['mapped', '::ffff:192.0.2.128', 'and', '2001:db8::', 'end']],
  ['std::vector<int> at 10:23:45', ['std', 'vector', 'int', 'at', '10', '23', '45']],
  // UUIDs and trace / span ids stay whole.
  ['order 550E8400-E29B-41D4-A716-446655440000 placed', ['order', '550e8400-e29b-41d4-a716-446655440000', 'placed']],
  [`trace_id=${TRACE_ID.toUpperCase()} span_id=00f067aa0ba902b7`, ['trace_id', TRACE_ID, 'span_id', '00f067aa0ba902b7']],
  ['550e8400-e29b-41d4-a716', ['550e8400', 'e29b', '41d4', 'a716']],
  // Dotted names and numbers stay whole; hyphens, signs and exponents split.
  ['at com.acme.checkout.OrderService.place(OrderService.java:142)', ['at', 'com.acme.checkout.orderservice.place', 'orderservice.java', '142']],
  ['user-42 took 3.14s, v1.2.3, -7 and 1e-5', ['user', '42', 'took', '3.14s', 'v1.2.3', '7', 'and', '1e', '5']],
  ['mail bob@example.org...done', ['mail', 'bob', 'example.org', 'done']],
  ['__init__ snake_case kebab-case', ['__init__', 'snake_case', 'kebab', 'case']],
  // CJK: one term per character; Latin inside splits off.
  ['用户登录失败: timeout', ['用', '户', '登', '录', '失', '败', 'timeout']],
  ['ログインabcエラー', ['ロ', 'グ', 'イ', 'ン', 'abc', 'エ', 'ラ', 'ー']],
  ['서버 오류', ['서', '버', '오', '류']],
  // Emoji: one term each; joiners, skin tones and variation selectors separate.
  ['deploy 🚀🔥 done', ['deploy', '🚀', '🔥', 'done']],
  ['👍🏽 ❤️ 👨‍👩‍👧 1️⃣', ['👍', '❤', '👨', '👩', '👧', '1']],
  // JSON bodies: keys and values become words.
  ['{"level":"ERROR","msg":"payment failed","user":{"id":"u-42"},"amount":12.5,"ok":false}', ['level', 'error', 'msg', 'payment', 'failed', 'user', 'id', 'u', '42', 'amount', '12.5', 'ok', 'false']],
  // Case: Unicode lower-casing, locale-independent.
  ['ÉCOLE Ångström ΟΔΟΣ', ['école', 'ångström', 'οδος']],
  ['İSTANBUL Istanbul ı', ['i̇stanbul', 'istanbul', 'ı']],
  ['STRASSE Straße ẞ', ['strasse', 'straße', 'ß']],
  // Control and format characters separate.
  ['a\u0000b\u0007c\u200bd\ufeffe\u00adf', ['a', 'b', 'c', 'd', 'e', 'f']],
  // Lone surrogates separate.
  ['ab\ud800cd\udc00ef', ['ab', 'cd', 'ef']],
];

describe('tokenize', () => {
  it.each(table)('%j', (input, expected) => {
    expect(tokenize(input)).toEqual(expected);
  });

  it('cuts very long terms at MAX_TOKEN_LENGTH code points', () => {
    expect(tokenize('x'.repeat(500))).toEqual(['x'.repeat(MAX_TOKEN_LENGTH)]);
    expect(tokenize('😀'.repeat(3))).toEqual(['😀', '😀', '😀']);
    const accented = 'É'.repeat(300);
    expect(tokenize(accented)).toEqual(['é'.repeat(MAX_TOKEN_LENGTH)]);
    // The cut does not end on a dot, so the term is found again when a query word is cut the same way.
    const dotted = 'ab.'.repeat(100);
    const [term] = tokenize(dotted);
    expect([...term].length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
    expect(term.endsWith('.')).toBe(false);
    expect(tokenize(dotted + 'zzz')).toEqual([term]);
    expect(tokenize('/' + 'seg/'.repeat(60))[0].endsWith('/')).toBe(false);
  });

  it('takes linear time on hostile input', () => {
    for (const unit of ['/.', '/-', 'a.', ':a', 'a:', '::', '1.', 'a-', '/a', 'É.', 'http://', '%a', '//']) {
      const started = performance.now();
      tokenize(unit.repeat(200_000));
      expect(performance.now() - started).toBeLessThan(2000);
    }
  });

  it('gives positions in order', () => {
    const seen: Array<[string, number]> = [];
    forEachToken('a b-c /d', (t, p) => seen.push([t, p]));
    expect(seen).toEqual([['a', 0], ['b', 1], ['c', 2], ['/d', 3]]);
  });
});

// Strings rich in the characters the rules care about.
const trickyChar = fc.constantFrom(
  'a', 'Z', '0', '9', 'f', '.', ':', '-', '/', '%', '_', '~', ' ', '\n', '\u0000', '"', '?', '=', '&', '@', '[', ']',
  'É', 'İ', 'ß', 'Σ', '用', 'ロ', '한', '😀', '\u200d', '\ufe0f', '\ud800', '\udc00', '\u0307', '\u00a0',
);
const trickyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.array(trickyChar, { maxLength: 80 }).map((cs) => cs.join('')),
  fc.array(fc.constantFrom('https://', 'a.b', '10.0.0.1', '::1', ':8080', '/x/y', 'fe80::2%lo', '550e8400-e29b-41d4-a716-446655440000', 'Ab', ' '), { maxLength: 12 }).map((cs) => cs.join('')),
);

describe('tokenize properties', () => {
  it('never throws; terms are non-empty, lower-case, short, without whitespace or control characters', () => {
    fc.assert(
      fc.property(trickyString, (s) => {
        for (const t of tokenize(s)) {
          expect(t.length).toBeGreaterThan(0);
          expect(t.toLowerCase()).toBe(t);
          expect([...t].length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
          expect(/[\s\p{Cc}\p{Cf}]/u.test(t)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('every term tokenizes to itself (query words are cut like indexed words)', () => {
    fc.assert(
      fc.property(trickyString, (s) => {
        for (const t of tokenize(s)) expect(tokenize(t)).toEqual([t]);
      }),
      { numRuns: 2000 },
    );
  });

  it('terms joined by spaces tokenize to the same terms (a phrase query finds them)', () => {
    fc.assert(
      fc.property(trickyString, (s) => {
        const terms = tokenize(s);
        expect(tokenize(terms.join(' '))).toEqual(terms);
      }),
      { numRuns: 1000 },
    );
  });

  it('every term of the real-world fixture tokenizes to itself', () => {
    for (const line of loadRealWorldLines()) {
      const terms = tokenize(line);
      for (const t of terms) expect(tokenize(t)).toEqual([t]);
      expect(tokenize(terms.join(' '))).toEqual(terms);
    }
  });

  it('tokenize and forEachToken agree', () => {
    fc.assert(
      fc.property(trickyString, (s) => {
        const seen: string[] = [];
        forEachToken(s, (t, p) => {
          expect(p).toBe(seen.length);
          seen.push(t);
        });
        expect(seen).toEqual(tokenize(s));
      }),
    );
  });
});
