// The JSON answers of the native APIs the web UI reads (/api/traces/<id>/analysis, /api/metrics/query,
// /api/servicegraph, /api/pipeline): one
// definition for the server that writes them and the browser app that reads them. Types only, no imports, so the
// app's type check (DOM, no Node) can read this file.

/** One window of one series as the UI charts it. */
export interface ChartPoint {
  /** Window start (ms). */
  t: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  last: number | null;
  count: number | null;
  sum: number | null;
  /** Per second: cumulative sums' rate as the rollup computed it; delta sums' sum over the window's length. */
  rate: number | null;
  /** Cumulative sums' increase; delta sums' sum. */
  increase: number | null;
  /** Quantile → value ("0.5" → …); empty when the window has none. */
  quantiles: Record<string, number>;
}

/** One edge of the service graph over a range. */
export interface GraphEdge {
  client: string;
  server: string;
  requests: number;
  failed: number;
  ratePerSecond: number;
  errorRate: number;
  latencyAvgSeconds: number | null;
  latencyP95Seconds: number | null;
}

export interface GraphNode {
  service: string;
  /** Requests the service served (edges into it). */
  requests: number;
  failed: number;
}

/** The pipeline view's rows: one per topology process (src/query/pipeline/health.ts). */
export type SinkState = 'healthy' | 'paused' | 'half-open' | 'circuit open';

export interface SinkHealth {
  sink: string;
  state: SinkState;
  consecutiveFailures: number;
  rowsTotal: number;
  deadLetters: number;
}

export interface ProcessHealth {
  name: string;
  url: string;
  /** The last scrape answered. */
  up: boolean;
  /** Why not, when not. */
  error?: string;
  ready: boolean;
  /** /readyz's text when not ready (restoring, a sink failing). */
  readyReason?: string;
  application?: string;
  partitions: number;
  lag: number;
  recordsIn: number;
  recordsOut: number;
  /** Records per second in and out over the last scrape interval (undefined until two scrapes). */
  inPerSecond?: number;
  outPerSecond?: number;
  /** Items beyond the event-time bounds plus operators' late counters. */
  late: number;
  deadLetters: number;
  pausedPartitions: number;
  restore: { read: number; total: number; restoredEntries: number };
  sinks: SinkHealth[];
  /** Stream time (unix seconds, the latest of the tasks). */
  streamTimeSeconds?: number;
  /** [unix seconds, records in per second] of the last scrapes. */
  history: Array<[number, number]>;
}

export interface PipelineSnapshot {
  scrapedAtMs: number;
  intervalMs: number;
  processes: ProcessHealth[];
}

/** The analysis of one trace (/api/traces/<id>/analysis, src/query/analysis.ts; docs/query.md). */
export interface SpanNode {
  spanId: string;
  parentSpanId: string;
  service: string;
  name: string;
  kind: string;
  status: string;
  startUnixNano: string;
  durationNanos: string;
  selfNanos: string;
  children: SpanNode[];
}

export interface CriticalPathStep {
  spanId: string;
  service: string;
  name: string;
  startUnixNano: string;
  endUnixNano: string;
  durationNanos: string;
}

export interface ServiceSelfTime {
  service: string;
  spans: number;
  errors: number;
  selfNanos: string;
}

export interface ErrorSpan {
  spanId: string;
  service: string;
  name: string;
  statusMessage: string;
  startUnixNano: string;
}

export interface TraceAnalysis {
  traceId: string;
  startUnixNano: string;
  durationNanos: string;
  spanCount: number;
  errorCount: number;
  tree: SpanNode[];
  criticalPath: CriticalPathStep[];
  services: ServiceSelfTime[];
  errors: ErrorSpan[];
}
