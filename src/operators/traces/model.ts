// Traces as the trace topologies and the query service share them: an assembled trace (the item the `assemble` step
// emits and `trace_index` / `tail_sample` consume), its summary, and the keys of the otlp.traces and otlp.index topics.
//
// otlp.traces (compacted, co-partitioned with otlp_spans): key `traceRecordKey(traceKey, fragment)`, value
// `encodeTraceValue(spans)` (traceRecord.ts): the fragment's spans as an OTLP ExportTraceServiceRequest, snappy-compressed.
// Fragment 0 is the trace as first emitted; a late span of an emitted trace is emitted later as fragment 1, 2, … of
// the same trace (its own key, so compaction keeps every fragment); a reader joins the fragments of a trace.
import type { Span } from '../../otlp/index.ts';

/** Per service of a trace: its spans and error spans (Tempo's serviceStats). */
export interface ServiceStats {
  service: string;
  spans: number;
  errors: number;
}

/** A call between two services in a trace: a span whose parent span belongs to another service. */
export interface ServiceEdge {
  parent: string;
  child: string;
  calls: number;
}

/** What a search answers from without reading the trace: the trace summary of every emitted span so far. */
export interface TraceSummary {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** Service of the root span ('' while the root span has not been seen). */
  rootService: string;
  /** Name of the root span ('' while the root span has not been seen). */
  rootName: string;
  /** Earliest span start, ns since the epoch. */
  startUnixNano: bigint;
  /** Latest span end minus earliest span start, ns. */
  durationNanos: number;
  spans: number;
  /** Spans with status ERROR. */
  errors: number;
  /** Per service, sorted by service name. */
  services: ServiceStats[];
  /** Calls between services, sorted by parent then child. */
  edges: ServiceEdge[];
}

/** A trace (or a late fragment of one) as it leaves trace assembly. */
export interface AssembledTrace {
  /** `tenantKey(tenant, traceId)`: the source's item key. */
  key: string;
  tenant?: string;
  traceId: string;
  /** 0: the trace as first emitted; n ≥ 1: spans that arrived after it was emitted (late), emitted as an update. */
  fragment: number;
  /** This fragment's spans. */
  spans: Span[];
  /** Summary of every span of the trace emitted so far (fragments 0 … this one). */
  summary: TraceSummary;
}

/** Key of one fragment of a trace on otlp.traces: the trace key, then `#<n>` for late fragments. */
export function traceRecordKey(traceKey: string, fragment: number): string {
  return fragment === 0 ? traceKey : `${traceKey}#${fragment}`;
}

/** The trace key and fragment number of an otlp.traces key. */
export function parseTraceRecordKey(key: string): { traceKey: string; fragment: number } {
  const at = key.lastIndexOf('#');
  if (at < 0) return { traceKey: key, fragment: 0 };
  const fragment = Number(key.slice(at + 1));
  if (!Number.isSafeInteger(fragment) || fragment < 1) throw new Error(`otlp.traces key "${key}": fragment must be a positive integer`);
  return { traceKey: key.slice(0, at), fragment };
}
