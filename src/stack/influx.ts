// InfluxDB 1.8 (the last 1.x with the 2.x write API, /api/v2/write, that @influxdata/influxdb-client speaks): not in
// Debian's archive at a usable version, so it is built from its Go source with `go install` once into the cache.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand, run } from './exec.ts';
import { startDetached, waitUntil, type ManagedProcess } from './processes.ts';
import type { ComponentContext } from './types.ts';

export const INFLUXDB_VERSION = '1.8.10';
/** The database the stack creates; the influx sink's default bucket. */
export const INFLUXDB_DATABASE = 'otlp';

/** The cached influxd binary, built first if missing. */
async function influxd(ctx: ComponentContext): Promise<string> {
  const dir = join(ctx.cache, `influxdb-${INFLUXDB_VERSION}`);
  const bin = join(dir, 'influxd');
  if (existsSync(bin)) return bin;
  if (!(await hasCommand('go'))) throw new Error('the local stack builds InfluxDB from source with Go: install Go (on Debian: apt-get install golang-go), or point at an InfluxDB with INFLUX_URL');
  ctx.log(`first start: building InfluxDB ${INFLUXDB_VERSION} with go install into ${dir} (a minute or two)`);
  mkdirSync(ctx.cache, { recursive: true });
  // Built into a folder of its own and moved into place: two stacks starting at once never see half a binary.
  const build = mkdtempSync(join(ctx.cache, 'influxdb-build-'));
  try {
    await run('go', ['install', `github.com/influxdata/influxdb/cmd/influxd@v${INFLUXDB_VERSION}`], {
      env: { ...process.env, GOBIN: build, GOPATH: join(ctx.cache, 'go'), GOFLAGS: '-mod=mod' },
    });
    mkdirSync(dir, { recursive: true });
    renameSync(join(build, 'influxd'), bin);
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
  return bin;
}

/** Starts InfluxDB with fresh storage and the `otlp` database; resolves with its base URL once /ping answers. */
export async function startInflux(ctx: ComponentContext): Promise<{ proc: ManagedProcess; url: string }> {
  const bin = await influxd(ctx);
  const home = join(ctx.dir, 'influxdb');
  mkdirSync(home, { recursive: true });
  const port = await ctx.port('INFLUX');
  const rpcPort = await ctx.port('INFLUX_RPC');
  const config = join(home, 'influxdb.conf');
  writeFileSync(
    config,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(home, 'meta')}"`,
      '[data]',
      `  dir = "${join(home, 'data')}"`,
      `  wal-dir = "${join(home, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '',
    ].join('\n'),
  );
  const proc = startDetached('influxdb', bin, ['run', '-config', config], join(ctx.dir, 'influxdb.log'));
  ctx.spawned(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(`InfluxDB on port ${port}`, async () => (await fetch(`${url}/ping`)).status === 204, { timeoutMs: 30_000, proc });
  const created = await fetch(`${url}/query?q=${encodeURIComponent(`CREATE DATABASE ${INFLUXDB_DATABASE}`)}`, { method: 'POST' });
  if (!created.ok) throw new Error(`InfluxDB: CREATE DATABASE ${INFLUXDB_DATABASE} answered ${created.status} ${await created.text()}`);
  return { proc, url };
}
