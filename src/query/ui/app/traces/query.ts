// The search route's parameters → /api/search's (pure, so it is tested without a browser).
import { resolveRange } from '../components/timeRange.tsx';
import { logfmtValue } from './model.ts';

/** Traces a search returns when the route names no limit. */
export const DEFAULT_LIMIT = '50';

/** The route's parameters with `changes` applied (empty values dropped). */
export function withParams(params: URLSearchParams, changes: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) out[k] = v;
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') delete out[k];
    else out[k] = v;
  }
  return out;
}

/** The /api/search parameters a search route stands for. */
export function searchParams(params: URLSearchParams, nowMs = Date.now()): Record<string, string> {
  const { startMs, endMs } = resolveRange(params, nowMs);
  const out: Record<string, string> = {
    start: String(Math.floor(startMs / 1000)),
    end: String(Math.floor(endMs / 1000)),
    limit: params.get('limit') || DEFAULT_LIMIT,
  };
  const min = params.get('minDuration');
  const max = params.get('maxDuration');
  if (min) out.minDuration = min;
  if (max) out.maxDuration = max;
  const q = params.get('q')?.trim();
  if (q) {
    out.q = q;
    return out;
  }
  const tags: string[] = [];
  const service = params.get('service');
  const operation = params.get('operation');
  if (service) tags.push(`service.name=${logfmtValue(service)}`);
  if (operation) tags.push(`name=${logfmtValue(operation)}`);
  const extra = params.get('tags')?.trim();
  if (extra) tags.push(extra);
  if (tags.length > 0) out.tags = tags.join(' ');
  return out;
}

