// Durations in topology files: `500ms`, `10s`, `1m`, `1h30m`, `1d` — a number then a unit, repeated.
import { z } from 'zod';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+)(ms|s|m|h|d)/gy;

/** Milliseconds of a duration string, or undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (trimmed === '0') return 0;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = PART.exec(trimmed)) !== null) {
    total += Number(match[1]) * UNIT_MS[match[2]];
    consumed = PART.lastIndex;
  }
  return consumed === trimmed.length && Number.isSafeInteger(total) ? total : undefined;
}

/** Formats ms back into the shortest duration string (`90000` → `1m30s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit];
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

// A bare number is refused: "60" could mean seconds or milliseconds.
/** A duration in a topology file, parsed to ms. */
export const duration = z.unknown().transform((value, ctx) => {
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "1m", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ms;
});

/** A duration that must be longer than zero. */
export const positiveDuration = duration.refine((ms) => ms > 0, { message: 'expected a duration longer than 0' });
