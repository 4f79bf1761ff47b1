// `postgres_rollup`: rollup records (an otlp_rollup source) into PostgreSQL/TimescaleDB — the series table and the
// level's table, partitioned by time, with retention (src/sinks/postgres/rollupTables.ts, docs/sinks.md).
import { z } from 'zod';
import { DEFAULT_QUANTILES, metricValues, type PartialItem } from '../../operators/metrics/index.ts';
import { idOf, tenantOf } from '../../otlp/index.ts';
import { rollupTablesSink, type RollupRow } from '../../sinks/postgres/rollupTables.ts';
import type { SinkComponent } from '../component.ts';
import { duration, parseDuration, positiveDuration } from '../duration.ts';

const identifier = z.string().regex(/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/, 'expected a lower-case SQL identifier, optionally schema-qualified (rollup_1m, metrics.rollup_1m)');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Defaults by level: partitions a day long below an hour, else 30 days; retention 7 d, 30 d, 1 y, 5 y. */
function defaultsOf(resolutionMs: number): { partitionMs: number; retentionMs: number } {
  if (resolutionMs <= 60_000) return { partitionMs: DAY, retentionMs: 7 * DAY };
  if (resolutionMs < HOUR) return { partitionMs: DAY, retentionMs: 30 * DAY };
  if (resolutionMs < DAY) return { partitionMs: 30 * DAY, retentionMs: 365 * DAY };
  return { partitionMs: 30 * DAY, retentionMs: 5 * 365 * DAY };
}

const options = z.strictObject({
  /** The level the source topic holds: 1m, 5m, 1h, 1d; names the table rollup_<resolution>. */
  resolution: z.string().regex(/^[1-9][0-9]*[mhd]$/, 'expected a level like 1m, 5m, 1h, 1d'),
  table: identifier.optional(),
  series_table: identifier.default('otlp_series'),
  /** Default by resolution (see defaultsOf); `forever` keeps everything. */
  retention: z.union([z.literal('forever'), positiveDuration]).optional(),
  /** Length of a native partition or hypertable chunk, whole hours. */
  partition: duration.refine((ms) => ms >= HOUR && ms % HOUR === 0, { message: 'expected whole hours, like 1d or 12h' }).optional(),
  /** COPY + merge measured faster (bench/sinks.ts); upsert sends one multi-row INSERT … ON CONFLICT instead. */
  method: z.enum(['upsert', 'copy']).default('copy'),
  timescale: z.enum(['auto', 'off']).default('auto'),
  quantiles: z.array(z.number().min(0).max(1)).default([...DEFAULT_QUANTILES]),
  /** Defaults to the table. */
  name: z.string().min(1).optional(),
});

export const postgresRollupSinkComponent: SinkComponent<typeof options> = {
  description: 'rollup records into PostgreSQL/TimescaleDB: a series table and a time-partitioned table per level, with retention',
  options,
  sources: ['otlp_rollup'],
  name: (o) => o.name ?? o.table ?? `rollup_${o.resolution}`,
  create(o) {
    const resolutionMs = parseDuration(o.resolution)!;
    const defaults = defaultsOf(resolutionMs);
    const name = o.name ?? o.table ?? `rollup_${o.resolution}`;
    const spec = rollupTablesSink({
      name,
      resolution: o.resolution,
      table: o.table,
      seriesTable: o.series_table,
      partitionMs: o.partition ?? defaults.partitionMs,
      retentionMs: o.retention === 'forever' ? null : (o.retention ?? defaults.retentionMs),
      method: o.method,
      timescale: o.timescale,
    });
    return {
      spec,
      row: (value, key, time): RollupRow => {
        const { partial } = value as PartialItem;
        return {
          tenant: tenantOf(key ?? '') ?? '',
          series: idOf(key ?? ''),
          windowStart: time,
          windowEnd: time + resolutionMs,
          identity: partial.identity!,
          kind: partial.kind!,
          values: metricValues(partial, o.quantiles),
          conflicts: partial.conflicts,
        };
      },
    };
  },
};
