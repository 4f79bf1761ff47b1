// Fetching Java artifacts from Maven Central with the machine's Maven, once, into the cache folder.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.ts';

export interface Artifact {
  groupId: string;
  artifactId: string;
  version: string;
  type?: string;
  classifier?: string;
}

function pom(deps: Artifact[]): string {
  const body = deps
    .map(
      (d) =>
        `<dependency><groupId>${d.groupId}</groupId><artifactId>${d.artifactId}</artifactId><version>${d.version}</version>` +
        `${d.type ? `<type>${d.type}</type>` : ''}${d.classifier ? `<classifier>${d.classifier}</classifier>` : ''}</dependency>`,
    )
    .join('\n    ');
  return `<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.otlp-streams</groupId><artifactId>stack-fetch</artifactId><version>0</version>
  <dependencies>
    ${body}
  </dependencies>
</project>
`;
}

/** Copies one artifact file (e.g. a zip distribution) without resolving its dependencies. */
export async function fetchArtifactFile(target: string, artifact: Artifact): Promise<void> {
  if (existsSync(target)) return;
  const scratch = `${target}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const coordinates = [artifact.groupId, artifact.artifactId, artifact.version, artifact.type ?? 'jar', artifact.classifier].filter(Boolean).join(':');
  await run('mvn', ['-B', '-q', 'dependency:copy', `-Dartifact=${coordinates}`, `-DoutputDirectory=${join(scratch, 'out')}`], { cwd: scratch });
  try {
    renameSync(join(scratch, 'out'), target);
  } catch (err) {
    if (!existsSync(target)) throw err;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Copies `deps` with their runtime dependencies into `target`.
 * Downloads into a scratch folder and renames at the end, so an interrupted fetch is never mistaken for a finished one.
 */
export async function fetchArtifacts(target: string, deps: Artifact[]): Promise<void> {
  if (existsSync(target)) return;
  const scratch = `${target}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  writeFileSync(join(scratch, 'pom.xml'), pom(deps));
  await run(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      join(scratch, 'pom.xml'),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${join(scratch, 'out')}`,
      '-DincludeScope=runtime',
    ],
    { cwd: scratch },
  );
  rmSync(join(scratch, 'pom.xml'));
  try {
    renameSync(join(scratch, 'out'), target);
  } catch (err) {
    if (!existsSync(target)) throw err; // another stack finished the same fetch first
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
