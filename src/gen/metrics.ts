// Metrics: every instance reports at a regular interval — a memory gauge, a cumulative request counter per
// operation × outcome, a cumulative duration histogram and a delta exponential histogram per operation, and a
// latency summary — so every metric type appears with realistic cardinality (series = instances × operations × outcomes).
import { AggregationTemporality, type Attribute, type Metric, type MetricPoint } from '../otlp/index.ts';
import type { Random } from './random.ts';
import type { Instance } from './services.ts';

const metric = (name: string, unit: string, type: Metric['type'], temporality = 0, isMonotonic = false): Metric => ({
  name, description: '', unit, type, aggregationTemporality: temporality, isMonotonic, metadata: [],
});

const MEMORY = metric('process.memory.usage', 'By', 'gauge');
const REQUESTS = metric('rpc.server.requests', '{request}', 'sum', AggregationTemporality.CUMULATIVE, true);
const DURATION = metric('rpc.server.duration', 's', 'histogram', AggregationTemporality.CUMULATIVE);
const DURATION_EXP = metric('rpc.server.duration.exponential', 's', 'exponentialHistogram', AggregationTemporality.DELTA);
const LATENCY = metric('rpc.server.latency.summary', 'ms', 'summary');
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const EXP_SCALE = 3;

interface SeriesState {
  count: number;
  sum: number;
  buckets: number[];
}

/** Produces each instance's points once per interval, keeping cumulative state between intervals. */
export class MetricsGenerator {
  private readonly rng: Random;
  private readonly instances: Instance[];
  private readonly startMs: number;
  private lastMs: number;
  private readonly state = new Map<string, SeriesState>();

  constructor(rng: Random, instances: Instance[], startMs: number) {
    this.rng = rng;
    this.instances = instances;
    this.startMs = startMs;
    this.lastMs = startMs;
  }

  /** The points of every instance at `timeMs` (one collection interval after the previous call). */
  collect(timeMs: number): MetricPoint[] {
    const points: MetricPoint[] = [];
    for (const instance of this.instances) this.collectInstance(instance, timeMs, points);
    this.lastMs = timeMs;
    return points;
  }

  private collectInstance(instance: Instance, timeMs: number, points: MetricPoint[]): void {
    const { rng } = this;
    const base = { resource: instance.resource, scope: instance.scope, flags: 0, timeMs, timeNanos: 0, startTimeNanos: 0 };
    points.push({ ...base, metric: MEMORY, type: 'gauge', attributes: [], startTimeMs: 0, valueType: 'int', value: Math.round(rng.logNormal(180e6, 0.2)), exemplars: [] });
    for (const op of instance.service.operations) {
      const method: Attribute = { key: 'rpc.method', type: 'string', value: op.name };
      const durations: number[] = [];
      const calls = rng.int(5, 60);
      let errors = 0;
      for (let i = 0; i < calls; i++) {
        durations.push(rng.logNormal(op.medianMs, 0.6) / 1000);
        if (rng.chance(op.errorRate)) errors++;
      }
      for (const [outcome, n] of [['ok', calls - errors], ['error', errors]] as const) {
        const s = this.series(`${instance.resource.attributes[3].value}|${op.name}|${outcome}`);
        s.count += n;
        points.push({
          ...base, metric: REQUESTS, type: 'sum', startTimeMs: this.startMs, valueType: 'int', value: s.count, exemplars: [],
          attributes: [method, { key: 'rpc.grpc.status', type: 'string', value: outcome }],
        });
      }
      const h = this.series(`${instance.resource.attributes[3].value}|${op.name}|hist`);
      for (const d of durations) {
        h.count++;
        h.sum += d;
        let b = BOUNDS.findIndex((bound) => d <= bound);
        if (b < 0) b = BOUNDS.length;
        h.buckets[b] = (h.buckets[b] ?? 0) + 1;
      }
      points.push({
        ...base, metric: DURATION, type: 'histogram', attributes: [method], startTimeMs: this.startMs, count: h.count, sum: h.sum,
        bucketCounts: BOUNDS.map((_, i) => h.buckets[i] ?? 0).concat([h.buckets[BOUNDS.length] ?? 0]), explicitBounds: BOUNDS,
        exemplars: [], min: undefined, max: undefined,
      });
      points.push(exponential(base, method, this.lastMs, durations));
      const sorted = [...durations].sort((a, b) => a - b).map((d) => d * 1000);
      points.push({
        ...base, metric: LATENCY, type: 'summary', attributes: [method], startTimeMs: this.lastMs, count: sorted.length,
        sum: sorted.reduce((a, b) => a + b, 0),
        quantileValues: [0, 0.5, 0.9, 0.99, 1].map((q) => ({ quantile: q, value: sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] })),
      });
    }
  }

  private series(id: string): SeriesState {
    let s = this.state.get(id);
    if (s === undefined) this.state.set(id, (s = { count: 0, sum: 0, buckets: [] }));
    return s;
  }
}

function exponential(
  base: { resource: Instance['resource']; scope: Instance['scope']; flags: number; timeMs: number; timeNanos: number; startTimeNanos: number },
  method: Attribute, startTimeMs: number, durations: number[],
): MetricPoint {
  // Bucket index at scale s: ceil(log2(v) * 2^s) - 1.
  const factor = 2 ** EXP_SCALE;
  const indexes = durations.map((d) => Math.ceil(Math.log2(d) * factor) - 1);
  const offset = Math.min(...indexes);
  const counts = new Array<number>(Math.max(...indexes) - offset + 1).fill(0);
  for (const i of indexes) counts[i - offset]++;
  return {
    ...base, metric: DURATION_EXP, type: 'exponentialHistogram', attributes: [method], startTimeMs,
    count: durations.length, sum: durations.reduce((a, b) => a + b, 0), scale: EXP_SCALE, zeroCount: 0, zeroThreshold: 0,
    positive: { offset, bucketCounts: counts }, negative: { offset: 0, bucketCounts: [] },
    exemplars: [], min: Math.min(...durations), max: Math.max(...durations),
  };
}
