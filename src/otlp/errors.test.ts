// Bad input: random, truncated and corrupted bytes never crash decoders or splitters with anything but
// OtlpDecodeError, and the errors name the field path and byte offset.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLogs } from './decodeLogs.ts';
import { decodeMetrics } from './decodeMetrics.ts';
import { decodeTraces } from './decodeTraces.ts';
import { encodeLogs } from './encodeLogs.ts';
import { encodeMetrics } from './encodeMetrics.ts';
import { encodeTraces } from './encodeTraces.ts';
import { OtlpDecodeError } from './errors.ts';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './jsonDecode.ts';
import { encodeTracesJson } from './jsonEncode.ts';
import type { Span } from './model.ts';
import { ProtoWriter } from './protoWriter.ts';
import { decodeMetricPointsWithIds } from './seriesId.ts';
import { splitLogs, splitMetrics, splitTraces } from './split.ts';
import { splitBySize } from './splitBySize.ts';
import { logRecords, metricPoints, spans } from './testing/arbitraries.ts';

const consumers: Array<[string, (b: Uint8Array) => unknown]> = [
  ['decodeTraces', decodeTraces],
  ['decodeMetrics', decodeMetrics],
  ['decodeMetricPointsWithIds', decodeMetricPointsWithIds],
  ['decodeLogs', decodeLogs],
  ['splitTraces', splitTraces],
  ['splitMetrics', splitMetrics],
  ['splitLogs', splitLogs],
  ['splitBySize(traces)', (b) => splitBySize('traces', { key: Buffer.alloc(0), value: Buffer.from(b) }, 64)],
  ['splitBySize(metrics)', (b) => splitBySize('metrics', { key: Buffer.alloc(0), value: Buffer.from(b) }, 64)],
  ['splitBySize(logs)', (b) => splitBySize('logs', { key: Buffer.alloc(0), value: Buffer.from(b) }, 64)],
];

function onlyClearErrors(bytes: Uint8Array): void {
  for (const [, consume] of consumers) {
    try {
      consume(bytes);
    } catch (err) {
      expect(err).toBeInstanceOf(OtlpDecodeError);
      expect((err as OtlpDecodeError).offset).toBeGreaterThanOrEqual(0);
    }
  }
}

const validRequest = fc.oneof(spans.map(encodeTraces), metricPoints.map(encodeMetrics), logRecords.map(encodeLogs));

