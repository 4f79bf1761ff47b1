// A pino logger for a Worker that timestamps chosen messages (e.g. 'partitions assigned') as they are logged,
// and passes warnings and errors on to stderr.
import { pino, type Logger } from 'pino';

export interface LogWatch {
  logger: Logger;
  /** performance.now() of the first time `msg` was logged, or undefined. */
  firstAt(msg: string): number | undefined;
  /** The fields of the first line logged with `msg`, or undefined. */
  first(msg: string): Record<string, unknown> | undefined;
}

export function watchLog(bindings: Record<string, unknown> = {}): LogWatch {
  const seen = new Map<string, number>();
  const entries = new Map<string, Record<string, unknown>>();
  const stream = {
    write(line: string) {
      const now = performance.now();
      const entry = JSON.parse(line) as { msg?: string; level?: number };
      if (entry.msg && !seen.has(entry.msg)) {
        seen.set(entry.msg, now);
        entries.set(entry.msg, entry);
      }
      if ((entry.level ?? 0) >= 40) process.stderr.write(line);
    },
  };
  return { logger: pino({ level: 'info', base: bindings }, stream), firstAt: (msg) => seen.get(msg), first: (msg) => entries.get(msg) };
}
