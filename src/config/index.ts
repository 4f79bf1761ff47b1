// One typed configuration for every component, read from the environment, a file and the local stack.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MASK, maskText, registerSecretsOf, SECRET_KEY } from './secrets.ts';

export { MASK, maskSecrets, maskText, registerSecret, SECRET_KEY } from './secrets.ts';

const hostPort = z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'expected host:port');
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/** The runtime's defaults: one place, read by the schema (so `otlp-streams config` shows them) and by workers built without a parsed config. */
export const RUNTIME_DEFAULTS: Readonly<Record<'commitIntervalMs' | 'maxUncommittedRecords' | 'maxUncommittedBytes' | 'maxEventTimeLeadMs' | 'maxRecordAttempts', number>> = {
  /** A task commits its outputs, state and offset once its oldest uncommitted work is this old (as Kafka Streams with exactly-once). */
  commitIntervalMs: 100,
  maxUncommittedRecords: 20_000,
  maxUncommittedBytes: 8 << 20,
  /** An hour: clock skew between producers is minutes, not hours. */
  maxEventTimeLeadMs: 3_600_000,
  maxRecordAttempts: 3,
};

export const configSchema = z.strictObject({
  kafka: z.strictObject({
    brokers: z.array(hostPort).min(1, 'expected at least one broker'),
    clientId: z.string().min(1).default('otlp-streams'),
    sasl: z
      .strictObject({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string().min(1),
        password: z.string().min(1),
      })
      .optional(),
    tls: z
      .strictObject({
        enabled: z.boolean().default(true),
        ca: z.string().optional().describe('path of a PEM CA bundle'),
        cert: z.string().optional().describe('path of a PEM client certificate'),
        key: z.string().optional().describe('path of a PEM client key'),
        rejectUnauthorized: z.boolean().default(true),
      })
      .optional(),
  }),
  schemaRegistry: z
    .strictObject({
      url: httpUrl,
      username: z.string().optional(),
      password: z.string().optional(),
    })
    .optional(),
  postgres: z.strictObject({ url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL') }).optional(),
  victoriaMetrics: z.strictObject({ url: httpUrl }).optional(),
  influx: z
    .strictObject({
      url: httpUrl,
      token: z.string().default(''),
      org: z.string().default('otlp'),
      bucket: z.string().default('otlp'),
    })
    .optional(),
  prometheus: z
    .strictObject({
      url: httpUrl,
      remoteWriteUrl: httpUrl.optional(),
    })
    .optional(),
  /** How workers commit and what they tolerate (docs/runtime.md); `run --commit-interval` overrides the interval. */
  runtime: z
    .strictObject({
      commitIntervalMs: z.number({ error: 'expected a number of ms' }).int('expected whole ms').min(0, 'expected ms ≥ 0 (0: commit every batch)').default(RUNTIME_DEFAULTS.commitIntervalMs),
      maxUncommittedRecords: z.number({ error: 'expected a number' }).int().min(1, 'expected at least 1').default(RUNTIME_DEFAULTS.maxUncommittedRecords),
      maxUncommittedBytes: z.number({ error: 'expected a number of bytes' }).int().min(1024, 'expected at least 1024 bytes').default(RUNTIME_DEFAULTS.maxUncommittedBytes),
      /** How far an item's event time may lead the wall clock; beyond it the item goes to the late topic. */
      maxEventTimeLeadMs: z.number({ error: 'expected a number of ms' }).int('expected whole ms').min(1, 'expected ms > 0').default(RUNTIME_DEFAULTS.maxEventTimeLeadMs),
      /** How far an item's event time may lag the task's stream time (default: no bound). */
      maxEventTimeLagMs: z.number({ error: 'expected a number of ms' }).int('expected whole ms').min(1, 'expected ms > 0').optional(),
      /** A record that makes the pipeline throw this many times in a row goes to the dead-letter topic. */
      maxRecordAttempts: z.number({ error: 'expected a number' }).int('expected a whole number').min(1, 'expected at least 1').default(RUNTIME_DEFAULTS.maxRecordAttempts),
    })
    .prefault({}),
  /** The ingest gateway's credentials and TLS (docs/ingest.md); `ingest` flags override them. */
  ingest: z
    .strictObject({
      tenants: z.string().min(1).optional().describe('path of a tenants file (tokens, clients, limits)'),
      /** Secret: masked wherever shown. */
      tenantTokens: z
        .string()
        .regex(/^\s*[A-Za-z0-9_.-]+=[^,\s]+(\s*,\s*[A-Za-z0-9_.-]+=[^,\s]+)*\s*,?\s*$/, 'expected tenant=token pairs separated by commas (a token may be sha256:<hex>)')
        .optional(),
      tls: z
        .strictObject({
          cert: z.string().min(1).optional().describe('path of the PEM server certificate'),
          key: z.string().min(1).optional().describe('path of the PEM server key'),
          clientCa: z.string().min(1).optional().describe('path of a PEM CA bundle: clients must present a certificate it signed'),
        })
        .superRefine((t, ctx) => {
          // Name the missing file, so the error points at what to set.
          if (t.key === undefined && (t.cert !== undefined || t.clientCa !== undefined)) ctx.addIssue({ code: 'custom', path: ['key'], message: 'needed with cert and clientCa' });
          if (t.cert === undefined && (t.key !== undefined || t.clientCa !== undefined)) ctx.addIssue({ code: 'custom', path: ['cert'], message: 'needed with key and clientCa' });
        })
        .optional(),
    })
    .optional(),
});

export type Config = z.infer<typeof configSchema>;

/** Environment variable → config path. The same names are used in docker-compose.yml. */
export const ENV_KEYS: Readonly<Record<string, string>> = {
  KAFKA_BROKERS: 'kafka.brokers',
  KAFKA_CLIENT_ID: 'kafka.clientId',
  KAFKA_SASL_MECHANISM: 'kafka.sasl.mechanism',
  KAFKA_SASL_USERNAME: 'kafka.sasl.username',
  KAFKA_SASL_PASSWORD: 'kafka.sasl.password',
  KAFKA_TLS: 'kafka.tls.enabled',
  KAFKA_TLS_CA: 'kafka.tls.ca',
  KAFKA_TLS_CERT: 'kafka.tls.cert',
  KAFKA_TLS_KEY: 'kafka.tls.key',
  KAFKA_TLS_REJECT_UNAUTHORIZED: 'kafka.tls.rejectUnauthorized',
  SCHEMA_REGISTRY_URL: 'schemaRegistry.url',
  SCHEMA_REGISTRY_USERNAME: 'schemaRegistry.username',
  SCHEMA_REGISTRY_PASSWORD: 'schemaRegistry.password',
  PG_URL: 'postgres.url',
  VM_URL: 'victoriaMetrics.url',
  INFLUX_URL: 'influx.url',
  INFLUX_TOKEN: 'influx.token',
  INFLUX_ORG: 'influx.org',
  INFLUX_BUCKET: 'influx.bucket',
  PROM_URL: 'prometheus.url',
  PROM_REMOTE_WRITE_URL: 'prometheus.remoteWriteUrl',
  COMMIT_INTERVAL_MS: 'runtime.commitIntervalMs',
  MAX_UNCOMMITTED_RECORDS: 'runtime.maxUncommittedRecords',
  MAX_UNCOMMITTED_BYTES: 'runtime.maxUncommittedBytes',
  MAX_EVENT_TIME_LEAD_MS: 'runtime.maxEventTimeLeadMs',
  MAX_EVENT_TIME_LAG_MS: 'runtime.maxEventTimeLagMs',
  MAX_RECORD_ATTEMPTS: 'runtime.maxRecordAttempts',
  INGEST_TENANTS: 'ingest.tenants',
  INGEST_TENANT_TOKENS: 'ingest.tenantTokens',
  INGEST_TLS_CERT: 'ingest.tls.cert',
  INGEST_TLS_KEY: 'ingest.tls.key',
  INGEST_TLS_CLIENT_CA: 'ingest.tls.clientCa',
};

const LIST_PATHS = new Set(['kafka.brokers']);
const BOOLEAN_PATHS = new Set(['kafka.tls.enabled', 'kafka.tls.rejectUnauthorized']);
const NUMBER_PATHS = new Set(['runtime.commitIntervalMs', 'runtime.maxUncommittedRecords', 'runtime.maxUncommittedBytes', 'runtime.maxEventTimeLeadMs', 'runtime.maxEventTimeLagMs', 'runtime.maxRecordAttempts']);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Tree = Record<string, unknown>;

/** A layer of raw settings and where they came from, e.g. "env KAFKA_BROKERS" or "file otlp-streams.yaml". */
export interface ConfigLayer {
  values: Tree;
  origin: (path: string) => string;
}

function setPath(tree: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Tree;
  }
  node[parts[parts.length - 1]] = value;
}

function getPath(tree: unknown, path: string): unknown {
  let node = tree;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Tree)[part];
  }
  return node;
}

