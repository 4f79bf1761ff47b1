import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../config/index.ts';
import { gaugePoint } from '../../topology/testdata/metricPoints.ts';
import type { ExternalSink, SinkBatch } from '../util/index.ts';
import { hourDir, listPartFiles, uncommittedFiles } from './layout.ts';
import { parquetSink } from './parquetSink.ts';
import { applyRetention, expiredHourDirs } from './retention.ts';
import { rollupRow, type RollupRow } from './rollupRow.ts';
import { duckdbRows, partialOf } from './testing.ts';

const HOUR = 3_600_000;
const T = Date.UTC(2026, 0, 1, 22);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'parquet-sink-'));
  dirs.push(d);
  return d;
};

/** Row i: series s<i % 3> of tenant acme (even i) or the default tenant, window i minutes after 22:00 (some past midnight). */
const row = (i: number): RollupRow => rollupRow(partialOf([gaugePoint('cpu', `h${i % 3}`, T + i * 60_000 + 1, i)]), `${i % 2 ? '' : 'acme/'}s${i % 3}`, T + i * 60_000, 60_000, []);

async function sinkIn(dir: string, extra: { retentionMs?: number; now?: () => number } = {}): Promise<ExternalSink<RollupRow>> {
  const spec = parquetSink({ name: 'pq', dir, level: '1m', compression: 'zstd', ...extra });
  return (await spec.create({ application: 'test', targets: {}, config: {} as Config })) as ExternalSink<RollupRow>;
}

/** Writes a checkpoint of `rows` (offsets from..to of partition 0) in requests of `size` rows, as the runner would. */
async function checkpoint(sink: ExternalSink<RollupRow>, rows: RollupRow[], from: bigint, to: bigint, size: number): Promise<void> {
  for (let first = 0; first < rows.length; first += size) {
    const batch: SinkBatch = { topic: 'in', partition: 0, fromOffset: from, toOffset: to, firstRow: first };
    await sink.write(rows.slice(first, first + size), undefined, batch);
  }
}

const readBack = (root: string) =>
  duckdbRows(`SELECT tenant, series, sum, window_start, window_end, attributes['host'] AS host, dt, hour FROM read_parquet('${root}/**/*.parquet', hive_partitioning = true) ORDER BY window_start, series`);

describe('parquet sink', () => {
  it('writes hourly files per tenant, read back by DuckDB as the rows', async () => {
    const dir = tempDir();
    const rows = Array.from({ length: 150 }, (_, i) => row(i));
    await checkpoint(await sinkIn(dir), rows, 0n, 150n, 100);
    const files = readdirSync(join(dir, '1m'), { recursive: true }).map(String).filter((f) => f.endsWith('.parquet')).sort();
    expect(files).toEqual([
      'tenant=/dt=2026-01-01/hour=22/part-0-0-0.parquet',
      'tenant=/dt=2026-01-01/hour=23/part-0-0-0.parquet',
      'tenant=/dt=2026-01-01/hour=23/part-0-0-100.parquet',
      'tenant=/dt=2026-01-02/hour=00/part-0-0-100.parquet',
      'tenant=acme/dt=2026-01-01/hour=22/part-0-0-0.parquet',
      'tenant=acme/dt=2026-01-01/hour=23/part-0-0-0.parquet',
      'tenant=acme/dt=2026-01-01/hour=23/part-0-0-100.parquet',
      'tenant=acme/dt=2026-01-02/hour=00/part-0-0-100.parquet',
    ]);
    const back = await readBack(join(dir, '1m'));
    expect(back).toHaveLength(150);
    expect(back[61]).toEqual({ tenant: '', series: 's1', sum: 61, window_start: '2026-01-01 23:01:00+00', window_end: '2026-01-01 23:02:00+00', host: 'h1', dt: '2026-01-01', hour: '23' });
    expect(back.map((r) => Number(r.sum))).toEqual(rows.map((r) => r.sum));
  });

  it('a replay with other checkpoint bounds leaves the same rows: uncommitted files are replaced, committed ones kept', async () => {
    const dir = tempDir();
    const rows = Array.from({ length: 150 }, (_, i) => row(i));
    // Committed: offsets 0..40. Written, never committed: 40..150 (the worker crashed before its transaction).
    await checkpoint(await sinkIn(dir), rows.slice(0, 40), 0n, 40n, 1000);
    await checkpoint(await sinkIn(dir), rows.slice(40), 40n, 150n, 1000);
    // The next owner (a fresh sink) reads from 40 again, in other checkpoints and requests.
    const next = await sinkIn(dir);
    await checkpoint(next, rows.slice(40, 100), 40n, 100n, 25);
    await checkpoint(next, rows.slice(100), 100n, 150n, 1000);
    const back = await readBack(join(dir, '1m'));
    expect(back.map((r) => Number(r.sum))).toEqual(rows.map((r) => r.sum));
    // And the same request written twice (a retry) rewrites its files.
    await checkpoint(next, rows.slice(100), 100n, 150n, 1000);
    expect(await readBack(join(dir, '1m'))).toEqual(back);
  });

  it('refuses a write that does not say which checkpoint it is', async () => {
    const sink = await sinkIn(tempDir());
    await expect(sink.write([row(0)])).rejects.toThrow('needs its checkpoint');
    expect(sink.classify(new Error('x')).kind).toBe('permanent');
    expect(sink.classify(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })).kind).toBe('retryable');
  });
});

