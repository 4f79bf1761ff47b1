// `otlp-streams stack up | down | status`: a real single-node stack on loopback, reused while it runs.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from '../kafka/kafkajs.ts';
import type { StackEndpoints } from '../config/index.ts';
import { dockerAvailable, startDockerStack, stopContainers } from './docker.ts';
import { DEFAULT_KAFKA_VERSION, startKafka } from './kafka.ts';
import { cacheDir, settingsFile, sharedRunDir, stackDir } from './paths.ts';
import { startPostgres, stopPostgres } from './postgres.ts';
import { ensurePrerequisites } from './prerequisites.ts';
import { freePort, isAlive, stopProcess, type ManagedProcess } from './processes.ts';
import { startPrometheus } from './prometheus.ts';
import { startRegistry } from './registry.ts';
import type { ComponentContext, StackMode, StackState } from './types.ts';
import { startVictoriaMetrics } from './victoria.ts';
import { INFLUXDB_VERSION, startInflux } from './influx.ts';

export type { StackState, StackMode } from './types.ts';
export { settingsFile, stackDir, cacheDir } from './paths.ts';
export { KAFKA_VERSIONS, DEFAULT_KAFKA_VERSION } from './kafka.ts';

export interface UpOptions {
  dir?: string;
  kafkaVersion?: string;
  /** auto: existing stack from env, else Docker if reachable, else native processes. */
  mode?: 'auto' | 'native' | 'docker';
  log?: (line: string) => void;
}

export interface UpResult {
  state: StackState;
  /** True when a running stack was found and kept. */
  reused: boolean;
  /** True when this start had to download artifacts first. */
  cold: boolean;
  seconds: number;
}

const EXTERNAL_ENV = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'PG_URL', 'VM_URL', 'PROM_URL', 'INFLUX_URL'] as const;

/** Reads the settings file of a stack, if one was written. */
export function readState(dir: string = stackDir()): StackState | undefined {
  const file = settingsFile(dir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as StackState;
}

function writeState(dir: string, state: StackState): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(settingsFile(dir), JSON.stringify(state, null, 2) + '\n');
}

/** The connection settings of a state, as environment variables (the names the config loader reads). */
export function stackEnv(state: StackEndpoints): Record<string, string> {
  const env: Record<string, string> = { KAFKA_BROKERS: state.kafka.brokers.join(',') };
  if (state.schemaRegistry) env.SCHEMA_REGISTRY_URL = state.schemaRegistry.url;
  if (state.postgres) env.PG_URL = state.postgres.url;
  if (state.victoriaMetrics) env.VM_URL = state.victoriaMetrics.url;
  if (state.prometheus) env.PROM_URL = state.prometheus.url;
  if (state.influx) env.INFLUX_URL = state.influx.url;
  return env;
}

