// Tenancy: single-tenant by default; or the tenant named by an `X-Scope-OrgID` header (as Mimir, Loki and
// Tempo take it, for a gateway behind a proxy that authenticates); or authentication, where the tenant comes from
// the credential — a bearer token or a verified client certificate — and never from a header the client picks.
// The tenant travels on every Kafka record as the `tenant` header.
import { credentialTenants, emptyCredentials, loadCredentialsFile, TENANT_ID, type Credentials } from './credentials.ts';

export { TENANT_HEADER } from '../otlp/tenant.ts';

export type Tenancy = { mode: 'none' } | { mode: 'header' } | { mode: 'auth'; credentials: Credentials };

/** What a request presents: its Authorization and X-Scope-OrgID values, and the CN of a verified client certificate. */
export interface Presented {
  authorization: string | undefined;
  orgId: string | undefined;
  certificateCn?: string | undefined;
}

/** A tenant, or why the request has none (`unauthenticated`: no valid credential; `forbidden`: a tenant it may not use). */
export type TenantResult = { tenant: string | undefined } | { refused: 'unauthenticated' | 'forbidden'; error: string };

/** Authentication by the tokens (and client mappings, limits) of a tenants file. */
export function loadTokenTenancy(file: string): Tenancy {
  const credentials = loadCredentialsFile(file, emptyCredentials());
  if (credentialTenants(credentials).size === 0) throw new Error(`${file}: no tokens and no clients`);
  return { mode: 'auth', credentials };
}

/** The tenant of a request. */
export function resolveTenant(tenancy: Tenancy, presented: Presented): TenantResult {
  if (tenancy.mode === 'none') return { tenant: undefined };
  const { orgId } = presented;
  if (tenancy.mode === 'header') {
    if (!orgId) return { refused: 'unauthenticated', error: 'missing X-Scope-OrgID header (this gateway is multi-tenant)' };
    if (!TENANT_ID.test(orgId)) return { refused: 'unauthenticated', error: `X-Scope-OrgID must match ${TENANT_ID}` };
    return { tenant: orgId };
  }
  const { credentials } = tenancy;
  let tenant: string | undefined;
  if (presented.authorization !== undefined) {
    // A token, when given, decides: a bad token is refused even over a good certificate.
    const match = /^Bearer\s+(\S+)$/i.exec(presented.authorization);
    if (!match) return { refused: 'unauthenticated', error: 'Authorization must be "Bearer <token>"' };
    tenant = credentials.tokens.lookup(match[1]);
    if (tenant === undefined) return { refused: 'unauthenticated', error: 'unknown bearer token' };
  } else if (presented.certificateCn !== undefined) {
    tenant = credentials.clients.get(presented.certificateCn);
    if (tenant === undefined) return { refused: 'unauthenticated', error: `client certificate CN "${presented.certificateCn}" maps to no tenant` };
  } else {
    const ways = credentials.clients.size > 0 ? 'Authorization: Bearer <token> or a client certificate' : 'Authorization: Bearer <token>';
    return { refused: 'unauthenticated', error: `missing credentials (${ways})` };
  }
  // The header may repeat the credential's tenant (clients built for Mimir/Loki send both); it may not pick another.
  if (orgId !== undefined && orgId !== tenant) return { refused: 'forbidden', error: 'X-Scope-OrgID names a tenant other than the credential’s; omit it or send the credential’s tenant' };
  return { tenant };
}
