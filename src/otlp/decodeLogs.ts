// ExportLogsServiceRequest (protobuf) -> flat LogRecord records.
import { decodeAnyValue, decodeRequest, LOGS_ENVELOPE, pushAttribute, readId, readString } from './decodeCommon.ts';
import { rethrowWithin } from './errors.ts';
import type { AnyValue, Attribute, LogRecord, Resource, Scope } from './model.ts';
import { expectEnd, skipUnknown, type ProtoReader } from './protoReader.ts';
import { msOf, nanosOf } from './time.ts';

const LOG_RECORD_FIELDS: Record<number, string> = {
  1: 'timeUnixNano', 11: 'observedTimeUnixNano', 2: 'severityNumber', 3: 'severityText', 5: 'body', 6: 'attributes',
  7: 'droppedAttributesCount', 8: 'flags', 9: 'traceId', 10: 'spanId', 12: 'eventName',
};

/** Decodes ExportLogsServiceRequest bytes into log records; throws OtlpDecodeError naming the field and byte offset. */
export function decodeLogs(bytes: Uint8Array): LogRecord[] {
  return decodeRequest(bytes, LOGS_ENVELOPE, decodeLogRecord);
}

// A LeafDecoder: decodes one LogRecord and appends it.
function decodeLogRecord(r: ProtoReader, end: number, resource: Resource, scope: Scope, records: LogRecord[]): void {
  let timeMs = 0;
  let timeNanos = 0;
  let observedTimeMs = 0;
  let observedTimeNanos = 0;
  let severityNumber = 0;
  let severityText = '';
  let body: AnyValue | undefined;
  const attributes: Attribute[] = [];
  let droppedAttributesCount = 0;
  let flags = 0;
  let traceId = '';
  let spanId = '';
  let eventName = '';
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 9: // time_unix_nano = 1
        r.fixed64();
        timeMs = msOf(r.lo, r.hi);
        timeNanos = nanosOf(r.lo, r.hi);
        break;
      case 89: // observed_time_unix_nano = 11
        r.fixed64();
        observedTimeMs = msOf(r.lo, r.hi);
        observedTimeNanos = nanosOf(r.lo, r.hi);
        break;
      case 16: // severity_number = 2
        severityNumber = r.uint32() | 0;
        break;
      case 26: // severity_text = 3
        severityText = readString(r, end);
        break;
      case 42: {
        // body = 5
        const e = r.lengthEnd(end);
        try {
          body = decodeAnyValue(r, e);
        } catch (err) {
          rethrowWithin(err, 'body');
        }
        break;
      }
      case 50: // attributes = 6
        pushAttribute(r, end, attributes, 'attributes');
        break;
      case 56: // dropped_attributes_count = 7
        droppedAttributesCount = r.uint32();
        break;
      case 69: // flags = 8, fixed32
        flags = r.fixed32();
        break;
      case 74: // trace_id = 9
        traceId = readId(r, end, 'traceId', 16, true);
        break;
      case 82: // span_id = 10
        spanId = readId(r, end, 'spanId', 8, true);
        break;
      case 98: // event_name = 12
        eventName = readString(r, end);
        break;
      default:
        skipUnknown(r, tag, tagAt, end, LOG_RECORD_FIELDS);
    }
  }
  expectEnd(r, end);
  records.push({
    resource, scope, timeMs, timeNanos, observedTimeMs, observedTimeNanos, severityNumber, severityText, body,
    attributes, droppedAttributesCount, flags, traceId, spanId, eventName,
  });
}