async function kafkaAnswers(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({ clientId: 'otlp-streams-stack', brokers, logLevel: logLevel.NOTHING, retry: { retries: 1 }, connectionTimeout: 2000 }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** True if every process of a native stack lives and Kafka answers. */
export async function stackHealthy(state: StackState): Promise<boolean> {
  if (state.processes.some((p) => !isAlive(p.pid))) return false;
  return kafkaAnswers(state.kafka.brokers);
}

/** One `up` or `down` at a time per stack folder (test runners may call up concurrently). */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'stack.lock');
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      writeFileSync(lock, String(process.pid));
      break;
    } catch {
      const owner = Number(readFileSync(lock, 'utf8') || '0');
      if (owner && !isAlive(owner)) unlinkSync(lock);
      else await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Brings the stack up, or reuses the one already running in `dir`. */
export async function stackUp(opts: UpOptions = {}): Promise<UpResult> {
  const dir = opts.dir ?? stackDir();
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
  return withLock(dir, async () => {
    if (process.env.KAFKA_BROKERS) {
      const state: StackState = { mode: 'external', startedAt: new Date().toISOString(), kafka: { brokers: process.env.KAFKA_BROKERS.split(',') }, processes: [], containers: [] };
      if (process.env.SCHEMA_REGISTRY_URL) state.schemaRegistry = { url: process.env.SCHEMA_REGISTRY_URL };
      if (process.env.PG_URL) state.postgres = { url: process.env.PG_URL };
      if (process.env.VM_URL) state.victoriaMetrics = { url: process.env.VM_URL };
      if (process.env.PROM_URL) state.prometheus = { url: process.env.PROM_URL };
      if (process.env.INFLUX_URL) state.influx = { url: process.env.INFLUX_URL };
      log(`using the existing stack named by ${EXTERNAL_ENV.filter((e) => process.env[e]).join(', ')}`);
      if (!(await kafkaAnswers(state.kafka.brokers))) throw new Error(`KAFKA_BROKERS=${process.env.KAFKA_BROKERS}: no Kafka answers there`);
      // Never over the state of a stack this folder started: it names the processes and data of that stack, and a
      // later `up` without the variables would take it for a dead stack and start another one on its data folders.
      const existing = readState(dir);
      if (existing && existing.mode !== 'external') log(`the local ${existing.mode} stack recorded in ${dir} is left as it is`);
      else writeState(dir, state);
      return { state, reused: true, cold: false, seconds: seconds() };
    }

    const existing = readState(dir);
    if (existing) {
      if (existing.mode !== 'external' && (await stackHealthy(existing))) {
        log(`stack already running (${existing.mode}, started ${existing.startedAt}); reusing it`);
        return { state: existing, reused: true, cold: false, seconds: seconds() };
      }
      log('found a stack that is no longer healthy; stopping what is left of it');
      await stopState(dir, existing);
    }

    const mode: StackMode = opts.mode === 'native' ? 'native' : opts.mode === 'docker' || (await dockerAvailable()) ? 'docker' : 'native';
    if (mode === 'docker') {
      log('a Docker engine is reachable: starting the stack with Testcontainers');
      const { endpoints, containers } = await startDockerStack(log);
      const state: StackState = { mode, startedAt: new Date().toISOString(), ...endpoints, processes: [], containers };
      writeState(dir, state);
      return { state, reused: false, cold: false, seconds: seconds() };
    }
    return startNative(dir, opts.kafkaVersion ?? process.env.KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION, log, seconds);
  });
}

async function startNative(dir: string, kafkaVersion: string, log: (line: string) => void, seconds: () => number): Promise<UpResult> {
  await ensurePrerequisites(log);
  const cache = cacheDir();
  mkdirSync(cache, { recursive: true });
  const cold = !existsSync(join(cache, `kafka-${kafkaVersion}`)) || !existsSync(join(cache, 'apicurio-registry-3.0.9')) || !existsSync(join(cache, `influxdb-${INFLUXDB_VERSION}`));
  if (cold) log(`first start: fetching Kafka ${kafkaVersion} and Apicurio Registry with Maven, building InfluxDB with Go, into ${cache}`);
  mkdirSync(dir, { recursive: true });
  const runDir = sharedRunDir(dir);
  mkdirSync(runDir, { recursive: true, mode: 0o755 });

  const taken = new Set<number>();
  const ctx: ComponentContext = {
    dir,
    cache,
    log,
    // Record each process as soon as it runs, so a failed or interrupted `up` can still be cleaned up by `down`.
    spawned: (proc) => {
      state.processes.push(proc);
      writeState(dir, state);
    },
    port: async (name) => {
      const fixed = process.env[`OTLP_STREAMS_${name}_PORT`];
      if (fixed) return Number(fixed);
      let port = await freePort();
      while (taken.has(port)) port = await freePort();
      taken.add(port);
      return port;
    },
  };
  const state: StackState = { mode: 'native', startedAt: new Date().toISOString(), kafkaVersion, kafka: { brokers: [] }, processes: [], containers: [] };
  const started = (proc: ManagedProcess) => log(`  ${proc.name.padEnd(17)} up after ${seconds()} s (pid ${proc.pid}, log ${proc.log})`);
  const results = await Promise.allSettled([
    startKafka(ctx, kafkaVersion).then((r) => {
      started(r.proc);
      state.kafka = { brokers: r.brokers };
    }),
    startRegistry(ctx).then((r) => {
      started(r.proc);
      state.schemaRegistry = { url: r.url };
    }),
    startPostgres(ctx, runDir).then((r) => {
      started(r.proc);
      state.postgres = { url: r.url };
    }),
    startVictoriaMetrics(ctx).then((r) => {
      started(r.proc);
      state.victoriaMetrics = { url: r.url };
    }),
    startPrometheus(ctx).then((r) => {
      started(r.proc);
      state.prometheus = { url: r.url };
    }),
    startInflux(ctx).then((r) => {
      started(r.proc);
      state.influx = { url: r.url };
    }),
  ]);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as Error).message);
  if (failures.length > 0) {
    await stopState(dir, state);
    throw new Error(`stack start failed:\n${failures.join('\n')}`);
  }
  writeState(dir, state);
  return { state, reused: false, cold, seconds: seconds() };
}

