// Java, Maven and the Debian packages the native stack needs: installed with apt-get when we are root, else a clear message.
import { existsSync, readdirSync } from 'node:fs';
import { hasCommand, run } from './exec.ts';

interface Requirement {
  what: string;
  present: () => Promise<boolean>;
  debianPackage: string;
}

/** The newest PostgreSQL server binaries folder from Debian's packages, if any. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(`${base}/${v}/bin/initdb`))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? `${base}/${versions[0]}/bin` : undefined;
}

const REQUIREMENTS: Requirement[] = [
  { what: 'java (17 or later)', present: () => hasCommand('java'), debianPackage: 'openjdk-17-jre-headless' },
  { what: 'mvn (Maven)', present: () => hasCommand('mvn'), debianPackage: 'maven' },
  { what: 'unzip', present: () => hasCommand('unzip'), debianPackage: 'unzip' },
  { what: 'PostgreSQL server', present: async () => postgresBinDir() !== undefined, debianPackage: 'postgresql' },
  { what: 'victoria-metrics', present: () => hasCommand('victoria-metrics'), debianPackage: 'victoria-metrics' },
  { what: 'prometheus', present: () => hasCommand('prometheus'), debianPackage: 'prometheus' },
];

/** Makes sure every tool the native stack runs is installed, installing Debian packages when running as root. */
export async function ensurePrerequisites(log: (line: string) => void): Promise<void> {
  const missing: Requirement[] = [];
  for (const req of REQUIREMENTS) if (!(await req.present())) missing.push(req);
  if (missing.length === 0) return;
  const packages = missing.map((m) => m.debianPackage);
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !(await hasCommand('apt-get'))) {
    throw new Error(
      `the local stack needs ${missing.map((m) => m.what).join(', ')}.\n` +
        `Install them (on Debian/Ubuntu: sudo apt-get install -y ${packages.join(' ')}), ` +
        'or point at an existing stack with KAFKA_BROKERS, SCHEMA_REGISTRY_URL, PG_URL, VM_URL and PROM_URL.',
    );
  }
  await aptInstall(packages, log);
  for (const req of missing) {
    if (!(await req.present())) throw new Error(`${req.what} is still missing after apt-get install ${req.debianPackage}`);
  }
}

/** Installs Debian packages with apt-get (the caller checked that we are root and apt-get exists). */
export async function aptInstall(packages: readonly string[], log: (line: string) => void): Promise<void> {
  log(`installing ${packages.join(', ')} with apt-get (first run only)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env });
}
