// Credentials that name a tenant: bearer tokens, held only as SHA-256 digests, and client certificates (by subject
// CN, after the TLS handshake verified them against the configured CA). They come from a tenants file and from
// INGEST_TENANT_TOKENS; per-tenant limits may come with them.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { registerSecret } from '../config/index.ts';

/** What a tenant id may look like (it becomes a Kafka header and part of every series identity). */
export const TENANT_ID = /^[A-Za-z0-9_.-]{1,150}$/;

// RFC 6750 b64token: what may follow "Bearer ".
const BEARER_TOKEN = /^[A-Za-z0-9._~+/=-]+$/;
const DIGEST = /^sha256:([0-9a-fA-F]{64})$/;

/** Limits of one tenant that differ from the gateway's per-tenant defaults. */
export interface TenantLimitsOverride {
  maxInflightBytes?: number;
  itemsPerSecond?: number;
  bytesPerSecond?: number;
}

/** Everything that maps a credential to a tenant. */
export interface Credentials {
  tokens: TokenTable;
  /** Client certificate subject CN → tenant. */
  clients: ReadonlyMap<string, string>;
  /** Per-tenant limits over the defaults. */
  limits: ReadonlyMap<string, TenantLimitsOverride>;
}

/** The SHA-256 digest of a bearer token. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Bearer tokens by digest; the tokens themselves are never kept. */
export class TokenTable {
  private readonly byDigest = new Map<string, { digest: Buffer; tenant: string }>();

  /** Adds a token's digest; throws when the same token already names another tenant. */
  add(digest: Buffer, tenant: string): void {
    const hex = digest.toString('hex');
    const known = this.byDigest.get(hex);
    if (known !== undefined && known.tenant !== tenant) throw new Error(`the same token is given for tenants ${known.tenant} and ${tenant}`);
    this.byDigest.set(hex, { digest, tenant });
  }

  /** The tenant of a presented token, or undefined. */
  lookup(token: string): string | undefined {
    const digest = tokenDigest(token);
    // The map compares digests, never the token: timing can tell at most how much of a digest matched, which says
    // nothing about the token. The final comparison is constant-time anyway.
    const entry = this.byDigest.get(digest.toString('hex'));
    return entry !== undefined && timingSafeEqual(entry.digest, digest) ? entry.tenant : undefined;
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** Every tenant some token names. */
  tenants(): Set<string> {
    return new Set([...this.byDigest.values()].map((e) => e.tenant));
  }
}

/** Empty credentials, to fill with addToken / parseCredentials. */
export function emptyCredentials(): Credentials {
  return { tokens: new TokenTable(), clients: new Map(), limits: new Map() };
}

/**
 * Adds one token: `sha256:<64 hex>` is taken as the digest; anything else is a plain token, hashed here and
 * registered with the log masker (the only place it stays). `where` names the entry in errors, never the token.
 */
export function addToken(credentials: Credentials, token: string, tenant: unknown, where: string): void {
  if (typeof tenant !== 'string' || !TENANT_ID.test(tenant)) throw new Error(`${where}: tenant must match ${TENANT_ID}`);
  const digest = DIGEST.exec(token);
  if (digest) {
    credentials.tokens.add(Buffer.from(digest[1], 'hex'), tenant);
    return;
  }
  if (token.startsWith('sha256:')) throw new Error(`${where}: a sha256: token must be followed by 64 hex digits`);
  if (!BEARER_TOKEN.test(token)) throw new Error(`${where}: a token may hold only letters, digits and . _ ~ + / = -`);
  registerSecret(token);
  credentials.tokens.add(tokenDigest(token), tenant);
}

function positiveInteger(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new Error(`${where}: expected a positive integer`);
  return value;
}

/**
 * Reads a tenants document: `tokens: {<token or sha256:hex>: tenant}`, `clients: {<certificate CN>: tenant}`,
 * `limits: {<tenant>: {maxInflightBytes, itemsPerSecond, bytesPerSecond}}`; `source` names it in errors.
 */
export function parseCredentials(doc: unknown, source: string, into: Credentials = emptyCredentials()): Credentials {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`${source}: expected a mapping with tokens, clients and/or limits`);
  const { tokens = {}, clients = {}, limits = {}, ...rest } = doc as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new Error(`${source}: unknown key ${unknown[0]} (expected tokens, clients, limits)`);
  const mapping = (value: unknown, key: string): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${source}: ${key} must be a mapping`);
    return value as Record<string, unknown>;
  };
  let index = 0;
  // Entries are named by position: no part of a token is ever printed.
  for (const [token, tenant] of Object.entries(mapping(tokens, 'tokens'))) addToken(into, token, tenant, `${source}: token #${++index}`);
  const clientMap = into.clients as Map<string, string>;
  for (const [cn, tenant] of Object.entries(mapping(clients, 'clients'))) {
    if (typeof tenant !== 'string' || !TENANT_ID.test(tenant)) throw new Error(`${source}: clients.${cn}: tenant must match ${TENANT_ID}`);
    clientMap.set(cn, tenant);
  }
  const limitMap = into.limits as Map<string, TenantLimitsOverride>;
  for (const [tenant, value] of Object.entries(mapping(limits, 'limits'))) {
    if (!TENANT_ID.test(tenant)) throw new Error(`${source}: limits.${tenant}: tenant must match ${TENANT_ID}`);
    const override: TenantLimitsOverride = {};
    for (const [key, v] of Object.entries(mapping(value, `limits.${tenant}`))) {
      if (key !== 'maxInflightBytes' && key !== 'itemsPerSecond' && key !== 'bytesPerSecond') {
        throw new Error(`${source}: limits.${tenant}.${key}: unknown limit (expected maxInflightBytes, itemsPerSecond, bytesPerSecond)`);
      }
      override[key] = positiveInteger(v, `${source}: limits.${tenant}.${key}`);
    }
    limitMap.set(tenant, override);
  }
  return into;
}

/** Reads a tenants file (YAML or JSON) into `into`. */
export function loadCredentialsFile(file: string, into: Credentials = emptyCredentials()): Credentials {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not valid YAML/JSON';
    // eslint-disable-next-line preserve-caught-error -- a YAML error quotes the line, which may hold a token
    throw new Error(`tenants file ${file}: ${reason}`);
  }
  return parseCredentials(doc ?? {}, file, into);
}

/** Reads `tenant=token,tenant=token` (a token may be sha256:<hex>), the form of INGEST_TENANT_TOKENS, into `into`. */
export function parseTokenList(list: string, source: string, into: Credentials = emptyCredentials()): Credentials {
  let index = 0;
  for (const entry of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    index++;
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`${source}: entry #${index}: expected tenant=token`);
    addToken(into, entry.slice(eq + 1), entry.slice(0, eq), `${source}: entry #${index}`);
  }
  return into;
}

/** Every tenant the credentials can name. */
export function credentialTenants(credentials: Credentials): Set<string> {
  return new Set([...credentials.tokens.tenants(), ...credentials.clients.values()]);
}
