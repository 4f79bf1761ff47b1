// A seeded source of realistic OTLP requests: traces (with the logs they write) and metrics of a simulated shop.
import { encodeLogs, encodeMetrics, encodeTraces, type LogRecord, type MetricPoint, type Span } from '../otlp/index.ts';
import { logsForSpans } from './logs.ts';
import { MetricsGenerator } from './metrics.ts';
import { Random } from './random.ts';
import { instancesOf, SHOP, type Instance, type Service } from './services.ts';
import { generateTrace } from './traces.ts';

export interface TrafficOptions {
  seed?: number;
  services?: readonly Service[];
  /** Simulated start time (default now). */
  startMs?: number;
}

/** One batch of telemetry, as flat records and as encoded OTLP protobuf requests. */
export interface TrafficBatch {
  spans: Span[];
  logs: LogRecord[];
}

/** Seeded traffic: call traces() for about `spans` spans of whole traces (plus their logs), metrics() once per interval. */
export class Traffic {
  private readonly rng: Random;
  private readonly instances: Map<string, Instance[]>;
  private readonly metricsGenerator: MetricsGenerator;
  private clockMs: number;

  constructor(options: TrafficOptions = {}) {
    this.rng = new Random(options.seed ?? 1);
    this.instances = instancesOf(options.services ?? SHOP);
    this.clockMs = options.startMs ?? Date.now();
    this.metricsGenerator = new MetricsGenerator(this.rng, [...this.instances.values()].flat(), this.clockMs);
  }

  /** Whole traces until at least `spans` spans, with their logs; traces start a few ms apart. */
  traces(spans: number): TrafficBatch {
    const out: Span[] = [];
    while (out.length < spans) {
      this.clockMs += this.rng.int(0, 3);
      for (const s of generateTrace(this.rng, this.instances, this.clockMs)) out.push(s);
    }
    return { spans: out, logs: logsForSpans(this.rng, out) };
  }

  /** Moves the simulated clock to `ms` if it is behind: live traffic keeps its event times at the wall clock (traces
   * start only a few ms apart, so at a paced rate the clock would fall behind it and windows would never close). */
  advanceTo(ms: number): void {
    if (ms > this.clockMs) this.clockMs = ms;
  }

  /** Every instance's metric points at `timeMs`. */
  metrics(timeMs: number): MetricPoint[] {
    return this.metricsGenerator.collect(timeMs);
  }

  /** traces() encoded as ExportTraceServiceRequest and ExportLogsServiceRequest bytes. */
  encodedTraces(spans: number): { traces: Buffer; logs: Buffer; spans: number; logRecords: number } {
    const batch = this.traces(spans);
    return { traces: encodeTraces(batch.spans), logs: encodeLogs(batch.logs), spans: batch.spans.length, logRecords: batch.logs.length };
  }

  /** metrics() encoded as ExportMetricsServiceRequest bytes. */
  encodedMetrics(timeMs: number): { metrics: Buffer; points: number } {
    const points = this.metrics(timeMs);
    return { metrics: encodeMetrics(points), points: points.length };
  }
}
