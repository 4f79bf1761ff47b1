import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tenancyOf } from './ingest.ts';

describe('ingest tenancy from flags and configuration', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tenants-')), 'tenants.yaml');
  writeFileSync(file, 'tokens:\n  Fg4hJ6kL8zXc: acme\n');

  it('authenticates when a tenants file or inline tokens are configured, merging both', () => {
    const tenancy = tenancyOf({ tenantHeader: true }, { ingest: { tenants: file, tenantTokens: 'globex=Vb2nM4qW6eRt' } });
    if (tenancy.mode !== 'auth') throw new Error(`mode ${tenancy.mode}`);
    expect(tenancy.credentials.tokens.lookup('Fg4hJ6kL8zXc')).toBe('acme');
    expect(tenancy.credentials.tokens.lookup('Vb2nM4qW6eRt')).toBe('globex');
    // The flag names the file over the configuration.
    expect(tenancyOf({ tenants: file, tenantHeader: false }, { ingest: { tenants: '/nonexistent' } }).mode).toBe('auth');
  });

  it('falls back to X-Scope-OrgID when asked, else single-tenant', () => {
    expect(tenancyOf({ tenantHeader: true }, {})).toEqual({ mode: 'header' });
    expect(tenancyOf({ tenantHeader: false }, { ingest: {} })).toEqual({ mode: 'none' });
  });
});
