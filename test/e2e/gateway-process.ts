// Runs `otlp-streams ingest` as a real process for end-to-end tests, on free ports, and stops it with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/stack/processes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface GatewayProcess {
  proc: ChildProcess;
  httpPort: number;
  grpcPort: number;
  url: string;
  output: () => string;
  /** SIGTERM (unless the test sent one already), then the exit code. */
  stop: () => Promise<number | null>;
}

export interface GatewayProcessOptions {
  /** More environment variables for the process. */
  env?: Record<string, string>;
  /** The gateway serves TLS with a certificate this CA signed. */
  ca?: Buffer;
  /** The client certificate the health check presents (mTLS). */
  client?: { cert: Buffer; key: Buffer };
}

function healthy(url: string, options: GatewayProcessOptions): Promise<boolean> {
  if (options.ca === undefined) return fetch(`${url}/healthz`).then((r) => r.ok);
  return new Promise((resolve, reject) => {
    get(`${url}/healthz`, { ca: options.ca, cert: options.client?.cert, key: options.client?.key }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', reject);
  });
}

/** Starts the gateway on `brokers` with extra CLI `args`; resolves once /healthz answers. */
export async function startGatewayProcess(brokers: string, args: string[], options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const proc = spawn(join(root, 'bin', 'otlp-streams'), ['ingest', '--http-port', String(httpPort), '--grpc-port', String(grpcPort), ...args], {
    cwd: root,
    env: { ...process.env, KAFKA_BROKERS: brokers, LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code, signal) => {
      if (signal !== null) out += `\n[test] gateway ended by ${signal}\n`;
      resolve(code);
    }),
  );
  const url = `${options.ca === undefined ? 'http' : 'https'}://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`gateway exited with ${proc.exitCode}:\n${out}`);
    try {
      if (await healthy(url, options)) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`gateway did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    proc, httpPort, grpcPort, url,
    output: () => out,
    stop: async () => {
      // Once only: a second SIGTERM that lands while Node tears down (its signal handlers already gone) kills the
      // process with the signal instead of letting it exit 0.
      if (proc.exitCode === null && !proc.killed) proc.kill('SIGTERM');
      return exited;
    },
  };
}
