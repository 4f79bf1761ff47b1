// Running short commands (maven, apt-get, initdb) with their output kept for error messages.
import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number;
  output: string;
}

/** Runs a command to completion; rejects with its output when it exits non-zero. */
export async function run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; allowFail?: boolean } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => reject(new Error(`${command}: ${err.message}`)));
    child.on('close', (code) => {
      const result = { code: code ?? 1, output };
      if (result.code !== 0 && !opts.allowFail) {
        reject(new Error(`${command} ${args.join(' ')} exited with ${result.code}\n${output.trim().split('\n').slice(-30).join('\n')}`));
      } else resolve(result);
    });
  });
}

/** True if `command` is found on PATH. */
export async function hasCommand(command: string): Promise<boolean> {
  const r = await run('sh', ['-c', `command -v ${command}`], { allowFail: true });
  return r.code === 0;
}
