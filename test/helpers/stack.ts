// Helpers for tests against the real stack: settings, clients, and per-test topics and database schemas.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from '../../src/kafka/kafkajs.ts';
import { ensureTopics } from '../../src/kafka/topics.ts';
import type { ITopicConfig } from 'kafkajs';
import pg from 'pg';
import { inject } from 'vitest';

/** The running stack's settings, as the environment variables the config loader reads. */
export function stackSettings(): Record<string, string> {
  return inject('stack');
}

/** A short random suffix so tests never share topics, groups or schemas. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A kafkajs client for the stack's broker. */
export function kafka(clientId = unique('test')): Kafka {
  return new Kafka({ clientId, brokers: stackSettings().KAFKA_BROKERS.split(','), logLevel: logLevel.WARN });
}

/** Creates a fresh topic with a unique name and returns that name, once every partition is led and its leader answers. */
export async function createTopic(prefix: string, numPartitions = 1, configEntries: ITopicConfig['configEntries'] = []): Promise<string> {
  const topic = unique(prefix);
  await ensureTopics(kafka(), [{ topic, numPartitions, config: Object.fromEntries((configEntries ?? []).map((e) => [e.name, e.value])) }]);
  return topic;
}

/** A pool whose connections use a fresh schema of their own; `drop()` removes the schema and closes the pool. */
export async function pgSchema(): Promise<{ pool: pg.Pool; schema: string; drop: () => Promise<void> }> {
  const schema = unique('t').replace('-', '_');
  const url = stackSettings().PG_URL;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}` });
  return {
    pool,
    schema,
    drop: async () => {
      await pool.end();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}
