// Starting, watching and stopping the stack's background processes.
import { spawn, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ManagedProcess {
  name: string;
  pid: number;
  log: string;
  /** Stop by signalling the whole process group (the process was started as a group leader). */
  group: boolean;
  /** PostgreSQL only: its data folder, stopped with pg_ctl rather than a signal. */
  dataDir?: string;
}

/** Starts a long-running process detached in its own process group, output appended to `log`. */
export function startDetached(name: string, command: string, args: string[], log: string, options: SpawnOptions = {}): ManagedProcess {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${name}: ${command}`);
    child.unref();
    return { name, pid: child.pid, log, group: true };
  } finally {
    closeSync(fd);
  }
}

/** True while a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(proc: Pick<ManagedProcess, 'pid' | 'group'>, graceMs = 15_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(proc.group ? -proc.pid : proc.pid, sig);
    } catch {
      try {
        process.kill(proc.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!isAlive(proc.pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(proc.pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(proc.pid)) {
    signal('SIGKILL');
    while (isAlive(proc.pid)) await sleep(50);
  }
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** True if something accepts TCP connections on host:port. */
export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Polls `check` until it returns true. Fails with the last error and the tail of `log` when the
 * process dies or the time runs out, so a failed start says why.
 */
export async function waitUntil(what: string, check: () => Promise<boolean>, opts: { timeoutMs: number; proc?: ManagedProcess }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (opts.proc && !isAlive(opts.proc.pid)) {
      throw new Error(`${what}: process exited during start-up${lastError ? ` (${lastError})` : ''}\n${tail(opts.proc.log)}`);
    }
    await sleep(250);
  }
  throw new Error(`${what}: not ready after ${opts.timeoutMs / 1000}s${lastError ? ` (${lastError})` : ''}${opts.proc ? `\n${tail(opts.proc.log)}` : ''}`);
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 25): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n');
    return `--- last lines of ${file} ---\n${text.slice(-lines).join('\n')}`;
  } catch {
    return `(no log at ${file})`;
  }
}
