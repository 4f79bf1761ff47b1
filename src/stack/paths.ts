// Where the local stack keeps its downloads (shared by all checkouts) and its running state (per checkout).
import { createHash } from 'node:crypto';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Downloaded jars and archives; kept across stacks and checkouts. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.OTLP_STREAMS_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'otlp-streams'));
}

/** Data, logs, pids and the settings file of one stack: `.stack/` in the working directory unless OTLP_STREAMS_STACK_DIR says otherwise. */
export function stackDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.OTLP_STREAMS_STACK_DIR ?? '.stack');
}

/** The settings file that tests and other commands read. */
export function settingsFile(dir: string = stackDir()): string {
  return join(dir, 'stack.json');
}

/**
 * A folder outside the checkout for PostgreSQL, which runs as the `postgres` user and must be able to
 * reach its data folder (a checkout in a private temp folder is not reachable for it).
 */
export function sharedRunDir(dir: string): string {
  const id = createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 12);
  return join(tmpdir(), `otlp-streams-${id}`);
}
