// Masking credentials wherever settings or errors are shown: values under secret-looking keys, passwords inside
// URLs (postgres://user:…@host), secret query parameters, Authorization values, and any value registered as a
// secret (tokens from a file) wherever it appears in text. A masked secret is replaced whole: no prefix, no length.

/** What a masked secret is shown as. */
export const MASK = '***';

/** Keys whose values are secrets (password, sasl.password, influx.token, apiKey, authorization, tokens…). */
export const SECRET_KEY = /pass(word|wd|phrase)?$|secret|token|credential|api[-_]?key|authorization|cookie|private[-_]?key/i;

// scheme://user:password@host: the password runs to the last '@' before the path, so a raw '@' in it is masked too.
// Quotes and backslashes end a URL, so the patterns also work on a JSON log line without running into the next field.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s"'\\:@/?#]*):([^\s"'\\/?#]*)@/gi;
// ?password=…, &sslpassword=…, &access_token=…, &api_key=…
const QUERY_SECRET = /([?&][^\s"'\\=&#]*(?:pass|secret|token|api[-_]?key|auth)[^\s"'\\=&#]*=)[^\s"'\\&#]*/gi;
// Authorization: Bearer …, Basic …
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

const registered = new Set<string>();
let registeredList: string[] = [];

// Shorter values are too likely to be ordinary words in a log line (a password "kafka" would mask every "kafka").
const MIN_REGISTERED_LENGTH = 6;

/** Remembers a secret value (6 characters or more) so maskText removes it from any text it appears in. */
export function registerSecret(value: string): void {
  if (value.length < MIN_REGISTERED_LENGTH || registered.has(value)) return;
  registered.add(value);
  // Longest first, so a secret containing another is removed whole.
  registeredList = [...registered].sort((a, b) => b.length - a.length);
}

/** The text with URL passwords, secret query parameters, Authorization credentials and registered secrets masked. */
export function maskText(text: string): string {
  let out = text;
  if (out.includes('://')) out = out.replace(URL_PASSWORD, `$1:${MASK}@`);
  if (out.includes('=')) out = out.replace(QUERY_SECRET, `$1${MASK}`);
  out = out.replace(AUTH_SCHEME, `$1 ${MASK}`);
  for (const secret of registeredList) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}

/** Error fields shown in place of an Error (pino's shape: type, message, stack, and own enumerable fields). */
function errorFields(err: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack };
  for (const [k, v] of Object.entries(err)) fields[k] = v;
  if (err.cause !== undefined) fields.cause = err.cause;
  return fields;
}

/**
 * A copy of `value` with secrets masked: values under SECRET_KEY keys become MASK (when set), every string goes
 * through maskText; Errors become plain fields (masked too); a cycle is cut with "[Circular]".
 */
export function maskSecrets(value: unknown): unknown {
  return mask(value, new WeakSet());
}

function mask(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return maskText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => mask(v, seen));
    if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [maskText(String(k)), maskEntry(String(k), v, seen)]));
    const source = value instanceof Error ? errorFields(value) : (value as Record<string, unknown>);
    // Objects with their own JSON form (URL, Date) are shown as that form.
    if (!(value instanceof Error) && typeof (value as { toJSON?: unknown }).toJSON === 'function') return mask((value as { toJSON: () => unknown }).toJSON(), seen);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(source)) out[k] = maskEntry(k, v, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

function maskEntry(key: string, value: unknown, seen: WeakSet<object>): unknown {
  if (SECRET_KEY.test(key)) return value === undefined || value === null || value === '' ? value : MASK;
  return mask(value, seen);
}

/** Registers every value under a secret key of `tree` (a parsed configuration), so it is masked in any text. */
export function registerSecretsOf(tree: unknown): void {
  if (typeof tree !== 'object' || tree === null) return;
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === 'string' && SECRET_KEY.test(k)) registerSecret(v);
    else registerSecretsOf(v);
  }
}
