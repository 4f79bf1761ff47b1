// A throwaway PostgreSQL cluster (initdb + pg_ctl) on a free port, run as the `postgres` user when we are root.
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.ts';
import { postgresBinDir } from './prerequisites.ts';
import { waitUntil, type ManagedProcess } from './processes.ts';
import type { ComponentContext } from './types.ts';

/** Runs a PostgreSQL tool as the postgres user if we are root (PostgreSQL refuses to run as root). */
async function asPostgres(tool: string, args: string[]): Promise<void> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
  if (process.getuid?.() === 0) await run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]);
  else await run(join(bin, tool), args);
}

function postgresUid(): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Creates a fresh cluster in `runDir` and starts it; resolves with a connection URL. */
export async function startPostgres(ctx: ComponentContext, runDir: string): Promise<{ proc: ManagedProcess; url: string; dataDir: string }> {
  const home = join(runDir, 'postgres');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true, mode: 0o755 });
  if (process.getuid?.() === 0) {
    const owner = postgresUid();
    if (!owner) throw new Error('no postgres user on this machine (install the postgresql package)');
    chownSync(runDir, owner.uid, owner.gid);
    chownSync(home, owner.uid, owner.gid);
  }
  const dataDir = join(home, 'data');
  const log = join(home, 'postgres.log');
  const port = await ctx.port('PG');
  await asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
  const options = `-p ${port} -k ${home} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  await asPostgres('pg_ctl', ['-D', dataDir, '-o', options, '-l', log, '-w', '-t', '60', 'start']);
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const proc: ManagedProcess = { name: 'postgres', pid, log, group: false, dataDir };
  ctx.spawned(proc);
  await waitUntil('PostgreSQL', async () => existsSync(join(home, `.s.PGSQL.${port}`)), { timeoutMs: 30_000, proc });
  return { proc, url, dataDir };
}

/** Stops the cluster with pg_ctl (fast shutdown); the caller falls back to signals if that fails. */
export async function stopPostgres(dataDir: string): Promise<void> {
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return;
  await asPostgres('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
}