describe('uncommittedFiles', () => {
  it('picks the files of the partition written from the committed offset on', () => {
    const f = (partition: number, fromOffset: bigint) => ({ path: `p${partition}-${fromOffset}`, partition, fromOffset });
    const files = [f(0, 0n), f(0, 40n), f(0, 41n), f(0, 100n), f(1, 40n), f(1, 200n)];
    expect(uncommittedFiles(files, 0, 40n).map((x) => x.path)).toEqual(['p0-40', 'p0-41', 'p0-100']);
    expect(uncommittedFiles(files, 1, 201n)).toEqual([]);
  });
});

describe('retention', () => {
  it('deletes exactly the hour directories whose windows all started before now − retention', async () => {
    const root = tempDir();
    const now = Date.UTC(2026, 0, 10, 12, 30);
    const hours = [-49, -48.5, -48, -47, -1, 0].map((h) => now + h * HOUR);
    const made: string[] = [];
    for (const tenant of ['', 'acme']) {
      for (const start of hours) {
        const dir = join(root, hourDir(tenant, start));
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'part-0-0-0.parquet'), 'x');
        made.push(relative(root, dir));
      }
    }
    // 2 days: the cutoff is 2026-01-08 12:30; hour 11 (ends 12:00) goes, hour 12 (a window at 12:45 is younger) stays.
    expect(expiredHourDirs([{ path: 'a', hourStart: Date.UTC(2026, 0, 8, 11) }, { path: 'b', hourStart: Date.UTC(2026, 0, 8, 12) }], now, 48 * HOUR).map((d) => d.path)).toEqual(['a']);
    const deleted = (await applyRetention(root, now, 48 * HOUR)).map((p) => relative(root, p)).sort();
    expect(deleted).toEqual(['tenant=/dt=2026-01-08/hour=11', 'tenant=acme/dt=2026-01-08/hour=11']);
    for (const d of made) expect(existsSync(join(root, d))).toBe(!deleted.includes(d));
    // A day left empty goes too; other files under the root are never touched.
    writeFileSync(join(root, 'README'), 'keep');
    const later = await applyRetention(root, now + 2 * HOUR, 48 * HOUR);
    expect(later.map((p) => relative(root, p)).sort()).toEqual(['tenant=/dt=2026-01-08/hour=12', 'tenant=/dt=2026-01-08/hour=13', 'tenant=acme/dt=2026-01-08/hour=12', 'tenant=acme/dt=2026-01-08/hour=13']);
    expect(existsSync(join(root, 'tenant=acme/dt=2026-01-08'))).toBe(false);
    expect(existsSync(join(root, 'README'))).toBe(true);
    expect((await listPartFiles(root)).map((f) => relative(root, f.path)).sort()).toEqual(['tenant=/dt=2026-01-10/hour=11/part-0-0-0.parquet', 'tenant=/dt=2026-01-10/hour=12/part-0-0-0.parquet', 'tenant=acme/dt=2026-01-10/hour=11/part-0-0-0.parquet', 'tenant=acme/dt=2026-01-10/hour=12/part-0-0-0.parquet']);
  });

  it('runs from the sink at its first write and then at most every retentionEveryMs', async () => {
    const dir = tempDir();
    let now = T + 115 * 60_000;
    const sink = await sinkIn(dir, { retentionMs: HOUR, now: () => now });
    const old = join(dir, '1m', hourDir('acme', T - 5 * 24 * HOUR));
    mkdirSync(old, { recursive: true });
    // First write: the old hour goes; hour 22 (windows up to 22:59) is younger than 1h before 23:55 and stays.
    await checkpoint(sink, [row(0)], 0n, 1n, 10);
    expect(existsSync(old)).toBe(false);
    // 5 minutes on, hour 22 has expired, but retention waits for its next run, 10 minutes after the last.
    now += 5 * 60_000;
    await checkpoint(sink, [row(1)], 1n, 2n, 10);
    expect((await listPartFiles(join(dir, '1m'))).length).toBe(2);
    now += 5 * 60_000;
    await checkpoint(sink, [row(2)], 2n, 3n, 10);
    expect(await listPartFiles(join(dir, '1m'))).toEqual([]);
  });
});
