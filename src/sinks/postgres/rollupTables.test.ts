import { describe, expect, it } from 'vitest';
import { csvLine, partitionOf, timescaleDdl } from './rollupTables.ts';

const DAY = 86_400_000;

describe('rollup tables', () => {
  it('names epoch-aligned partitions by their first day (or hour)', () => {
    const t = Date.UTC(2026, 11, 4, 13, 45);
    expect(partitionOf('metrics.rollup_1m', t, DAY)).toEqual({ name: 'metrics.rollup_1m_p20261204', from: Date.UTC(2026, 11, 4), to: Date.UTC(2026, 11, 5) });
    expect(partitionOf('rollup_1m', t, 6 * 3_600_000)).toEqual({ name: 'rollup_1m_p2026120412', from: Date.UTC(2026, 11, 4, 12), to: Date.UTC(2026, 11, 4, 18) });
  });

  it('writes CSV that COPY reads back: NULL unquoted, quotes doubled, newlines and commas kept inside quotes', () => {
    expect(csvLine(['a', null, 1.5, 'say "hi", then\nleave', '', Number.NaN])).toBe('"a",,"1.5","say ""hi"", then\nleave","","NaN"\n');
  });

  it('makes a hypertable compressed by series, with the retention as a policy', () => {
    const ddl = timescaleDdl('rollup_1m', DAY, 7 * DAY);
    expect(ddl[0]).toMatch(/^CREATE TABLE IF NOT EXISTS rollup_1m \(.*PRIMARY KEY \(tenant, series, window_start\)\)$/);
    expect(ddl.slice(1)).toEqual([
      `SELECT create_hypertable('rollup_1m', 'window_start', chunk_time_interval => interval '86400 seconds', if_not_exists => true)`,
      `ALTER TABLE rollup_1m SET (timescaledb.compress, timescaledb.compress_segmentby = 'tenant, series', timescaledb.compress_orderby = 'window_start')`,
      `SELECT add_compression_policy('rollup_1m', interval '172800 seconds', if_not_exists => true)`,
      `SELECT add_retention_policy('rollup_1m', interval '604800 seconds', if_not_exists => true)`,
    ]);
    expect(timescaleDdl('rollup_1d', 30 * DAY, null)).toHaveLength(4);
  });
});
