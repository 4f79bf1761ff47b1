// Which PostgreSQL failures are worth retrying. A server that is down, restarting, overloaded or out of connections
// will answer later; a row that breaks a type, a constraint or the table's shape will be refused again.
import type { SinkFailure } from '../util/index.ts';

/** Node socket errors: the server is unreachable for now. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATE classes and codes refused for good: 22 data exception (a value that does not fit its column), 23 integrity
 * constraint, 42 syntax or access rule, 0A feature not supported. 42P01 (undefined table) is not among them: the
 * sink creates its table again (someone dropped it), so retrying it helps.
 */
const PERMANENT_CLASSES = new Set(['22', '23', '42', '0A']);
const RETRYABLE_CODES = new Set(['42P01']);

interface PgErrorLike {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
}

/** The server's answer as one line: SQLSTATE, message, detail. */
export function describePostgresError(err: unknown): string {
  const e = (err ?? {}) as PgErrorLike;
  const text = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' ? `${e.code} ` : '';
  const detail = typeof e.detail === 'string' && e.detail ? ` (${e.detail})` : '';
  return `${code}${text}${detail}`;
}

/**
 * Sorts an error from node-postgres: permanent for SQLSTATE classes 22, 23, 42 (but 42P01) and 0A; retryable for
 * everything else — socket errors, 08 connection exceptions, 53 insufficient resources, 57 operator intervention
 * (57P01 admin shutdown, 57P03 cannot connect now, 57014 statement timeout), 40 rollbacks, and errors without a
 * code (connection terminated, client-side timeouts).
 */
export function classifyPostgresError(err: unknown): SinkFailure {
  const answer = describePostgresError(err);
  const code = (err as PgErrorLike | undefined)?.code;
  if (typeof code !== 'string' || NETWORK.has(code) || RETRYABLE_CODES.has(code)) return { kind: 'retryable', answer };
  if (/^[0-9A-Z]{5}$/.test(code) && PERMANENT_CLASSES.has(code.slice(0, 2))) return { kind: 'permanent', answer };
  return { kind: 'retryable', answer };
}
