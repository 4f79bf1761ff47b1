import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCredentials } from './credentials.ts';
import { loadTokenTenancy, resolveTenant, type Presented, type Tenancy, type TenantResult } from './tenancy.ts';

const auth: Tenancy = { mode: 'auth', credentials: parseCredentials({ tokens: { t0k3n_acme: 'acme', t0k3n_globex: 'globex' }, clients: { 'collector.acme.example': 'acme' } }, 'test') };
const tokensOnly: Tenancy = { mode: 'auth', credentials: parseCredentials({ tokens: { t0k3n_acme: 'acme' } }, 'test') };
const none = { authorization: undefined, orgId: undefined };
const unauthenticated = (error: string | RegExp) => ({ refused: 'unauthenticated', error: expect.stringMatching(error) });
const forbidden = { refused: 'forbidden', error: expect.stringMatching(/X-Scope-OrgID names a tenant other than the credential/) };

describe('resolveTenant', () => {
  const table: Array<[string, Tenancy, Partial<Presented>, TenantResult | object]> = [
    ['single-tenant ignores every header', { mode: 'none' }, { authorization: 'Bearer x', orgId: 'a' }, { tenant: undefined }],
    ['header mode takes X-Scope-OrgID', { mode: 'header' }, { orgId: 'team-a' }, { tenant: 'team-a' }],
    ['header mode requires it', { mode: 'header' }, {}, unauthenticated(/missing X-Scope-OrgID/)],
    ['header mode checks it', { mode: 'header' }, { orgId: 'a b' }, unauthenticated(/must match/)],
    ['a token names its tenant', auth, { authorization: 'Bearer t0k3n_acme' }, { tenant: 'acme' }],
    ['the scheme is case-insensitive', auth, { authorization: 'bearer t0k3n_globex' }, { tenant: 'globex' }],
    ['an unknown token is refused', auth, { authorization: 'Bearer t0k3n_acmf' }, unauthenticated('unknown bearer token')],
    ['another scheme is refused', auth, { authorization: 'Basic dXNlcjpwYXNz' }, unauthenticated(/must be "Bearer <token>"/)],
    ['no credential is refused', auth, {}, unauthenticated(/missing credentials \(Authorization: Bearer <token> or a client certificate\)/)],
    ['no credential, tokens only', tokensOnly, {}, unauthenticated(/missing credentials \(Authorization: Bearer <token>\)$/)],
    ['a header alone is no credential', auth, { orgId: 'acme' }, unauthenticated(/missing credentials/)],
    ['a header repeating the tenant is fine', auth, { authorization: 'Bearer t0k3n_acme', orgId: 'acme' }, { tenant: 'acme' }],
    ['a header naming another tenant is refused', auth, { authorization: 'Bearer t0k3n_acme', orgId: 'globex' }, forbidden],
    ['a certificate CN names its tenant', auth, { certificateCn: 'collector.acme.example' }, { tenant: 'acme' }],
    ['an unmapped certificate is refused', auth, { certificateCn: 'other.example' }, unauthenticated(/CN "other.example" maps to no tenant/)],
    ['a certificate cannot pick another tenant either', auth, { certificateCn: 'collector.acme.example', orgId: 'globex' }, forbidden],
    ['a token decides over a certificate', auth, { authorization: 'Bearer t0k3n_globex', certificateCn: 'collector.acme.example' }, { tenant: 'globex' }],
    ['a bad token is refused even with a good certificate', auth, { authorization: 'Bearer nope', certificateCn: 'collector.acme.example' }, unauthenticated('unknown bearer token')],
  ];
  it.each(table)('%s', (_, tenancy, presented, expected) => {
    expect(resolveTenant(tenancy, { ...none, ...presented })).toEqual(expected);
  });
});

describe('loadTokenTenancy', () => {
  it('turns authentication on with the credentials of the file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tenants-')), 'tenants.yaml');
    writeFileSync(path, 'tokens:\n  Qx8vN3kTr5Wb: acme\n');
    const tenancy = loadTokenTenancy(path);
    expect(tenancy.mode).toBe('auth');
    expect(tenancy.mode === 'auth' && tenancy.credentials.tokens.lookup('Qx8vN3kTr5Wb')).toBe('acme');
    writeFileSync(path, 'tokens: {}\n');
    expect(() => loadTokenTenancy(path)).toThrow(/no tokens and no clients/);
  });
});
