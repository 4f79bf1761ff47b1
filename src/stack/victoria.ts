// VictoriaMetrics single node: InfluxDB line protocol in, PromQL out.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDetached, waitUntil, type ManagedProcess } from './processes.ts';
import type { ComponentContext } from './types.ts';

/** Starts VictoriaMetrics with fresh storage; resolves with its base URL once /health answers. */
export async function startVictoriaMetrics(ctx: ComponentContext): Promise<{ proc: ManagedProcess; url: string }> {
  const dataDir = join(ctx.dir, 'victoria-metrics');
  mkdirSync(dataDir, { recursive: true });
  const port = await ctx.port('VM');
  const proc = startDetached(
    'victoria-metrics',
    'victoria-metrics',
    [
      `-storageDataPath=${dataDir}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      // Without these, points younger than 30 s are hidden from queries and results are cached: tests read what they just wrote.
      '-search.latencyOffset=0s',
      '-search.disableCache',
    ],
    join(ctx.dir, 'victoria-metrics.log'),
  );
  ctx.spawned(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(`VictoriaMetrics on port ${port}`, async () => (await fetch(`${url}/health`)).ok, { timeoutMs: 30_000, proc });
  return { proc, url };
}
