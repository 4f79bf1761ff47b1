// Requests to the query service's APIs, with the tenant the user picked (X-Scope-OrgID) or a bearer token.

const TENANT_KEY = 'otlp-streams.tenant';
const TOKEN_KEY = 'otlp-streams.token';

export function tenant(): string {
  return localStorage.getItem(TENANT_KEY) ?? '';
}

export function setTenant(value: string): void {
  localStorage.setItem(TENANT_KEY, value);
}

export function setToken(value: string): void {
  localStorage.setItem(TOKEN_KEY, value);
}

/** An API answer that was not 2xx: the service's message, which names what is wrong. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function headers(): Record<string, string> {
  const h: Record<string, string> = {};
  const t = tenant();
  if (t !== '') h['x-scope-orgid'] = t;
  const token = localStorage.getItem(TOKEN_KEY) ?? '';
  if (token !== '') h.authorization = `Bearer ${token}`;
  return h;
}

/** GETs `path` with `params` (undefined and '' left out) and parses the JSON answer. */
export async function getJson<T>(path: string, params: Record<string, string | number | undefined> = {}, signal?: AbortSignal): Promise<T> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
  const url = query.size > 0 ? `${path}?${query}` : path;
  const res = await fetch(url, { headers: headers(), signal });
  const body = await res.text();
  if (!res.ok) throw new ApiError(res.status, errorMessage(body) || `${res.status} ${res.statusText}`);
  return JSON.parse(body) as T;
}

/** The message of an error body in any of the service's dialects (plain text, Jaeger, Prometheus). */
function errorMessage(body: string): string {
  try {
    const v = JSON.parse(body) as { error?: string; errors?: Array<{ msg: string }>; message?: string };
    return v.error ?? v.errors?.[0]?.msg ?? v.message ?? body;
  } catch {
    return body.trim();
  }
}
