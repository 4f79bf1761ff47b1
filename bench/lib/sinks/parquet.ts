// rows/s into Parquet files, with p99 batch latency: the sink as the SinkRunner drives it, one request of `batch`
// rows at a time (1,000, the runner's default), over 1m rollup rows of 1,000 series (gauges and histograms) spread
// over two tenants and two hours, with zstd and snappy, into a temporary directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../../src/config/index.ts';
import type { MetricPoint } from '../../../src/otlp/index.ts';
import { parquetSink, rollupRow, type ParquetCompression, type RollupRow } from '../../../src/sinks/parquet/index.ts';
import { partialOf } from '../../../src/sinks/parquet/testing.ts';
import type { ExternalSink } from '../../../src/sinks/util/index.ts';
import type { SinkFigure } from './figure.ts';
import { gaugePoint, histogramPoint } from '../../../src/topology/testdata/metricPoints.ts';

const SERIES = 1_000;
const BATCH = 1_000;
const BASE = Date.UTC(2026, 0, 1);

function rows(count: number): RollupRow[] {
  const out: RollupRow[] = [];
  for (let i = 0; i < count; i++) {
    const series = i % SERIES;
    const windowStart = BASE + Math.floor(i / SERIES) * 60_000;
    const points: MetricPoint[] = series % 4 === 3
      ? [histogramPoint('bench.latency', windowStart + 1_000)]
      : Array.from({ length: 6 }, (_, k) => gaugePoint('bench.cpu', `host-${series}`, windowStart + k * 10_000, (series * 7 + k * 13) % 100));
    out.push(rollupRow(partialOf(points), `${series % 2 ? 'acme/' : ''}s${series}`, windowStart, 60_000, [0.5, 0.9, 0.99]));
  }
  return out;
}

const p99 = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))];

async function measureOne(all: RollupRow[], compression: ParquetCompression): Promise<SinkFigure> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-parquet-'));
  try {
    const spec = parquetSink({ name: 'bench', dir, level: '1m', compression });
    const sink = (await spec.create({ application: 'bench', targets: {}, config: {} as Config })) as ExternalSink<RollupRow>;
    const batches: number[] = [];
    const started = performance.now();
    for (let first = 0; first < all.length; first += BATCH) {
      const t = performance.now();
      // One checkpoint per batch, as the worker makes them with a short commit interval.
      await sink.write(all.slice(first, first + BATCH), undefined, { topic: 'bench', partition: 0, fromOffset: BigInt(first), toOffset: BigInt(first + BATCH), firstRow: 0 });
      batches.push(performance.now() - t);
    }
    const seconds = (performance.now() - started) / 1000;
    await sink.close();
    return { sink: 'parquet', variant: `${compression}, ${BATCH}-row checkpoints`, rows: all.length, perSecond: Math.round(all.length / seconds), p99BatchMs: Number(p99(batches).toFixed(2)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** rows/s and p99 batch latency of the Parquet sink, zstd and snappy, over `rows` 1m rollup rows. */
export async function measure(rowCount: number): Promise<SinkFigure[]> {
  const all = rows(rowCount);
  return [await measureOne(all, 'zstd'), await measureOne(all, 'snappy')];
}
