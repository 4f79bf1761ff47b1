// A schema registry with the Confluent REST API: Apicurio Registry 3 (on Maven Central), in-memory storage.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.ts';
import { fetchArtifactFile } from './maven.ts';
import { startDetached, waitUntil, type ManagedProcess } from './processes.ts';
import type { ComponentContext } from './types.ts';

// 3.0.10–3.1.x publish no ready-to-run zip; 3.0.9 is the newest that does.
const APICURIO_VERSION = '3.0.9';

/** Path under the registry's base URL that speaks the Confluent schema registry API. */
export const CONFLUENT_API_PATH = '/apis/ccompat/v7';

async function fetchApicurio(cache: string): Promise<string> {
  const home = join(cache, `apicurio-registry-${APICURIO_VERSION}`);
  if (existsSync(home)) return home;
  const zips = join(cache, `apicurio-registry-${APICURIO_VERSION}-zip`);
  await fetchArtifactFile(zips, { groupId: 'io.apicurio', artifactId: 'apicurio-registry-app', version: APICURIO_VERSION, type: 'zip', classifier: 'all' });
  const zip = readdirSync(zips).find((f) => f.endsWith('.zip'));
  if (!zip) throw new Error(`no zip in ${zips}`);
  const scratch = `${home}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  await run('unzip', ['-q', join(zips, zip), '-d', scratch]);
  renameSync(scratch, home);
  return home;
}

function findRunner(home: string): string {
  const search = (dir: string): string | undefined => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isFile() && (entry.name.endsWith('-runner.jar') || entry.name === 'quarkus-run.jar')) return path;
      if (entry.isDirectory() && entry.name !== 'lib') {
        const found = search(path);
        if (found) return found;
      }
    }
    return undefined;
  };
  const runner = search(home);
  if (!runner) throw new Error(`no runnable jar found in ${home}`);
  return runner;
}

/** Starts the registry; resolves with the Confluent-compatible URL once it answers. */
export async function startRegistry(ctx: ComponentContext): Promise<{ proc: ManagedProcess; url: string }> {
  const home = await fetchApicurio(ctx.cache);
  const port = await ctx.port('REGISTRY');
  const proc = startDetached(
    'schema-registry',
    'java',
    ['-Xms128m', '-Xmx512m', `-Dquarkus.http.port=${port}`, '-Dquarkus.http.host=127.0.0.1', '-Dquarkus.log.level=WARN', '-jar', findRunner(home)],
    join(ctx.dir, 'schema-registry.log'),
    { cwd: ctx.dir },
  );
  ctx.spawned(proc);
  const url = `http://127.0.0.1:${port}${CONFLUENT_API_PATH}`;
  await waitUntil(`schema registry on port ${port}`, async () => (await fetch(`${url}/subjects`)).ok, { timeoutMs: 90_000, proc });
  return { proc, url };
}
