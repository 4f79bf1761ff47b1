import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskText } from '../config/index.ts';
import { loadCredentialsFile, parseCredentials, parseTokenList, TokenTable, tokenDigest } from './credentials.ts';

const file = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'tenants-')), 'tenants.yaml');
  writeFileSync(path, text);
  return path;
};
const hex = (token: string) => tokenDigest(token).toString('hex');

describe('tenants file', () => {
  it('takes sha256 digests and plain tokens, keeping only digests', () => {
    const credentials = loadCredentialsFile(file(`tokens:\n  sha256:${hex('Vr7nQ2xLp9Ks')}: acme\n  Hb3mW8cTz1Yd: globex\n`));
    expect(credentials.tokens.lookup('Vr7nQ2xLp9Ks')).toBe('acme');
    expect(credentials.tokens.lookup('Hb3mW8cTz1Yd')).toBe('globex');
    expect(credentials.tokens.lookup(`sha256:${hex('Vr7nQ2xLp9Ks')}`)).toBeUndefined(); // a digest is not a token
    expect(credentials.tokens.lookup('Hb3mW8cTz1Y')).toBeUndefined();
    // The table holds 32-byte digests, no token text.
    expect(JSON.stringify([...(credentials.tokens as unknown as { byDigest: Map<string, unknown> }).byDigest.keys()])).not.toContain('Hb3mW8cTz1Yd');
    // A plain token from the file is masked in any later log line.
    expect(maskText('token Hb3mW8cTz1Yd leaked')).toBe('token *** leaked');
  });

  it('reads upper-case digests, client certificate mappings and per-tenant limits', () => {
    const credentials = parseCredentials(
      {
        tokens: { [`sha256:${hex('Kd82jsQw0aXe').toUpperCase()}`]: 'acme' },
        clients: { 'collector.acme.example': 'acme' },
        limits: { acme: { maxInflightBytes: 1 << 20, itemsPerSecond: 5000 } },
      },
      'doc',
    );
    expect(credentials.tokens.lookup('Kd82jsQw0aXe')).toBe('acme');
    expect(credentials.clients.get('collector.acme.example')).toBe('acme');
    expect(credentials.limits.get('acme')).toEqual({ maxInflightBytes: 1 << 20, itemsPerSecond: 5000 });
  });

  it.each([
    ['tokens:\n  Qx8vN3kTr5Wb: acme\n  Lp4sD9hYe2Mc: "not a tenant"\n', /token #2: tenant must match/],
    ['tokens:\n  sha256:abc: acme\n', /token #1: a sha256: token must be followed by 64 hex digits/],
    ['tokens:\n  "Lp4s D9hYe2Mc": acme\n', /token #1: a token may hold only/],
    ['tokens:\n  Lp4sD9hYe2Mc: acme\n  Lp4sD9hYe2Mc2: acme\nclients:\n  x: "a b"\n', /clients.x: tenant must match/],
    ['limits:\n  acme: {itemsPerSecond: -1}\n', /limits.acme.itemsPerSecond: expected a positive integer/],
    ['limits:\n  acme: {items: 5}\n', /limits.acme.items: unknown limit/],
    ['token:\n  Lp4sD9hYe2Mc: acme\n', /unknown key token/],
    ['- Lp4sD9hYe2Mc\n', /expected a mapping/],
  ])('refuses %j naming the entry, never the token', (text, message) => {
    let error = '';
    try {
      loadCredentialsFile(file(text));
    } catch (err) {
      error = (err as Error).message;
    }
    expect(error).toMatch(message);
    expect(error).not.toMatch(/Lp4s|Qx8v|D9hY/);
  });

  it('refuses a token given for two tenants, and does not quote a file that is not YAML', () => {
    expect(() => parseCredentials({ tokens: { Mn5bV7cX3zQw: 'a', [`sha256:${hex('Mn5bV7cX3zQw')}`]: 'b' } }, 'doc')).toThrow(/same token is given for tenants a and b/);
    expect(() => loadCredentialsFile(file('tokens: {Zr4eT6yU8iOp: [unclosed'))).toThrow(/tenants file .*: not valid YAML\/JSON$/);
    expect(() => loadCredentialsFile('/nonexistent/tenants.yaml')).toThrow(/no such file/);
  });
});

describe('INGEST_TENANT_TOKENS', () => {
  it('reads tenant=token pairs; a token may hold "=" and be a digest', () => {
    const credentials = parseTokenList(` acme=Wq3eR5tY7u==, globex=sha256:${hex('Pz0oI9uY8tRe')},`, 'env');
    expect(credentials.tokens.lookup('Wq3eR5tY7u==')).toBe('acme');
    expect(credentials.tokens.lookup('Pz0oI9uY8tRe')).toBe('globex');
    expect(() => parseTokenList('acme', 'env')).toThrow('env: entry #1: expected tenant=token');
    expect(() => parseTokenList('acme=Wq3eR5tY7u==,a b=Xy', 'env')).toThrow('env: entry #2: tenant must match');
  });
});

describe('TokenTable', () => {
  it('finds a token by its digest and compares the digest in constant time', () => {
    const table = new TokenTable();
    table.add(tokenDigest('Ab1Cd2Ef3Gh4'), 'acme');
    expect(table.lookup('Ab1Cd2Ef3Gh4')).toBe('acme');
    for (const wrong of ['', 'Ab1Cd2Ef3Gh', 'Ab1Cd2Ef3Gh4 ', 'ab1Cd2Ef3Gh4']) expect(table.lookup(wrong)).toBeUndefined();
    expect(table.size).toBe(1);
    expect(table.tenants()).toEqual(new Set(['acme']));
  });
});
