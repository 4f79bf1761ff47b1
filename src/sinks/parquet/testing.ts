// Test helpers of the Parquet sink: rollup items from metric points, and files read back with DuckDB's own reader.
import { DuckDBInstance } from '@duckdb/node-api';
import { metricAggregator, type PartialItem } from '../../operators/metrics/metric.ts';
import type { MetricPoint } from '../../otlp/index.ts';

/** The partial of one window over `points` (all of one series), as the rollup source hands it on. */
export function partialOf(points: MetricPoint[]): PartialItem {
  const aggregator = metricAggregator();
  let acc = aggregator.init();
  for (const p of points) acc = aggregator.add(acc, p, p.timeMs);
  return { partial: acc };
}

/** Rows of a DuckDB query over Parquet files, values as JSON (BIGINT as strings, timestamps as text). */
export async function duckdbRows(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}
