// Go duration strings (`300ms`, `1.5s`, `1h30m`), as Tempo's and Jaeger's minDuration / maxDuration take them.
import { QueryParameterError } from './errors.ts';

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Nanoseconds of a non-negative Go duration string; throws QueryParameterError naming `parameter`. */
export function parseGoDuration(text: string, parameter: string): number {
  const bad = (why: string): never => {
    throw new QueryParameterError(parameter, `${why}; expected a duration like 100ms, 1.5s or 1h30m (units ns, us, µs, ms, s, m, h), got ${JSON.stringify(text.slice(0, 40))}`);
  };
  if (text.length > 64) bad('too long');
  if (text === '0') return 0;
  const part = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let nanos = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (m === null) return bad(at === 0 ? 'not a duration' : `unexpected ${JSON.stringify(text.slice(at))}`);
    nanos += Number(m[1]) * UNITS[m[2]];
    at = part.lastIndex;
  }
  if (at === 0) bad('empty');
  const rounded = Math.round(nanos);
  if (!Number.isSafeInteger(rounded)) bad('too large');
  return rounded;
}
