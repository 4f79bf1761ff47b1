// Rollup partials for the sink benches: gauges and histograms over recent windows, one series per instance, as the
// otlp_rollup source hands them to a sink (a PartialItem with its window, keyed by series).
import { metricAggregator, type PartialItem } from '../../../src/operators/metrics/metric.ts';
import type { Attribute, Metric, MetricPoint, Resource, Scope } from '../../../src/otlp/index.ts';
import type { SinkFigure } from './figure.ts';

const scope: Scope = { name: 'bench', version: '1', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });

export interface BenchItem {
  key: string;
  item: PartialItem;
}

/**
 * `rows` partials of `kind`, window after window (10 s each, ending at most 50 min ago: Prometheus refuses samples an
 * hour older than its newest), each window holding one partial per series; `run` makes the series this run's own.
 */
export function rollupItems(rows: number, kind: 'gauge' | 'histogram', run: string): BenchItem[][] {
  const series = Math.max(1000, Math.ceil(rows / 300));
  const step = 10_000;
  const windows = Math.ceil(rows / series);
  const first = Math.floor((Date.now() - 55 * 60_000) / step) * step;
  const metric: Metric = kind === 'gauge'
    ? { name: 'bench.sink.gauge', description: '', unit: '1', type: 'gauge', aggregationTemporality: 0, isMonotonic: false, metadata: [] }
    : { name: 'bench.sink.latency', description: '', unit: 'ms', type: 'histogram', aggregationTemporality: 1, isMonotonic: false, metadata: [] };
  const agg = metricAggregator({ sketch: false });
  const resources = Array.from({ length: series }, (_, s): Resource => ({ attributes: [str('service.name', 'bench'), str('service.instance.id', `${run}-${s}`)], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' }));
  const out: BenchItem[][] = [];
  let left = rows;
  for (let w = 0; w < windows && left > 0; w++) {
    const start = first + w * step;
    const window = { start, end: start + step, resolution: '10s' };
    const batch: BenchItem[] = [];
    for (let s = 0; s < series && left > 0; s++, left--) {
      const base = { resource: resources[s], scope, metric, attributes: [], timeMs: start + 1, startTimeMs: 0, startTimeNanos: 0, timeNanos: 0, flags: 0, exemplars: [] };
      const point: MetricPoint = kind === 'gauge'
        ? { ...base, type: 'gauge', valueType: 'double', value: (w * 7 + s) % 1000 / 4 }
        : { ...base, type: 'histogram', count: 6, sum: 600 + s, bucketCounts: [1, 2, 3], explicitBounds: [10, 100], min: 1, max: 500 };
      batch.push({ key: `${run}-${kind}-${s}`, item: { partial: agg.add(agg.init(), point, point.timeMs), window } });
    }
    out.push(batch);
  }
  return out;
}

/** Sends `batches` one after another (as the SinkRunner does for a sink without keys) and sums them up. */
export async function timeBatches<Row>(sink: string, variant: string, batches: Row[][], write: (rows: Row[]) => Promise<void>): Promise<SinkFigure> {
  const latencies: number[] = [];
  let rows = 0;
  const started = performance.now();
  for (const batch of batches) {
    const t = performance.now();
    await write(batch);
    latencies.push(performance.now() - t);
    rows += batch.length;
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] ?? 0;
  return { sink, variant, rows, perSecond: Math.round(rows / seconds), p99BatchMs: Math.round(p99 * 10) / 10 };
}

/** Splits rows into requests of at most `size` rows (the SinkRunner's default maxRows is 1,000). */
export function chunks<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
