// Tenants: the gateway puts the tenant on every Kafka record as the `tenant` header; sources make it part of every
// series and trace identity (the item key), so two tenants sending the same series never share state, and outputs
// and sink rows carry it on. Records without the header belong to no tenant and keep the plain ids.

/** Kafka record header carrying the tenant id. */
export const TENANT_HEADER = 'tenant';

// Tenant ids never contain '/' (the gateway accepts [A-Za-z0-9_.-]), and series, trace and resource ids are hex.
const SEPARATOR = '/';

/** The identity of an entity of a tenant: `<tenant>/<id>`, or the id alone without a tenant. */
export function tenantKey(tenant: string | undefined, id: string): string {
  return tenant ? `${tenant}${SEPARATOR}${id}` : id;
}

/** The tenant of a `tenantKey`, or undefined. */
export function tenantOf(key: string | null | undefined): string | undefined {
  if (!key) return undefined;
  const at = key.indexOf(SEPARATOR);
  return at > 0 ? key.slice(0, at) : undefined;
}

/** The id part of a `tenantKey`. */
export function idOf(key: string): string {
  const at = key.indexOf(SEPARATOR);
  return at > 0 ? key.slice(at + 1) : key;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Record headers naming the tenant of a key (none without a tenant). */
export function tenantHeaders(key: string | null | undefined): Readonly<Record<string, string>> {
  const tenant = tenantOf(key);
  return tenant === undefined ? NO_HEADERS : { [TENANT_HEADER]: tenant };
}
