// Avro records framed for the Confluent schema registry (magic byte 0, 4-byte schema id, Avro bytes).
//
// The registry client (@kafkajs/confluent-schema-registry) registers our schemas and fetches writer schemas by id.
// Its encode/decode are async; a stream task encodes and decodes synchronously inside its pipeline, so a codec is
// prepared once before the task starts (register the schema, load every version of the subject) and then frames and
// parses records itself with the avsc types — the same bytes the client's encode writes and its decode reads.
import { readFileSync } from 'node:fs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import type { Config } from '../config/index.ts';

const MAGIC = 0;
const HEADER_BYTES = 5;
const SCHEMAS_DIR = new URL('../../schemas/avro/', import.meta.url);

/** An Avro schema as JSON. */
export type AvroSchema = Record<string, unknown>;

/**
 * Reads `schemas/avro/<name>.avsc`. A field type `"$ref:<file>"` inlines another schema file at its first use (later
 * uses name its type), so a schema registered in the registry is self-contained while its parts live in one file each.
 */
export function loadAvroSchema(name: string): AvroSchema {
  const defined = new Set<string>();
  const inline = (node: unknown): unknown => {
    if (typeof node === 'string' && node.startsWith('$ref:')) {
      const file = node.slice(5);
      const schema = JSON.parse(readFileSync(new URL(`${file}.avsc`, SCHEMAS_DIR), 'utf8')) as AvroSchema;
      const fullName = `${schema.namespace as string}.${schema.name as string}`;
      if (defined.has(fullName)) return fullName;
      defined.add(fullName);
      return inline(schema);
    }
    if (Array.isArray(node)) return node.map(inline);
    if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(v)]));
    return node;
  };
  return inline(`$ref:${name}`) as AvroSchema;
}

// Avro longs as JS values: a number when safe, a bigint beyond ±2^53 (as our OTLP model keeps int64 values).
const int64 = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => {
    const n = buf.readBigInt64LE();
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  },
  toBuffer: (n: number | bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (n: number | bigint) => n,
  toJSON: (n: number | bigint) => Number(n),
  isValid: (n: unknown) => (typeof n === 'number' && Number.isSafeInteger(n)) || typeof n === 'bigint',
  compare: (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** The avsc type of a schema, with wrapped unions and exact int64 longs. */
export function avroType(schema: AvroSchema): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { wrapUnions: true, registry: { long: int64 } });
}

// One client per registry URL and credentials: it caches schemas by id.
const clients = new Map<string, SchemaRegistry>();

function registryClient(config: Config): SchemaRegistry {
  const settings = config.schemaRegistry;
  if (!settings) throw new Error('this topology reads or writes Avro records: set the schema registry URL (schemaRegistry.url, or SCHEMA_REGISTRY_URL)');
  const auth = settings.username !== undefined ? { username: settings.username, password: settings.password ?? '' } : undefined;
  const id = `${settings.url} ${settings.username ?? ''}`;
  let client = clients.get(id);
  if (!client) {
    client = new SchemaRegistry({ host: settings.url, clientId: config.kafka.clientId, ...(auth ? { auth } : {}), retry: { retries: 3 } });
    clients.set(id, client);
  }
  return client;
}

/** The compatibility every subject we write is held to. */
const COMPATIBILITY = 'BACKWARD';

/**
 * Gives a new subject its compatibility level before the first schema is registered. The registry client would set
 * it after registering, and a second worker registering the same subject in that moment sees the registry's
 * default instead ("Compatibility does not match the configuration") or races it for the rule; set first, every
 * concurrent registration sees the same level and registering the same schema twice is idempotent.
 */
