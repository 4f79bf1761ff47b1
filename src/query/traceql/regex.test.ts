import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRegex, RegexError } from './regex.ts';

const full = (pattern: string, text: string) => compileRegex(pattern).test(text);

describe('compileRegex', () => {
  it.each([
    ['bar', 'bar', true],
    ['bar', 'foobar', false], // fully anchored, as Tempo
    ['.*bar.*', 'foobarbaz', true],
    ['DELETE|GET', 'GET', true],
    ['DELETE|GET', 'GETX', false],
    ['prod-.*', 'prod-eu', true],
    ['a{2,3}', 'aaa', true],
    ['a{2,3}', 'aaaa', false],
    ['a{2,}', 'aaaaa', true],
    ['a{2}', 'aa', true],
    ['x{', 'x{', true], // a brace that starts no repetition is a literal
    ['[a-c]+', 'abcab', true],
    ['[^a-c]+', 'xyz', true],
    ['[^a-c]+', 'xaz', false],
    ['[[:digit:]]+', '123', true],
    ['\\d{3}', '500', true],
    ['\\w+\\s\\w+', 'GET /x', false],
    ['\\w+\\s/\\w+', 'GET /x', true],
    ['(?i)get', 'GeT', true],
    ['(?i:g)et', 'Get', true],
    ['(?i:g)et', 'GET', false],
    ['\\bx\\b.*', 'x y', true],
    ['^abc$', 'abc', true],
    ['a.c', 'a\nc', false],
    ['(?s)a.c', 'a\nc', true],
    ['\\p{Lu}+', 'ÄB', true],
    ['\\P{Lu}+', 'ab', true],
    ['é+', 'éé', true],
    ['😀.', '😀x', true],
    ['\\x41\\x{42}', 'AB', true],
    ['\\.', '.', true],
    ['(?P<n>a)b', 'ab', true],
    ['', '', true],
    ['a*?b', 'aab', true],
  ])('%s on %j → %s', (pattern, text, expected) => {
    expect(full(pattern, text)).toBe(expected);
  });

  it.each([
    ['(a', 'missing closing ")"'],
    ['a)', 'unbalanced'],
    ['[a-', 'missing closing "]"'],
    ['*a', 'missing argument'],
    ['a**', 'repeated repetition'],
    ['(a)\\1', 'backreferences'],
    ['(?=a)', 'lookaround'],
    ['a{2000}', 'above 1000'],
    ['a{3,2}', 'below the minimum'],
    ['\\q', 'unknown escape'],
    ['\\p{Nope}', 'unknown Unicode class'],
    ['[z-a]', 'out of order'],
    ['(?x)a', 'unknown flag'],
    ['a\\', 'trailing backslash'],
  ])('rejects %s (%s)', (pattern, message) => {
    expect(() => compileRegex(pattern)).toThrow(RegexError);
    expect(() => compileRegex(pattern)).toThrow(message);
  });

  it('rejects patterns whose program would be huge, quickly', () => {
    const t = performance.now();
    expect(() => compileRegex('((a{1000}){1000}){1000}')).toThrow(/too large/);
    expect(() => compileRegex('a'.repeat(5000))).toThrow(/longer|more than/);
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it('runs in linear time on patterns that make backtracking engines explode', () => {
    const text = 'a'.repeat(20_000) + 'c';
    const t = performance.now();
    expect(full('(a+)+b', text)).toBe(false);
    expect(full('(a|a)*b', text)).toBe(false);
    expect(full('(a*)*(a*)*b', text)).toBe(false);
    expect(full('.*.*.*.*.*.*=.*', text)).toBe(false);
    expect(performance.now() - t).toBeLessThan(2000);
  });

  // Oracle: JS RegExp agrees with RE2 on this simple grammar; run it anchored the way Tempo does.
  it('agrees with an anchored JS RegExp on random simple patterns', () => {
    const atom = fc.oneof(fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '\\d', 'x'), fc.constant('(a|b)'), fc.constant('(ab|a)'));
    const piece = fc.tuple(atom, fc.constantFrom('', '*', '+', '?', '{1,2}', '{2}')).map(([a, q]) => a + q);
    const branch = fc.array(piece, { minLength: 0, maxLength: 4 }).map((ps) => ps.join(''));
    const pattern = fc.array(branch, { minLength: 1, maxLength: 3 }).map((bs) => bs.join('|'));
    const text = fc.array(fc.constantFrom('a', 'b', 'x', '1'), { maxLength: 8 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(pattern, fc.array(text, { minLength: 1, maxLength: 5 }), (p, texts) => {
        const ours = compileRegex(p);
        const js = new RegExp(`^(?:${p})$`, 'u');
        for (const t of texts) expect(ours.test(t), `${p} on ${t}`).toBe(js.test(t));
      }),
      { numRuns: 500 },
    );
  });
});