function isPlainObject(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? merge(out[k] as Tree, v) : v;
  }
  return out;
}

/** Settings from environment variables (see ENV_KEYS). */
export function envLayer(env: NodeJS.ProcessEnv = process.env): ConfigLayer {
  const values: Tree = {};
  const byPath = new Map<string, string>();
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (LIST_PATHS.has(path)) value = raw.split(',').map((s) => s.trim()).filter(Boolean);
    if (BOOLEAN_PATHS.has(path)) value = ['1', 'true', 'yes', 'on'].includes(raw.toLowerCase()) ? true : ['0', 'false', 'no', 'off'].includes(raw.toLowerCase()) ? false : raw;
    // Not a number: left as text, so the error names the variable and shows what it held.
    if (NUMBER_PATHS.has(path) && /^\s*-?\d+(\.\d+)?\s*$/.test(raw)) value = Number(raw);
    setPath(values, path, value);
    byPath.set(path, name);
  }
  const origin = (path: string) => {
    // An issue may point inside a value (kafka.brokers.0): name the variable that set its nearest parent.
    for (let p = path; p; p = p.slice(0, Math.max(0, p.lastIndexOf('.')))) if (byPath.has(p)) return `env ${byPath.get(p)}`;
    return 'environment';
  };
  return { values, origin };
}

