// `otlp-streams run <file>` as a child process against the real stack, for end-to-end tests: resolves once the
// worker logs that it is running; `stop()` sends SIGTERM and resolves with the exit code.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { stackSettings } from './stack.ts';
import type { WorkerProcess } from './workers.ts';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'otlp-streams');

export interface TopologyProcess extends WorkerProcess {
  stop: () => Promise<number | null>;
}

export async function startTopologyProcess(name: string, file: string): Promise<TopologyProcess> {
  const child = spawn(bin, ['run', file, '--http-port', '0'], { env: { ...process.env, ...stackSettings(), LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners.splice(0)) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
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
  const worker: TopologyProcess = {
    child, name, output: () => out, waitFor, exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  await waitFor('"msg":"running"');
  return worker;
}
