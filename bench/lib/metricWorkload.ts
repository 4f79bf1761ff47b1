// Seeded workload of gauges and sums for the rollup bench: `series` series spread over resources of 1,000 series each
// (100 metric names × 10 attribute sets, so a metric has 10 series per resource and stays under the series step's
// per-metric limit of 2,000 up to 200 resources). Metric m is a gauge (m even), a cumulative monotonic int counter
// (m ≡ 1 mod 4) or a delta int sum (m ≡ 3 mod 4). Every step, each resource sends one OTLP export request with one
// point of each of its series; a resource's records all go to one partition (resource index mod partitions).
import type { Attribute, Metric, MetricPoint, Scope } from '../../src/otlp/model.ts';
import { resourceOf } from './gauges.ts';
import { rng } from './util.ts';

export const METRIC_NAMES = 100;
export const ATTRIBUTE_SETS = 10;
export const SERIES_PER_RESOURCE = METRIC_NAMES * ATTRIBUTE_SETS;

export interface MetricWorkload {
  series: number;
  steps: number;
  intervalMs: number;
  startMs: number;
  partitions: number;
  seed: number;
}

export interface MetricRecord {
  resource: number;
  partition: number;
  step: number;
  timeMs: number;
  points: MetricPoint[];
  /** Sum of the gauge values and of the delta values, for checking outputs. */
  gaugeSum: number;
  deltaSum: number;
}

const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });
const SCOPE: Scope = { name: 'bench.rollup', version: '1.0.0', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };


export type MetricShape = 'gauge' | 'cumulative' | 'delta';

export function shapeOf(m: number): MetricShape {
  return m % 2 === 0 ? 'gauge' : m % 4 === 1 ? 'cumulative' : 'delta';
}

const metrics: Metric[] = Array.from({ length: METRIC_NAMES }, (_, m): Metric => {
  const shape = shapeOf(m);
  return shape === 'gauge'
    ? { name: `bench.gauge.${m}`, description: '', unit: '1', type: 'gauge', aggregationTemporality: 0, isMonotonic: false, metadata: [] }
    : { name: `bench.${shape}.${m}`, description: '', unit: '1', type: 'sum', aggregationTemporality: shape === 'cumulative' ? 2 : 1, isMonotonic: true, metadata: [] };
});

export function resources(w: MetricWorkload): number {
  return Math.ceil(w.series / SERIES_PER_RESOURCE);
}

/** Gauge series among the workload's series. */
export function gaugeSeries(w: MetricWorkload): number {
  let n = 0;
  for (let r = 0; r < resources(w); r++) {
    const count = Math.min(SERIES_PER_RESOURCE, w.series - r * SERIES_PER_RESOURCE);
    for (let s = 0; s < count; s++) if (shapeOf(s % METRIC_NAMES) === 'gauge') n++;
  }
  return n;
}

/** The records in the order they are produced: step by step, every resource once per step. */
export function* metricRecords(w: MetricWorkload): Generator<MetricRecord> {
  const random = rng(w.seed);
  const count = resources(w);
  const res = Array.from({ length: count }, (_, i) => resourceOf(i));
  const attrs = Array.from({ length: ATTRIBUTE_SETS }, (_, a) => [str('cpu', String(a)), str('state', a % 2 ? 'user' : 'system')]);
  // Counters start an hour before the first point.
  const counterStart = w.startMs - 3_600_000;
  for (let step = 0; step < w.steps; step++) {
    const timeMs = w.startMs + step * w.intervalMs;
    for (let r = 0; r < count; r++) {
      const n = Math.min(SERIES_PER_RESOURCE, w.series - r * SERIES_PER_RESOURCE);
      const points: MetricPoint[] = [];
      let gaugeSum = 0;
      let deltaSum = 0;
      for (let s = 0; s < n; s++) {
        const m = s % METRIC_NAMES;
        const base = { exemplars: [], resource: res[r], scope: SCOPE, metric: metrics[m], attributes: attrs[Math.floor(s / METRIC_NAMES)], timeMs, timeNanos: 0, flags: 0 };
        switch (shapeOf(m)) {
          case 'gauge': {
            const value = Math.round(random() * 1e6) / 1000;
            gaugeSum += value;
            points.push({ ...base, type: 'gauge', valueType: 'double', value, startTimeMs: 0, startTimeNanos: 0 });
            break;
          }
          case 'cumulative':
            // A counter that grows by a per-series rate every step.
            points.push({ ...base, type: 'sum', valueType: 'int', value: (step + 1) * (1 + ((r * SERIES_PER_RESOURCE + s) % 97)), startTimeMs: counterStart, startTimeNanos: 0 });
            break;
          case 'delta': {
            const value = Math.floor(random() * 1000);
            deltaSum += value;
            points.push({ ...base, type: 'sum', valueType: 'int', value, startTimeMs: timeMs - w.intervalMs, startTimeNanos: 0 });
            break;
          }
        }
      }
      yield { resource: r, partition: r % w.partitions, step, timeMs, points, gaugeSum, deltaSum };
    }
  }
}

