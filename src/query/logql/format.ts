// Loki's response envelopes (docs/sources/reference/loki-http-api.md):
//   query / query_range: { status: "success", data: { resultType: "streams" | "matrix" | "vector", result, stats } }
//     streams: [{ stream: {labels}, values: [["<ns>", "<line>"], …] }]
//     matrix:  [{ metric: {labels}, values: [[<seconds>, "<value>"], …] }]
//     vector:  [{ metric: {labels}, value: [<seconds>, "<value>"] }]
//   labels, label values: { status: "success", data: ["…", …] }
// stats carries the documented `summary` block only (what we scan); the ingester / store blocks are Loki internals.
import type { LokiMatrix, LokiStreams, LokiVector, ScanStats } from './evaluate.ts';

export interface LokiStats {
  summary: {
    bytesProcessedPerSecond: number;
    linesProcessedPerSecond: number;
    totalBytesProcessed: number;
    totalLinesProcessed: number;
    /** Seconds. */
    execTime: number;
    queueTime: number;
    totalEntriesReturned: number;
  };
}

export type LokiQueryData =
  | { resultType: 'streams'; result: LokiStreams; stats: LokiStats }
  | { resultType: 'matrix'; result: LokiMatrix; stats: LokiStats }
  | { resultType: 'vector'; result: LokiVector; stats: LokiStats };

export interface LokiQueryResponse {
  status: 'success';
  data: LokiQueryData;
}

export interface LokiLabelsResponse {
  status: 'success';
  data: string[];
}

/** The stats block of a query that scanned `scan`, returned `entries` entries (lines or points) and took `execSeconds`. */
export function lokiStats(scan: ScanStats, entries: number, execSeconds = 0): LokiStats {
  const perSecond = (n: number) => (execSeconds > 0 ? Math.round(n / execSeconds) : 0);
  return {
    summary: {
      bytesProcessedPerSecond: perSecond(scan.bytesProcessed),
      linesProcessedPerSecond: perSecond(scan.linesProcessed),
      totalBytesProcessed: scan.bytesProcessed,
      totalLinesProcessed: scan.linesProcessed,
      execTime: execSeconds,
      queueTime: 0,
      totalEntriesReturned: entries,
    },
  };
}

/** A log query's answer. */
export function streamsResponse(result: LokiStreams, stats: LokiStats): LokiQueryResponse {
  return { status: 'success', data: { resultType: 'streams', result, stats } };
}

/** A range metric query's answer. */
export function matrixResponse(result: LokiMatrix, stats: LokiStats): LokiQueryResponse {
  return { status: 'success', data: { resultType: 'matrix', result, stats } };
}

/** An instant metric query's answer. */
export function vectorResponse(result: LokiVector, stats: LokiStats): LokiQueryResponse {
  return { status: 'success', data: { resultType: 'vector', result, stats } };
}

/** The answer of /labels and /label/<name>/values. */
export function labelsResponse(values: string[]): LokiLabelsResponse {
  return { status: 'success', data: values };
}
