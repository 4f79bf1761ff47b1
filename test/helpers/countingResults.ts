// Reading back what the counting topology wrote: its Postgres table and its output topic (read committed).
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { expect } from 'vitest';
import { describeDifference, type WindowRow } from '../fixtures/counting.ts';
import { readTopic } from './consume.ts';

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
  if (JSON.stringify(rows) !== JSON.stringify(expected)) console.log(`output topic (kafkajs reader, read committed): ${describeDifference(expected, rows)}`);
  expect(rows).toEqual(expected);
}
