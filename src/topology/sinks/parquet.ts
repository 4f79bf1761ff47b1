// `parquet`: the rollup partials of an `otlp_rollup` source as hourly Parquet files (Arrow record batches, zstd or
// snappy), idempotent by file name, with retention by hour directory (docs/parquet.md).
import { z } from 'zod';
import { DEFAULT_QUANTILES, type PartialItem } from '../../operators/metrics/index.ts';
import { parquetSink, rollupRow } from '../../sinks/parquet/index.ts';
import type { SinkComponent } from '../component.ts';
import { duration, formatDuration, positiveDuration } from '../duration.ts';

const options = z.strictObject({
  /** Root directory; files go under `<dir>/<resolution>/tenant=…/dt=…/hour=…/`. */
  dir: z.string().min(1),
  /** The window size of the rollup level read (the source's records carry their window start only): 1m, 5m, 1h, 1d. */
  resolution: positiveDuration,
  compression: z.enum(['zstd', 'snappy']).default('zstd'),
  /** Hour directories whose windows all started longer ago are deleted (checked at most every 10 minutes). */
  retention: duration.optional(),
  /** Quantiles reported for gauges and histograms, each in [0, 1]. */
  quantiles: z.array(z.number().min(0).max(1)).default([...DEFAULT_QUANTILES]),
  /** Defaults to parquet-<resolution>. */
  name: z.string().min(1).optional(),
});

const nameOf = (o: z.output<typeof options>) => o.name ?? `parquet-${formatDuration(o.resolution)}`;

/** One row per series and window: identity, window times and the aggregates of the series' kind. */
export const parquetSinkComponent: SinkComponent<typeof options> = {
  description: 'hourly Parquet files of rollup rows (Arrow, zstd/snappy), idempotent by file name, with retention',
  options,
  name: nameOf,
  sources: ['otlp_rollup'],
  check(o) {
    if (o.retention !== undefined && o.retention < 3_600_000) return [{ path: ['retention'], message: 'retention deletes whole hour directories: use at least 1h' }];
    return [];
  },
  create(o) {
    const level = formatDuration(o.resolution);
    return {
      spec: parquetSink({ name: nameOf(o), dir: o.dir, level, compression: o.compression, retentionMs: o.retention }),
      // The rollup source dates an item at its window start; `row` gets it as the record's time.
      row: (item, key, windowStart) => {
        if (key === null) throw new Error('a rollup record without a key (tenant and series)');
        return rollupRow(item as PartialItem, key, windowStart, o.resolution, o.quantiles);
      },
    };
  },
};
