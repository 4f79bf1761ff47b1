// `otlp-streams tail <topic>`: prints a topic's committed records as JSON lines — Avro records framed by the schema
// registry decoded through it (otlp.rollup.*, otlp.series), JSON as JSON, anything else as its size. How a newcomer
// looks at the rollups of their own data without writing a consumer.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { createKafka } from '../kafka/index.ts';
import { loadConfig } from './loadConfig.ts';

interface TailOptions {
  config?: string;
  limit?: number;
  follow: boolean;
  grep?: string;
}

// Bytes (an aggregate's partial, an attribute's bytes) are shown by size; 64-bit ints beyond 2^53 as decimals.
function printable(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) return `<${(value as { data: unknown[] }).data.length} bytes>`;
  return value;
}

async function decodeValue(value: Buffer | null, registry: SchemaRegistry | undefined): Promise<unknown> {
  if (value === null) return null;
  if (value.length >= 5 && value[0] === 0 && registry) return registry.decode(value);
  const text = value.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return `<${value.length} bytes>`;
  }
}

async function tail(topic: string, o: TailOptions): Promise<void> {
  const config = loadConfig({ file: o.config });
  const registry = config.schemaRegistry
    ? new SchemaRegistry({ host: config.schemaRegistry.url, ...(config.schemaRegistry.username ? { auth: { username: config.schemaRegistry.username, password: config.schemaRegistry.password ?? '' } } : {}) })
    : undefined;
  const kafka = createKafka(config);
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).catch((err: Error) => {
    throw new Error(`topic ${topic}: ${err.message}`);
  });
  await admin.disconnect();
  // Without --follow, stop at the end offsets seen at start.
  const pending = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  const consumer = kafka.consumer({ groupId: `otlp-streams-tail-${randomBytes(4).toString('hex')}` });
  let printed = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  if (!o.follow && pending.size === 0) finish();
  // Transaction markers take offsets but reach no eachMessage: a batch's last offset moves the position too.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const end = pending.get(payload.partition);
    if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) pending.delete(payload.partition);
    if (!o.follow && pending.size === 0) finish();
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (o.limit !== undefined && printed >= o.limit) return finish();
      const value = await decodeValue(message.value, registry);
      const line = JSON.stringify({ partition, offset: message.offset, key: message.key?.toString() ?? null, value }, printable);
      if (o.grep === undefined || line.includes(o.grep)) {
        console.log(line);
        printed++;
      }
      const end = pending.get(partition);
      if (end !== undefined && BigInt(message.offset) + 1n >= end) pending.delete(partition);
      if ((!o.follow && pending.size === 0) || (o.limit !== undefined && printed >= o.limit)) finish();
    },
  });
  const stop = () => finish();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await done;
  await consumer.disconnect();
  console.error(`[tail] ${printed} records of ${topic}`);
}

/** The `tail` command. */
export function tailCommand(): Command {
  return new Command('tail')
    .description("print a topic's committed records as JSON lines (registry-framed Avro decoded, e.g. otlp.rollup.1m, otlp.series)")
    .argument('<topic>', 'topic to read from the beginning')
    .option('-c, --config <file>', 'YAML or JSON config file (default: the local stack)')
    .option('-n, --limit <n>', 'stop after this many records', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive whole number, got "${v}"`);
      return n;
    })
    .option('-f, --follow', 'keep reading new records until Ctrl-C', false)
    .option('--grep <text>', 'print only records whose JSON line contains the text (e.g. a metric name)')
    .action((topic: string, o: TailOptions) => tail(topic, o));
}
