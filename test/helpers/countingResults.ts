// Reading back what the counting topology wrote: its Postgres table and its output topic (read committed).
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { expect } from 'vitest';
import { describeDifference, type WindowRow } from '../fixtures/counting.ts';
import { readTopic } from './consume.ts';
import { kafkaLibs, readCommittedWithJava } from './javaReader.ts';
import { stackSettings } from './stack.ts';

/** Rows ordered by key, then window start, as the oracle orders them. */
export function sortRows(rows: WindowRow[]): WindowRow[] {
  return rows.sort((a, b) => a.key.localeCompare(b.key) || a.window_start - b.window_start);
}

/** Number of rows in the sink table so far (0 while it does not exist). */
export async function tableCount(pool: pg.Pool, table = 'counts'): Promise<number> {
  const result = await pool.query(`SELECT count(*) FROM ${table}`).catch(() => ({ rows: [{ count: 0 }] }));
  return Number(result.rows[0].count);
}

/** Waits until the table holds `want` rows or the time is up. */
export async function waitForTable(pool: pg.Pool, want: number, timeoutMs: number, table = 'counts'): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let rows = await tableCount(pool, table);
  while (rows < want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    rows = await tableCount(pool, table);
  }
  return rows;
}

/** The sink table's rows, sorted. */
export async function tableRows(pool: pg.Pool, table = 'counts'): Promise<WindowRow[]> {
  const { rows } = await pool.query(`SELECT key, window_start::float8 AS window_start, count::int AS count, sum FROM ${table}`);
  return sortRows(rows as WindowRow[]);
}

/** Every window result on the output topic (read committed; one more than expected is waited for, to catch duplicates), sorted. */
export async function topicRows(client: Kafka, topic: string, expected: number): Promise<WindowRow[]> {
  const out = await readTopic(client, topic, { count: expected + 1, timeoutMs: 20_000 });
  return sortRows(
    out.map((m) => {
      const [key, start] = m.key!.toString().split('@');
      const v = JSON.parse(m.value!.toString()) as { count: number; sum: number };
      return { key, window_start: Number(start), count: v.count, sum: v.sum };
    }),
  );
}

/** Asserts that the sink table and the output topic (read committed) both equal the oracle; logs what differs first. */
export async function expectOracleResults(pool: pg.Pool, client: Kafka, topic: string, expected: WindowRow[]): Promise<void> {
  const table = await tableRows(pool);
  if (JSON.stringify(table) !== JSON.stringify(expected)) console.log(`table: ${describeDifference(expected, table)}`);
  expect(table).toEqual(expected);
  // Exactly once: every window once, none twice, with the oracle's values.
  const rows = await topicRows(client, topic, expected.length);
  if (JSON.stringify(rows) !== JSON.stringify(expected)) {
    console.log(`output topic (kafkajs reader, read committed): ${describeDifference(expected, rows)}`);
    console.log(await secondOpinion(client, topic, expected, rows));
  }
  expect(rows).toEqual(expected);
}

/**
 * For a failing topic comparison: what an independent read-committed reader (the Java client) and a read-uncommitted
 * kafkajs reader see of the windows our reader missed, to tell our read path from the log.
 */
async function secondOpinion(client: Kafka, topic: string, expected: WindowRow[], ours: WindowRow[]): Promise<string> {
  const id = (r: { key: string; window_start: number }) => `${r.key}@${r.window_start}`;
  const seen = new Set(ours.map(id));
  const missing = expected.map(id).filter((w) => !seen.has(w));
  const uncommitted = await readTopic(client, topic, { readUncommitted: true, quietMs: 3000, timeoutMs: 20_000 });
  const inLog = new Set(uncommitted.map((m) => m.key!.toString()));
  const lines = [`of ${missing.length} windows our reader missed, ${missing.filter((w) => inLog.has(w)).length} are in the log (read uncommitted: ${uncommitted.length} records)`];
  if (!kafkaLibs()) return `${lines[0]}; no Kafka jars here for the Java reader`;
  const java = await readCommittedWithJava(stackSettings().KAFKA_BROKERS, topic).catch((err: Error) => err);
  if (java instanceof Error) return `${lines[0]}; the Java reader failed: ${java.message}`;
  const javaKeys = new Set(java.map((r) => r.key));
  const javaHas = missing.filter((w) => javaKeys.has(w));
  lines.push(`the Java client (read committed) read ${java.length} records and has ${javaHas.length} of the ${missing.length} missing windows`);
  lines.push(javaHas.length > 0 ? 'verdict: committed in the log, dropped by our read-committed path' : 'verdict: not committed in the log (the runtime lost them)');
  const offsets = new Map<string, string>();
  for (const m of uncommitted) if (missing.includes(m.key!.toString())) offsets.set(m.key!.toString(), `${m.partition}:${m.offset}`);
  lines.push(`where the missing windows are in the log (partition:offset, first 20): ${[...offsets].slice(0, 20).map(([k, o]) => `${k} ${o}`).join(', ')}`);
  return lines.join('\n');
}
