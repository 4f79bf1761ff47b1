// Prometheus with the remote-write receiver on, scraping nothing: a target for remote write and PromQL.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDetached, waitUntil, type ManagedProcess } from './processes.ts';
import type { ComponentContext } from './types.ts';

/** Starts Prometheus with fresh storage; resolves with its base URL once /-/ready answers. */
export async function startPrometheus(ctx: ComponentContext): Promise<{ proc: ManagedProcess; url: string }> {
  const home = join(ctx.dir, 'prometheus');
  mkdirSync(join(home, 'data'), { recursive: true });
  const config = join(home, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
  const port = await ctx.port('PROM');
  const proc = startDetached(
    'prometheus',
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(home, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
    ],
    join(ctx.dir, 'prometheus.log'),
  );
  ctx.spawned(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(`Prometheus on port ${port}`, async () => (await fetch(`${url}/-/ready`)).ok, { timeoutMs: 30_000, proc });
  return { proc, url };
}
