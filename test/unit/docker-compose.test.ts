// docker-compose.yml cannot run here; this keeps it honest against the config loader and the stack it describes.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ingestCommand } from '../../src/cli/ingest.ts';
import { ENV_KEYS, envLayer, resolveConfig } from '../../src/config/index.ts';
import { loadCredentialsFile } from '../../src/ingest/index.ts';
import { IMAGES } from '../../src/stack/docker.ts';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

const root = join(import.meta.dirname, '../..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const ours = Object.entries(services).filter(([, s]) => s.build !== undefined);

describe('docker-compose.yml', () => {
  it('has the stack and the project services', () => {
    expect(Object.keys(services).sort()).toEqual(['influxdb', 'ingest', 'kafka', 'prometheus', 'schema-registry', 'sink-postgres', 'timescaledb', 'victoria-metrics', 'worker']);
    expect(ours.map(([name]) => name).sort()).toEqual(['ingest', 'sink-postgres', 'worker']);
  });

  // Variables a command reads itself (commander's Option.env), besides the config loader's.
  const commandEnv: Record<string, string[]> = { ingest: ingestCommand().options.flatMap((o) => (o.envVar === undefined ? [] : [o.envVar])) };

  it('gives the project services only variables the config loader or their command reads, and they validate', () => {
    for (const [name, service] of ours) {
      const env = service.environment ?? {};
      const known = [...Object.keys(ENV_KEYS), ...(commandEnv[service.command?.[0] ?? ''] ?? [])];
      for (const key of Object.keys(env)) expect(known, `${name}: ${key}`).toContain(key);
      const config = resolveConfig([envLayer(env)]);
      expect(config.kafka.brokers).toEqual(['kafka:9092']);
    }
  });

  it('has the gateway listen on every interface of its container, so its published ports reach it', () => {
    expect(commandEnv.ingest).toContain('INGEST_HOST');
    expect(services.ingest.environment?.INGEST_HOST).toBe('0.0.0.0');
    expect(services.ingest.ports).toEqual(expect.arrayContaining(['4318:4318', '4317:4317']));
    // The shared connection settings still come with it.
    expect(services.ingest.environment?.KAFKA_BROKERS).toBe('kafka:9092');
  });

  it('has the gateway authenticate with a mounted tenants file holding digests only', () => {
    const mount = (services.ingest.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === services.ingest.environment?.INGEST_TENANTS);
    expect(mount, 'the INGEST_TENANTS file is mounted').toBeDefined();
    const credentials = loadCredentialsFile(join(root, mount![0]));
    expect(credentials.tokens.lookup('otlp-dev-token-change-me')).toBe('dev'); // the token docs/ingest.md names
    const doc = parse(readFileSync(join(root, mount![0]), 'utf8')) as { tokens: Record<string, string> };
    for (const token of Object.keys(doc.tokens)) expect(token).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('points every URL at a service that exists and a port it listens on', () => {
    const env = ours[0][1].environment ?? {};
    const internalPort: Record<string, number> = { kafka: 9092, 'schema-registry': 8080, timescaledb: 5432, 'victoria-metrics': 8428, prometheus: 9090, influxdb: 8086 };
    const targets = [env.KAFKA_BROKERS, env.SCHEMA_REGISTRY_URL, env.PG_URL, env.VM_URL, env.INFLUX_URL, env.PROM_URL, env.PROM_REMOTE_WRITE_URL];
    for (const target of targets) {
      const { hostname, port } = new URL(target.includes('://') ? target : `tcp://${target}`);
      expect(Object.keys(services), target).toContain(hostname);
      expect(Number(port), target).toBe(internalPort[hostname]);
    }
    expect(services.kafka.environment?.KAFKA_LISTENERS).toContain('PLAINTEXT://:9092');
    expect(services.prometheus.command).toContain('--web.enable-remote-write-receiver');
    expect(env.SCHEMA_REGISTRY_URL).toMatch(/\/apis\/ccompat\/v7$/);
  });

  it('starts the project services with commands the CLI has, on files that exist', () => {
    const help = execFileSync(process.execPath, [join(root, 'src/cli/main.ts'), '--help'], { encoding: 'utf8' });
    for (const [name, service] of ours) {
      const [command, ...args] = service.command ?? [];
      expect(help, `${name}: ${command}`).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
      for (const file of args.filter((a) => a.endsWith('.yaml'))) expect(existsSync(join(root, file)), file).toBe(true);
    }
  });

  it('runs the same component versions as the Testcontainers path', () => {
    expect(services.kafka.image).toBe(IMAGES.kafka);
    expect(services['schema-registry'].image).toBe(IMAGES.registry);
    expect(services.timescaledb.image).toBe(IMAGES.postgres);
    expect(services.prometheus.image).toBe(IMAGES.prometheus);
    expect(services['victoria-metrics'].image).toBe(IMAGES.victoriaMetrics);
    expect(services.influxdb.image).toBe(IMAGES.influx);
    // Every image the Testcontainers path starts is one a compose service runs, and no compose service runs another.
    const composeImages = Object.values(services).flatMap((s) => (s.image ? [s.image] : []));
    expect(composeImages.sort()).toEqual(Object.values(IMAGES).sort());
  });
});