// Byte-level damage to a valid request: truncation, overwritten bytes, inserted bytes.
const damaged = validRequest.chain((bytes) =>
  fc.oneof(
    fc.nat({ max: Math.max(0, bytes.length - 1) }).map((n) => bytes.subarray(0, n)),
    fc.array(fc.tuple(fc.nat({ max: Math.max(0, bytes.length - 1) }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((edits) => {
      const copy = Buffer.from(bytes);
      for (const [i, v] of edits) if (i < copy.length) copy[i] = v;
      return copy;
    }),
    fc.tuple(fc.nat({ max: bytes.length }), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([i, extra]) => Buffer.concat([bytes.subarray(0, i), extra, bytes.subarray(i)])),
  ),
);

describe('random and corrupted protobuf', () => {
  it('random bytes only ever raise OtlpDecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), onlyClearErrors), { numRuns: 2000 });
  });

  it('truncated, overwritten and padded requests only ever raise OtlpDecodeError', () => {
    fc.assert(fc.property(damaged, onlyClearErrors), { numRuns: 1500 });
  });

  it('deeply nested attribute values are refused, not a stack overflow', () => {
    let value = Buffer.from([0x0a, 0x01, 0x78]); // AnyValue{string_value: "x"}
    for (let i = 0; i < 10_000; i++) {
      const array = Buffer.concat([Buffer.from([0x0a]), varint(value.length), value]); // ArrayValue{values: [value]}
      value = Buffer.concat([Buffer.from([0x2a]), varint(array.length), array]); // AnyValue{array_value}
    }
    const body = Buffer.concat([Buffer.from([0x2a]), varint(value.length), value]); // LogRecord{body}
    const request = nest([0x0a, 0x12, 0x12], body);
    expect(() => decodeLogs(request)).toThrow(/resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.body(\.arrayValue\.values\[0\])+.*nested deeper than 32/);
  });
});

function varint(n: number): Buffer {
  const w = new ProtoWriter(16);
  w.uint32(n);
  return w.finish();
}

// Wraps `inner` in length-delimited fields, outermost tag first.
function nest(tags: number[], inner: Buffer): Buffer {
  let out = inner;
  for (const tag of [...tags].reverse()) out = Buffer.concat([Buffer.from([tag]), varint(out.length), out]);
  return out;
}

const scope = { name: 'lib', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
const resource = { attributes: [], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
const span: Span = {
  resource, scope, traceId: 'ab'.repeat(16), spanId: '01'.repeat(8), traceState: '', parentSpanId: '', flags: 0, name: 'op', kind: 1,
  startTimeMs: 1, startTimeNanos: 0, endTimeMs: 2, endTimeNanos: 0, attributes: [], droppedAttributesCount: 0, events: [], droppedEventsCount: 0,
  links: [], droppedLinksCount: 0, statusCode: 0, statusMessage: '',
};

function catchError(f: () => unknown): OtlpDecodeError {
  try {
    f();
  } catch (err) {
    if (err instanceof OtlpDecodeError) return err;
    throw err;
  }
  throw new Error('expected an OtlpDecodeError');
}

describe('error messages name what and where', () => {
  // Request -> ResourceSpans -> ScopeSpans -> Span with a 15-byte trace id, built by hand.
  const badSpan = Buffer.concat([Buffer.from([0x0a, 15]), Buffer.alloc(15, 0xab), Buffer.from([0x12, 8]), Buffer.alloc(8, 1)]);
  const second = Buffer.concat([Buffer.from([0x12]), varint(badSpan.length), badSpan]);
  const good = encodeTraces([span]).subarray(0); // one resource, one scope, one span
  const scopeSpans = Buffer.concat([Buffer.from(decodeSpanField(good)), second]);
  const request = nest([0x0a, 0x12], scopeSpans);

  it('wrong id length', () => {
    for (const decode of [decodeTraces, splitTraces]) {
      const err = catchError(() => decode(request));
      expect(err.path).toBe('resourceSpans[0].scopeSpans[0].spans[1].traceId');
      expect(err.reason).toMatch(/expected 16 bytes, got 15/);
      expect(err.message).toMatch(/^invalid OTLP protobuf at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]\.traceId \(byte \d+\): expected 16 bytes, got 15$/);
      expect(request[err.offset]).toBe(15); // the offset points at the length prefix
    }
  });

  it('length past the end of the enclosing message', () => {
    const err = catchError(() => decodeTraces(Buffer.from([0x0a, 0x03, 0x12, 0x10, 0x00])));
    expect(err.path).toBe('resourceSpans[0]');
    expect(err.offset).toBe(3);
    expect(err.reason).toMatch(/length 16 runs past the end/);
  });

  it('truncated varint', () => {
    const err = catchError(() => decodeLogs(Buffer.from([0x0a, 0x80])));
    expect(err.reason).toBe('truncated varint');
  });

  it('wire type mismatch names the field', () => {
    // ResourceSpans{scope_spans: ScopeSpans{spans: Span{name as a varint}}}
    const err = catchError(() => decodeTraces(nest([0x0a, 0x12, 0x12], Buffer.from([0x28, 0x01]))));
    expect(err.path).toBe('resourceSpans[0].scopeSpans[0].spans[0].name');
    expect(err.reason).toMatch(/wire type varint does not match/);
  });

  it('missing span id', () => {
    const err = catchError(() => decodeTraces(nest([0x0a, 0x12, 0x12], Buffer.concat([Buffer.from([0x0a, 16]), Buffer.alloc(16, 1)]))));
    expect(err.path).toBe('resourceSpans[0].scopeSpans[0].spans[0].spanId');
  });

  it('invalid UTF-8 decodes lossily (U+FFFD), never fails', () => {
    const named = nest([0x0a, 0x12, 0x12], Buffer.concat([Buffer.from([0x0a, 16]), Buffer.alloc(16, 1), Buffer.from([0x12, 8]), Buffer.alloc(8, 1), Buffer.from([0x2a, 3, 0x61, 0xff, 0x62])]));
    expect(decodeTraces(named)[0].name).toBe('a\ufffdb');
  });

  it('OTLP/JSON errors name the JSON path', () => {
    const json = JSON.parse(encodeTracesJson([span]));
    json.resourceSpans[0].scopeSpans[0].spans[0].spanId = 'xyz';
    expect(() => decodeTracesJson(json)).toThrow('invalid OTLP json at resourceSpans[0].scopeSpans[0].spans[0].spanId: expected 16 hex characters, got 3');
    json.resourceSpans[0].scopeSpans[0].spans[0].spanId = '01'.repeat(8);
    json.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano = '12x';
    expect(() => decodeTracesJson(json)).toThrow(/spans\[0\]\.startTimeUnixNano: expected a decimal unsigned 64-bit integer/);
    expect(() => decodeTracesJson('{"resourceSpans": [')).toThrow(/invalid OTLP json: not JSON/);
  });

  it('random JSON only ever raises OtlpDecodeError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.string()), (value) => {
        for (const decode of [decodeTracesJson, decodeMetricsJson, decodeLogsJson]) {
          for (const input of [value, { resourceSpans: [value], resourceMetrics: [{ scopeMetrics: [value] }], resourceLogs: [{ scopeLogs: [{ logRecords: [value] }] }] }]) {
            try {
              decode(input);
            } catch (err) {
              expect(err).toBeInstanceOf(OtlpDecodeError);
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

// The bytes of the first span field inside a one-resource, one-scope request.
function decodeSpanField(request: Buffer): Buffer {
  // request: 0a len (ResourceSpans: 12 len (ScopeSpans: 0a.. scope, 12 len span ...))
  let p = 0;
  const skipHeader = (): void => {
    p++;
    while (request[p] & 0x80) p++;
    p++;
  };
  skipHeader(); // ResourceSpans
  skipHeader(); // ScopeSpans
  if (request[p] === 0x0a) {
    const len = request[p + 1];
    p += 2 + len; // scope
  }
  const start = p;
  skipHeader();
  const len = request[start + 1];
  return request.subarray(start, start + 2 + len);
}