/** Settings from a YAML or JSON file shaped like the config schema. */
export function fileLayer(file: string): ConfigLayer {
  if (!existsSync(file)) throw new ConfigError(`config file ${file} does not exist`);
  let values: unknown;
  try {
    values = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  if (values == null) values = {};
  if (!isPlainObject(values)) throw new ConfigError(`config file ${file}: expected a mapping at the top level`);
  return { values, origin: () => `file ${file}` };
}

/** Validates merged layers (later layers win) and returns the typed config, or throws a ConfigError naming key and source. */
export function resolveConfig(layers: ConfigLayer[]): Config {
  let merged: Tree = {};
  for (const layer of layers) merged = merge(merged, layer.values);
  const result = configSchema.safeParse(merged);
  if (result.success) {
    registerSecretsOf(result.data); // from now on masked in every log line, wherever they appear
    return result.data;
  }
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.join('.');
    const origin = [...layers].reverse().find((l) => getPath(l.values, path) !== undefined)?.origin(path) ?? 'default';
    const got = getPath(merged, path);
    const secret = issue.path.some((p) => SECRET_KEY.test(String(p)));
    const shown = got === undefined ? 'nothing' : secret ? MASK : maskText(JSON.stringify(got));
    return `  ${path || '(root)'} (from ${origin}): ${issue.message}; got ${shown}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** Turns connection settings of a running local stack into a config layer. */
export function stackLayer(stack: StackEndpoints): ConfigLayer {
  const values: Tree = { kafka: { brokers: stack.kafka.brokers } };
  if (stack.schemaRegistry) values.schemaRegistry = { url: stack.schemaRegistry.url };
  if (stack.postgres) values.postgres = { url: stack.postgres.url };
  if (stack.victoriaMetrics) values.victoriaMetrics = { url: stack.victoriaMetrics.url };
  if (stack.influx) values.influx = { url: stack.influx.url };
  if (stack.prometheus) values.prometheus = { url: stack.prometheus.url };
  return { values, origin: () => 'the local stack file' };
}

/** The endpoints a stack offers; written by `otlp-streams stack up`. */
export interface StackEndpoints {
  kafka: { brokers: string[] };
  schemaRegistry?: { url: string };
  postgres?: { url: string };
  victoriaMetrics?: { url: string };
  prometheus?: { url: string };
  /** InfluxDB 1.8 (its 2.x write API), the influx sink's default server. */
  influx?: { url: string };
}
