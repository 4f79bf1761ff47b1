// Worker processes for the crash and scaling tests: spawn, watch their structured logs, kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface WorkerProcess {
  child: ChildProcess;
  name: string;
  /** Everything the process wrote so far. */
  output: () => string;
  /** Resolves when a log line contains `text`. */
  waitFor: (text: string, timeoutMs?: number) => Promise<void>;
  exited: Promise<number | null>;
}

const script = join(import.meta.dirname, '../fixtures/counting-worker.ts');

/** Starts a counting-topology worker process with the given environment. */
export function startWorker(name: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners.splice(0)) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (text: string, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`${name}: no "${text}" within ${timeoutMs} ms\n${out.slice(-3000)}`)), timeoutMs);
      const check = () => {
        if (out.includes(text)) {
          clearTimeout(deadline);
          resolve();
        } else if (child.exitCode !== null) {
          clearTimeout(deadline);
          reject(new Error(`${name} exited (${child.exitCode}) before "${text}"\n${out.slice(-3000)}`));
        } else listeners.push(check);
      };
      check();
    });
  return { child, name, output: () => out, waitFor, exited };
}

/** A small seeded generator for kill timings. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}
