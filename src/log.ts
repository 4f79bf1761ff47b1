// Structured logs (JSON lines, pino) for every long-running component; LOG_LEVEL sets the level.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** The process-wide root logger. */
export const logger: Logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
});

/** A child logger tagged with the component that logs. */
export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ component, ...bindings });
}