async function ensureCompatibility(config: Config, subject: string): Promise<void> {
  const settings = config.schemaRegistry!;
  const url = `${settings.url.replace(/\/$/, '')}/config/${encodeURIComponent(subject)}`;
  const headers: Record<string, string> = { Accept: 'application/vnd.schemaregistry.v1+json, application/json' };
  if (settings.username !== undefined) headers.Authorization = `Basic ${Buffer.from(`${settings.username}:${settings.password ?? ''}`).toString('base64')}`;
  const level = async () => {
    const res = await fetch(url, { headers });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GET config of ${subject}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { compatibilityLevel?: string }).compatibilityLevel;
  };
  if ((await level()) !== undefined) return;
  const put = await fetch(url, { method: 'PUT', headers: { ...headers, 'Content-Type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ compatibility: COMPATIBILITY }) });
  // Refused because another worker set it at the same moment: fine once the subject has a level.
  if (!put.ok && (await level()) === undefined) throw new Error(`PUT config of ${subject}: ${put.status} ${await put.text()}`);
}

/** The registry's subject of a topic's record values (TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/**
 * Values of one topic as Avro records of one schema. `prepare` registers the schema under the topic's value subject
 * (the registry checks that it evolves compatibly) and loads every registered version, so records written by an
 * older or newer version of the schema read as this one (Avro schema resolution).
 */
export class AvroCodec<T> {
  readonly subject: string;
  readonly schema: AvroSchema;
  private readonly type: avro.Type;
  private id: number | undefined;
  private readonly readers = new Map<number, avro.Type | avro.Resolver>();
  private preparing: Promise<void> | undefined;

  constructor(topic: string, schema: AvroSchema) {
    this.subject = valueSubject(topic);
    this.schema = schema;
    this.type = avroType(schema);
  }

  /** Registers the schema and loads the subject's versions; safe to call more than once. */
  prepare(config: Config): Promise<void> {
    const registry = registryClient(config);
    this.preparing ??= ensureCompatibility(config, this.subject).then(() => this.load(registry)).catch((err: Error) => {
      this.preparing = undefined;
      throw new Error(`schema registry, subject ${this.subject}: ${err.message}`);
    });
    return this.preparing;
  }

  private async load(registry: SchemaRegistry): Promise<void> {
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(this.schema) }, { subject: this.subject });
    this.id = id;
    this.readers.set(id, this.type);
    const latest = await registry.getLatestSchemaId(this.subject);
    // Versions are numbered from 1; one that was deleted is skipped. Stop at the latest.
    for (let version = 1; version < 10_000; version++) {
      const versionId = await registry.getRegistryId(this.subject, version).catch(() => undefined);
      if (versionId !== undefined && !this.readers.has(versionId)) {
        const registered = (await registry.getSchema(versionId)) as unknown as avro.Type;
        const writer = avroType(registered.schema() as AvroSchema);
        this.readers.set(versionId, this.type.createResolver(writer));
      }
      if (versionId === latest) break;
    }
  }

  /** Writes and reads with schema id 1 and no registry: for tests and benchmarks that run without one. */
  offline(): this {
    this.id = 1;
    this.readers.set(1, this.type);
    return this;
  }

  /** The schema id records are written with (after `prepare`). */
  get schemaId(): number {
    if (this.id === undefined) throw new Error(`Avro codec of ${this.subject} used before prepare()`);
    return this.id;
  }

  /** Frames a value: magic byte, schema id, Avro bytes. Throws with the failing field's path when the value does not fit the schema. */
  encode(value: T): Buffer {
    const id = this.schemaId;
    let body: Buffer;
    try {
      body = this.type.toBuffer(value);
    } catch (err) {
      const paths: string[] = [];
      this.type.isValid(value, { errorHook: (path) => paths.push(path.join('.')) });
      throw new Error(`record does not fit ${this.subject}${paths.length > 0 ? ` at ${paths.join(', ')}` : ''}: ${(err as Error).message}`, { cause: err });
    }
    const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
    out[0] = MAGIC;
    out.writeInt32BE(id, 1);
    body.copy(out, HEADER_BYTES);
    return out;
  }

  /** Parses a framed record written with any version of the subject that was registered when `prepare` ran. */
  decode(bytes: Buffer): T {
    if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC) throw new Error(`not a schema-registry framed record (${bytes.length} bytes, first byte ${bytes[0] ?? 'none'})`);
    const id = bytes.readInt32BE(1);
    const reader = this.readers.get(id);
    if (reader === undefined) throw new Error(`schema id ${id} is not a version of ${this.subject} known when this worker started (restart it to load newer versions)`);
    const body = bytes.subarray(HEADER_BYTES);
    return (reader === this.type ? this.type.fromBuffer(body) : this.type.fromBuffer(body, reader as avro.Resolver)) as T;
  }
}
