import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskText } from '../config/index.ts';
import { loadTokenTenancy, resolveTenant } from './tenancy.ts';

describe('resolveTenant', () => {
  it('is single-tenant by default and ignores headers', () => {
    expect(resolveTenant({ mode: 'none' }, 'Bearer x', 'a')).toEqual({ tenant: undefined });
  });
  it('takes X-Scope-OrgID in header mode and checks it', () => {
    expect(resolveTenant({ mode: 'header' }, undefined, 'team-a')).toEqual({ tenant: 'team-a' });
    expect(resolveTenant({ mode: 'header' }, undefined, undefined)).toHaveProperty('error');
    expect(resolveTenant({ mode: 'header' }, undefined, 'a b')).toHaveProperty('error');
  });
  it('maps bearer tokens to tenants', () => {
    const tenancy = { mode: 'token', tokens: new Map([['t0k', 'acme']]) } as const;
    expect(resolveTenant(tenancy, 'Bearer t0k', 'other')).toEqual({ tenant: 'acme' });
    expect(resolveTenant(tenancy, 'bearer t0k', undefined)).toEqual({ tenant: 'acme' });
    expect(resolveTenant(tenancy, 'Bearer nope', undefined)).toEqual({ error: 'unknown bearer token' });
    expect(resolveTenant(tenancy, undefined, undefined)).toHaveProperty('error');
  });
});

describe('loadTokenTenancy', () => {
  const file = (text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'tenants-')), 'tenants.yaml');
    writeFileSync(path, text);
    return path;
  };
  it('never prints any part of a token, and masks the tokens in every later log line', () => {
    expect(() => loadTokenTenancy(file('tokens:\n  Qx8vN3kTr5Wb: acme\n  Lp4sD9hYe2Mc: "not a tenant"\n'))).toThrow(/token #2: tenant must match/);
    let message = '';
    try {
      loadTokenTenancy(file('tokens:\n  Lp4sD9hYe2Mc: "bad tenant"\n'));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toMatch(/Lp4s|Mc:/);
    const tenancy = loadTokenTenancy(file('tokens:\n  Qx8vN3kTr5Wb: acme\n'));
    expect(tenancy).toEqual({ mode: 'token', tokens: new Map([['Qx8vN3kTr5Wb', 'acme']]) });
    expect(maskText('got Qx8vN3kTr5Wb')).toBe('got ***');
  });
});
