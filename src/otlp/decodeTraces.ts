// ExportTraceServiceRequest (protobuf) -> flat Span records.
import { decodeRequest, pushAttribute, pushMessage, readId, readString, TRACES_ENVELOPE } from './decodeCommon.ts';
import { rethrowWithin } from './errors.ts';
import type { Attribute, Resource, Scope, Span, SpanEvent, SpanLink } from './model.ts';
import { expectEnd, skipUnknown, type ProtoReader } from './protoReader.ts';
import { msOf, nanosOf } from './time.ts';

const SPAN_FIELDS: Record<number, string> = {
  1: 'traceId', 2: 'spanId', 3: 'traceState', 4: 'parentSpanId', 5: 'name', 6: 'kind', 7: 'startTimeUnixNano',
  8: 'endTimeUnixNano', 9: 'attributes', 10: 'droppedAttributesCount', 11: 'events', 12: 'droppedEventsCount',
  13: 'links', 14: 'droppedLinksCount', 15: 'status', 16: 'flags',
};
const EVENT_FIELDS: Record<number, string> = { 1: 'timeUnixNano', 2: 'name', 3: 'attributes', 4: 'droppedAttributesCount' };
const LINK_FIELDS: Record<number, string> = {
  1: 'traceId', 2: 'spanId', 3: 'traceState', 4: 'attributes', 5: 'droppedAttributesCount', 6: 'flags',
};
const STATUS_FIELDS: Record<number, string> = { 2: 'message', 3: 'code' };

/** Decodes ExportTraceServiceRequest bytes into spans; throws OtlpDecodeError naming the field and byte offset. */
export function decodeTraces(bytes: Uint8Array): Span[] {
  return decodeRequest(bytes, TRACES_ENVELOPE, decodeSpan);
}

// A LeafDecoder: decodes one Span and appends it.
function decodeSpan(r: ProtoReader, end: number, resource: Resource, scope: Scope, spans: Span[]): void {
  const start = r.pos;
  let traceId = '';
  let spanId = '';
  let traceState = '';
  let parentSpanId = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let startTimeMs = 0;
  let startTimeNanos = 0;
  let endTimeMs = 0;
  let endTimeNanos = 0;
  const attributes: Attribute[] = [];
  let droppedAttributesCount = 0;
  const events: SpanEvent[] = [];
  let droppedEventsCount = 0;
  const links: SpanLink[] = [];
  let droppedLinksCount = 0;
  let statusCode = 0;
  let statusMessage = '';
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 10: // trace_id = 1
        traceId = readId(r, end, 'traceId', 16, false);
        break;
      case 18: // span_id = 2
        spanId = readId(r, end, 'spanId', 8, false);
        break;
      case 26: // trace_state = 3
        traceState = readString(r, end);
        break;
      case 34: // parent_span_id = 4
        parentSpanId = readId(r, end, 'parentSpanId', 8, true);
        break;
      case 42: // name = 5
        name = readString(r, end);
        break;
      case 48: // kind = 6
        kind = r.uint32() | 0;
        break;
      case 57: // start_time_unix_nano = 7
        r.fixed64();
        startTimeMs = msOf(r.lo, r.hi);
        startTimeNanos = nanosOf(r.lo, r.hi);
        break;
      case 65: // end_time_unix_nano = 8
        r.fixed64();
        endTimeMs = msOf(r.lo, r.hi);
        endTimeNanos = nanosOf(r.lo, r.hi);
        break;
      case 74: // attributes = 9
        pushAttribute(r, end, attributes, 'attributes');
        break;
      case 80: // dropped_attributes_count = 10
        droppedAttributesCount = r.uint32();
        break;
      case 90: // events = 11
        pushMessage(r, end, events, 'events', decodeEvent);
        break;
      case 96: // dropped_events_count = 12
        droppedEventsCount = r.uint32();
        break;
      case 106: // links = 13
        pushMessage(r, end, links, 'links', decodeLink);
        break;
      case 112: // dropped_links_count = 14
        droppedLinksCount = r.uint32();
        break;
      case 122: {
        // status = 15 (a nested message; fields decoded inline to avoid an object)
        const e = r.lengthEnd(end);
        while (r.pos < e) {
          const at = r.pos;
          const t = r.uint32();
          if (t === 18) statusMessage = readString(r, e);
          else if (t === 24) statusCode = r.uint32() | 0;
          else {
            try {
              skipUnknown(r, t, at, e, STATUS_FIELDS);
            } catch (err) {
              rethrowWithin(err, 'status');
            }
          }
        }
        expectEnd(r, e);
        break;
      }
      case 133: // flags = 16, fixed32
        flags = r.fixed32();
        break;
      default:
        skipUnknown(r, tag, tagAt, end, SPAN_FIELDS);
    }
  }
  expectEnd(r, end);
  if (traceId === '') r.fail('missing (a span needs a 16-byte trace id)', start, 'traceId');
  if (spanId === '') r.fail('missing (a span needs an 8-byte span id)', start, 'spanId');
  spans.push({
    resource, scope, traceId, spanId, traceState, parentSpanId, flags, name, kind,
    startTimeMs, startTimeNanos, endTimeMs, endTimeNanos, attributes, droppedAttributesCount,
    events, droppedEventsCount, links, droppedLinksCount, statusCode, statusMessage,
  });
}

function decodeEvent(r: ProtoReader, end: number): SpanEvent {
  const event: SpanEvent = { timeMs: 0, timeNanos: 0, name: '', attributes: [], droppedAttributesCount: 0 };
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 9:
        r.fixed64();
        event.timeMs = msOf(r.lo, r.hi);
        event.timeNanos = nanosOf(r.lo, r.hi);
        break;
      case 18:
        event.name = readString(r, end);
        break;
      case 26:
        pushAttribute(r, end, event.attributes, 'attributes');
        break;
      case 32:
        event.droppedAttributesCount = r.uint32();
        break;
      default:
        skipUnknown(r, tag, tagAt, end, EVENT_FIELDS);
    }
  }
  expectEnd(r, end);
  return event;
}

function decodeLink(r: ProtoReader, end: number): SpanLink {
  const start = r.pos;
  const link: SpanLink = { traceId: '', spanId: '', traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 };
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    switch (tag) {
      case 10:
        link.traceId = readId(r, end, 'traceId', 16, false);
        break;
      case 18:
        link.spanId = readId(r, end, 'spanId', 8, false);
        break;
      case 26:
        link.traceState = readString(r, end);
        break;
      case 34:
        pushAttribute(r, end, link.attributes, 'attributes');
        break;
      case 40:
        link.droppedAttributesCount = r.uint32();
        break;
      case 53:
        link.flags = r.fixed32();
        break;
      default:
        skipUnknown(r, tag, tagAt, end, LINK_FIELDS);
    }
  }
  expectEnd(r, end);
  if (link.traceId === '') r.fail('missing (a link needs a 16-byte trace id)', start, 'traceId');
  if (link.spanId === '') r.fail('missing (a link needs an 8-byte span id)', start, 'spanId');
  return link;
}