async function stopState(dir: string, state: StackState): Promise<void> {
  if (state.mode === 'docker' && state.containers.length > 0) await stopContainers(state.containers);
  await Promise.all(
    state.processes.map(async (proc) => {
      if (proc.dataDir) await stopPostgres(proc.dataDir).catch(() => {});
      await stopProcess(proc);
    }),
  );
  rmSync(settingsFile(dir), { force: true });
  if (state.mode === 'native') rmSync(sharedRunDir(dir), { recursive: true, force: true });
}

/** Stops every process or container that `up` started in `dir`; returns what was stopped. */
export async function stackDown(opts: { dir?: string } = {}): Promise<StackState | undefined> {
  const dir = opts.dir ?? stackDir();
  return withLock(dir, async () => {
    const state = readState(dir);
    if (!state) return undefined;
    await stopState(dir, state);
    const survivors = state.processes.filter((p) => isAlive(p.pid));
    if (survivors.length > 0) throw new Error(`still running after stop: ${survivors.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
    return state;
  });
}

export interface ComponentStatus {
  name: string;
  endpoint: string;
  healthy: boolean;
  pid?: number;
}

/** Checks each component of the stack in `dir`. */
export async function stackStatus(opts: { dir?: string } = {}): Promise<{ state?: StackState; components: ComponentStatus[] }> {
  const state = readState(opts.dir ?? stackDir());
  if (!state) return { components: [] };
  const ok = async (url: string) => {
    try {
      return (await fetch(url, { signal: AbortSignal.timeout(3000) })).ok;
    } catch {
      return false;
    }
  };
  const pid = (name: string) => state.processes.find((p) => p.name === name)?.pid;
  const alive = (name: string) => {
    const p = pid(name);
    return p === undefined || isAlive(p);
  };
  const components: ComponentStatus[] = [
    { name: 'kafka', endpoint: state.kafka.brokers.join(','), healthy: alive('kafka') && (await kafkaAnswers(state.kafka.brokers)), pid: pid('kafka') },
  ];
  if (state.schemaRegistry) components.push({ name: 'schema-registry', endpoint: state.schemaRegistry.url, healthy: alive('schema-registry') && (await ok(`${state.schemaRegistry.url}/subjects`)), pid: pid('schema-registry') });
  if (state.postgres) components.push({ name: 'postgres', endpoint: state.postgres.url, healthy: alive('postgres'), pid: pid('postgres') });
  if (state.victoriaMetrics) components.push({ name: 'victoria-metrics', endpoint: state.victoriaMetrics.url, healthy: alive('victoria-metrics') && (await ok(`${state.victoriaMetrics.url}/health`)), pid: pid('victoria-metrics') });
  if (state.prometheus) components.push({ name: 'prometheus', endpoint: state.prometheus.url, healthy: alive('prometheus') && (await ok(`${state.prometheus.url}/-/ready`)), pid: pid('prometheus') });
  if (state.influx) components.push({ name: 'influxdb', endpoint: state.influx.url, healthy: alive('influxdb') && (await ok(`${state.influx.url}/health`)), pid: pid('influxdb') });
  return { state, components };
}
