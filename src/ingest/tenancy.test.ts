import { describe, expect, it } from 'vitest';
import { resolveTenant } from './tenancy.ts';

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
