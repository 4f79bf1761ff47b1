// One sink's measured throughput, as bench/sinks.ts reports it.
export interface SinkFigure {
  sink: string;
  variant: string;
  rows: number;
  perSecond: number;
  p99BatchMs: number;
}
