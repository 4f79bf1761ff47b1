// Flat LogRecord records -> ExportLogsServiceRequest (protobuf).
import { writeAnyValueField, writeAttributes, writeIdField, writeRequest, writeStringField, writeTimeField, writeVarintField } from './encodeCommon.ts';
import type { LogRecord } from './model.ts';
import { ProtoWriter } from './protoWriter.ts';

/** Encodes log records as one ExportLogsServiceRequest, grouped by their Resource and Scope objects. */
export function encodeLogs(records: readonly LogRecord[]): Buffer {
  const w = new ProtoWriter();
  writeLogsRequest(w, records);
  return w.finish();
}

/** Writes the request fields for `records` into `w`. */
export function writeLogsRequest(w: ProtoWriter, records: readonly LogRecord[]): void {
  writeRequest(w, records, (list) => {
    for (const record of list) writeLogRecord(w, record);
  });
}

/** Writes one log record as field 2 of ScopeLogs. */
export function writeLogRecord(w: ProtoWriter, l: LogRecord): void {
  w.tag(2, 2);
  const start = w.fork();
  writeTimeField(w, 1, l.timeMs, l.timeNanos);
  writeVarintField(w, 2, l.severityNumber);
  writeStringField(w, 3, l.severityText);
  if (l.body !== undefined) writeAnyValueField(w, 5, l.body);
  writeAttributes(w, 6, l.attributes);
  writeVarintField(w, 7, l.droppedAttributesCount);
  if (l.flags !== 0) {
    w.tag(8, 5);
    w.fixed32(l.flags);
  }
  writeIdField(w, 9, l.traceId);
  writeIdField(w, 10, l.spanId);
  writeTimeField(w, 11, l.observedTimeMs, l.observedTimeNanos);
  writeStringField(w, 12, l.eventName);
  w.join(start);
}
