// Seeded gauge workload for the window and restore benches: `series` gauge series spread over resources of
// `seriesPerResource` series each (10 metrics × N attribute values); every step, each resource reports one OTLP
// export request holding one point of each of its series. A resource's records all go to one partition
// (resource index mod partitions), as a collector keyed by resource would place them.
import type { Attribute, Metric, MetricPoint, Resource, Scope } from '../../src/otlp/model.ts';
import type { Message } from 'kafkajs';
import { encodeMetrics } from '../../src/otlp/index.ts';
import { rng } from './util.ts';

export const METRICS_PER_RESOURCE = 10;

export interface GaugeWorkload {
  series: number;
  seriesPerResource: number;
  steps: number;
  intervalMs: number;
  startMs: number;
  partitions: number;
  seed: number;
}

export interface GaugeRecord {
  resource: number;
  partition: number;
  step: number;
  timeMs: number;
  points: MetricPoint[];
  /** Sum of the point values, for checking outputs. */
  valueSum: number;
}

const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });
const SCOPE: Scope = { name: 'bench.gauges', version: '1.0.0', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

/** The bench's resource number i (shared by the metric workloads). */
export function resourceOf(i: number): Resource {
  return {
    attributes: [str('service.name', `svc-${i % 17}`), str('service.instance.id', `instance-${i}`), str('host.name', `host-${i % 50}`)],
    droppedAttributesCount: 0,
    entityRefs: [],
    schemaUrl: '',
  };
}

const metrics: Metric[] = Array.from({ length: METRICS_PER_RESOURCE }, (_, m) => ({
  name: `system.gauge.${m}`, description: '', unit: '1', type: 'gauge', aggregationTemporality: 0, isMonotonic: false, metadata: [],
}));

export function resources(w: GaugeWorkload): number {
  return Math.ceil(w.series / w.seriesPerResource);
}

/** The records in the order they are produced: step by step, every resource once per step. */
export function* gaugeRecords(w: GaugeWorkload): Generator<GaugeRecord> {
  const random = rng(w.seed);
  const count = resources(w);
  const res = Array.from({ length: count }, (_, i) => resourceOf(i));
  const perMetric = Math.ceil(w.seriesPerResource / METRICS_PER_RESOURCE);
  // Attribute sets are shared across steps (decoded records would not share them; encoding does not care).
  const attrs = Array.from({ length: perMetric }, (_, a) => [str('cpu', String(a)), str('state', a % 2 ? 'user' : 'system')]);
  for (let step = 0; step < w.steps; step++) {
    const timeMs = w.startMs + step * w.intervalMs;
    for (let r = 0; r < count; r++) {
      const n = Math.min(w.seriesPerResource, w.series - r * w.seriesPerResource);
      const points: MetricPoint[] = [];
      let valueSum = 0;
      for (let s = 0; s < n; s++) {
        const value = Math.round(random() * 1e6) / 1000;
        valueSum += value;
        points.push({
          type: 'gauge', valueType: 'double', value, exemplars: [],
          resource: res[r], scope: SCOPE, metric: metrics[s % METRICS_PER_RESOURCE], attributes: attrs[Math.floor(s / METRICS_PER_RESOURCE)],
          startTimeMs: 0, startTimeNanos: 0, timeMs, timeNanos: 0, flags: 0,
        });
      }
      yield { resource: r, partition: r % w.partitions, step, timeMs, points, valueSum };
    }
  }
}

/** One point of a series of its own at `timeMs`: a record that moves stream time past every window before it. */
export function sentinelPoints(timeMs: number, partition: number): MetricPoint[] {
  return [{
    type: 'gauge', valueType: 'double', value: 0, exemplars: [],
    resource: resourceOf(1_000_000 + partition), scope: SCOPE, metric: metrics[0], attributes: [str('sentinel', String(partition))],
    startTimeMs: 0, startTimeNanos: 0, timeMs, timeNanos: 0, flags: 0,
  }];
}

/**
 * Producer batches of about 4 MB of encoded records, then one sentinel record per partition at `end` that closes
 * every window before it.
 */
export function* recordBatches(records: Iterable<{ resource: number; partition: number; timeMs: number; points: MetricPoint[] }>, end: number, partitions: number): Generator<Message[]> {
  let batch: Message[] = [];
  let bytes = 0;
  for (const r of records) {
    const value = encodeMetrics(r.points);
    batch.push({ key: `resource-${r.resource}`, value, partition: r.partition, timestamp: String(r.timeMs) });
    bytes += value.length;
    if (bytes >= 4 << 20) {
      yield batch;
      batch = [];
      bytes = 0;
    }
  }
  for (let p = 0; p < partitions; p++) batch.push({ key: `sentinel-${p}`, value: encodeMetrics(sentinelPoints(end, p)), partition: p, timestamp: String(end) });
  yield batch;
}
