// Flat Span records -> ExportTraceServiceRequest (protobuf).
import { writeAttributes, writeIdField, writeRequest, writeStringField, writeTimeField, writeVarintField } from './encodeCommon.ts';
import type { Span } from './model.ts';
import { ProtoWriter } from './protoWriter.ts';

/** Encodes spans as one ExportTraceServiceRequest, grouped by their Resource and Scope objects. */
export function encodeTraces(spans: readonly Span[]): Buffer {
  const w = new ProtoWriter();
  writeTraceRequest(w, spans);
  return w.finish();
}

/** Writes the request fields for `spans` into `w` (for callers building several requests on one writer). */
export function writeTraceRequest(w: ProtoWriter, spans: readonly Span[]): void {
  writeRequest(w, spans, (list) => {
    for (const span of list) writeSpan(w, span);
  });
}

/** Writes one span as field 2 of ScopeSpans. */
export function writeSpan(w: ProtoWriter, s: Span): void {
  w.tag(2, 2);
  const start = w.fork();
  writeIdField(w, 1, s.traceId);
  writeIdField(w, 2, s.spanId);
  writeStringField(w, 3, s.traceState);
  writeIdField(w, 4, s.parentSpanId);
  writeStringField(w, 5, s.name);
  writeVarintField(w, 6, s.kind);
  writeTimeField(w, 7, s.startTimeMs, s.startTimeNanos);
  writeTimeField(w, 8, s.endTimeMs, s.endTimeNanos);
  writeAttributes(w, 9, s.attributes);
  writeVarintField(w, 10, s.droppedAttributesCount);
  for (const e of s.events) {
    w.tag(11, 2);
    const es = w.fork();
    writeTimeField(w, 1, e.timeMs, e.timeNanos);
    writeStringField(w, 2, e.name);
    writeAttributes(w, 3, e.attributes);
    writeVarintField(w, 4, e.droppedAttributesCount);
    w.join(es);
  }
  writeVarintField(w, 12, s.droppedEventsCount);
  for (const l of s.links) {
    w.tag(13, 2);
    const ls = w.fork();
    writeIdField(w, 1, l.traceId);
    writeIdField(w, 2, l.spanId);
    writeStringField(w, 3, l.traceState);
    writeAttributes(w, 4, l.attributes);
    writeVarintField(w, 5, l.droppedAttributesCount);
    if (l.flags !== 0) {
      w.tag(6, 5);
      w.fixed32(l.flags);
    }
    w.join(ls);
  }
  writeVarintField(w, 14, s.droppedLinksCount);
  if (s.statusCode !== 0 || s.statusMessage !== '') {
    w.tag(15, 2);
    const ss = w.fork();
    writeStringField(w, 2, s.statusMessage);
    writeVarintField(w, 3, s.statusCode);
    w.join(ss);
  }
  if (s.flags !== 0) {
    w.tag(16, 5);
    w.fixed32(s.flags);
  }
  w.join(start);
}
