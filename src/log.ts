// Structured logs (JSON lines, pino) for every long-running component; LOG_LEVEL sets the level. Credentials never
// reach a line: values under secret keys are masked in the logged object, and the finished line (message, error
// stacks included) is masked as text: URL passwords, secret query parameters, bearer tokens, registered secrets.
import { pino, type DestinationStream, type Logger } from 'pino';
import { maskSecrets, maskText } from './config/secrets.ts';

export type { Logger } from 'pino';

/** A logger with the process-wide settings and masking, writing to `stream` (default stdout). */
export function createLogger(stream?: DestinationStream, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const options = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      bindings: (bindings: Record<string, unknown>) => maskSecrets(bindings) as Record<string, unknown>,
      log: (object: Record<string, unknown>) => maskSecrets(object) as Record<string, unknown>,
    },
    // maskSecrets already turned Errors into pino's fields (type, message, stack, …), masked.
    serializers: { err: (err: unknown) => err },
    hooks: { streamWrite: maskText },
  };
  return stream === undefined ? pino(options) : pino(options, stream);
}

/** The process-wide root logger. */
export const logger: Logger = createLogger();

/** A child logger tagged with the component that logs. */
export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ component, ...bindings });
}
