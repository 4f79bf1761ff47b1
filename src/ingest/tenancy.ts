// Tenancy: single-tenant by default; or the tenant named by an `X-Scope-OrgID` header (as Mimir, Loki and
// Tempo take it); or bearer tokens mapped to tenants by a file. The tenant travels on every Kafka record
// as the `tenant` header.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { registerSecret } from '../config/index.ts';

export { TENANT_HEADER } from '../otlp/tenant.ts';

export type Tenancy = { mode: 'none' } | { mode: 'header' } | { mode: 'token'; tokens: ReadonlyMap<string, string> };

/** A tenant, or why the request has none. */
export type TenantResult = { tenant: string | undefined } | { error: string };

const TENANT_ID = /^[A-Za-z0-9_.-]{1,150}$/;

/** Reads `tokens: { <token>: <tenant> }` from a YAML or JSON file. */
export function loadTokenTenancy(file: string): Tenancy {
  const doc = parseYaml(readFileSync(file, 'utf8')) as { tokens?: Record<string, unknown> } | null;
  if (!doc || typeof doc.tokens !== 'object' || doc.tokens === null) throw new Error(`${file}: expected a mapping "tokens: {<token>: <tenant>}"`);
  const tokens = new Map<string, string>();
  let index = 0;
  for (const [token, tenant] of Object.entries(doc.tokens)) {
    // The error names the entry by position: no part of a token is ever printed.
    if (typeof tenant !== 'string' || !TENANT_ID.test(tenant)) throw new Error(`${file}: token #${index + 1}: tenant must match ${TENANT_ID}`);
    tokens.set(token, tenant);
    registerSecret(token);
    index++;
  }
  if (tokens.size === 0) throw new Error(`${file}: no tokens`);
  return { mode: 'token', tokens };
}

/** The tenant of a request from its Authorization and X-Scope-OrgID values. */
export function resolveTenant(tenancy: Tenancy, authorization: string | undefined, orgId: string | undefined): TenantResult {
  if (tenancy.mode === 'none') return { tenant: undefined };
  if (tenancy.mode === 'header') {
    if (!orgId) return { error: 'missing X-Scope-OrgID header (this gateway is multi-tenant)' };
    if (!TENANT_ID.test(orgId)) return { error: `X-Scope-OrgID must match ${TENANT_ID}` };
    return { tenant: orgId };
  }
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) return { error: 'missing bearer token (Authorization: Bearer <token>)' };
  const tenant = tenancy.tokens.get(match[1]);
  return tenant === undefined ? { error: 'unknown bearer token' } : { tenant };
}
