// Strict numbers at the edge: OTLP/JSON integers out of their field's range, or not integers at all, are refused
// with the field path; they never wrap into other values. Boundary values still decode exactly.
import { describe, expect, it } from 'vitest';
import { OtlpDecodeError } from './errors.ts';
import { decodeLogsJson, decodeMetricsJson, decodeTracesJson } from './jsonDecode.ts';

type Json = Record<string, unknown>;

const span = (over: Json = {}): Json => ({
  traceId: 'ab'.repeat(16), spanId: '01'.repeat(8), name: 'op', startTimeUnixNano: '1', endTimeUnixNano: '2', ...over,
});
const traces = (s: Json): Json => ({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans: [s] }] }] });
const withInt = (intValue: unknown): Json => traces(span({ attributes: [{ key: 'k', value: { intValue } }] }));
const metrics = (metric: Json): Json => ({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', ...metric }] }] }] });
const histogram = (point: Json): Json => metrics({ histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: '1', ...point }] } });
const expHistogram = (point: Json): Json => metrics({ exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: '1', ...point }] } });
const logs = (record: Json): Json => ({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] });

const SPAN = 'resourceSpans[0].scopeSpans[0].spans[0]';
const POINT = 'resourceMetrics[0].scopeMetrics[0].metrics[0]';
const LOG = 'resourceLogs[0].scopeLogs[0].logRecords[0]';

const decoders = { traces: decodeTracesJson, metrics: decodeMetricsJson, logs: decodeLogsJson };

// [what, signal, request, field path, reason]
const refused: Array<[string, keyof typeof decoders, Json, string, RegExp]> = [
  ['int64 attribute 1e300', 'traces', withInt(1e300), `${SPAN}.attributes[0].value.intValue`, /1e\+300 is outside the int64 range/],
  ['int64 attribute 2^63 as a number', 'traces', withInt(2 ** 63), `${SPAN}.attributes[0].value.intValue`, /outside the int64 range/],
  ['int64 attribute -2^63 - 2^11 as a number', 'traces', withInt(-(2 ** 63) - 2048), `${SPAN}.attributes[0].value.intValue`, /outside the int64 range/],
  ['int64 attribute 2^63 as a string', 'traces', withInt('9223372036854775808'), `${SPAN}.attributes[0].value.intValue`, /outside the int64 range/],
  ['int64 attribute -2^63 - 1 as a string', 'traces', withInt('-9223372036854775809'), `${SPAN}.attributes[0].value.intValue`, /outside the int64 range/],
  ['int64 attribute of 23 digits', 'traces', withInt('12345678901234567890123'), `${SPAN}.attributes[0].value.intValue`, /64-bit integer/],
  ['int64 attribute 1.5', 'traces', withInt(1.5), `${SPAN}.attributes[0].value.intValue`, /expected a 64-bit integer, got 1.5/],
  ['int64 attribute "1e3"', 'traces', withInt('1e3'), `${SPAN}.attributes[0].value.intValue`, /64-bit integer/],
  ['timestamp 1e300', 'traces', traces(span({ startTimeUnixNano: 1e300 })), `${SPAN}.startTimeUnixNano`, /unsigned 64-bit/],
  ['timestamp 2^64', 'traces', traces(span({ endTimeUnixNano: '18446744073709551616' })), `${SPAN}.endTimeUnixNano`, /unsigned 64-bit/],
  ['timestamp -1', 'traces', traces(span({ startTimeUnixNano: -1 })), `${SPAN}.startTimeUnixNano`, /unsigned 64-bit/],
  ['timestamp 1.5', 'traces', traces(span({ startTimeUnixNano: 1.5 })), `${SPAN}.startTimeUnixNano`, /unsigned 64-bit/],
  ['flags 2^32', 'traces', traces(span({ flags: 4294967296 })), `${SPAN}.flags`, /integer in \[0, 4294967295\]/],
  ['flags 1e300', 'traces', traces(span({ flags: 1e300 })), `${SPAN}.flags`, /integer in \[0, 4294967295\]/],
  ['flags 0.5', 'traces', traces(span({ flags: 0.5 })), `${SPAN}.flags`, /integer in \[0, 4294967295\]/],
  ['droppedAttributesCount -1', 'traces', traces(span({ droppedAttributesCount: -1 })), `${SPAN}.droppedAttributesCount`, /integer in \[0, 4294967295\]/],
  ['kind 2^31', 'traces', traces(span({ kind: '2147483648' })), `${SPAN}.kind`, /integer in \[-2147483648, 2147483647\]/],
  ['status code 1e300', 'traces', traces(span({ status: { code: 1e300 } })), `${SPAN}.status.code`, /integer in/],
  ['histogram count 2^64 as a string', 'metrics', histogram({ count: '18446744073709551616' }), `${POINT}.histogram.dataPoints[0].count`, /18446744073709551616 is outside the uint64 range/],
  ['histogram count 99999999999999999999', 'metrics', histogram({ count: '99999999999999999999' }), `${POINT}.histogram.dataPoints[0].count`, /outside the uint64 range/],
  ['histogram count 2^64 as a number', 'metrics', histogram({ count: 2 ** 64 }), `${POINT}.histogram.dataPoints[0].count`, /outside the uint64 range/],
  ['histogram count 1e300', 'metrics', histogram({ count: 1e300 }), `${POINT}.histogram.dataPoints[0].count`, /outside the uint64 range/],
  ['histogram count 2.5', 'metrics', histogram({ count: 2.5 }), `${POINT}.histogram.dataPoints[0].count`, /unsigned 64-bit integer, got number 2.5/],
  ['histogram count -1', 'metrics', histogram({ count: -1 }), `${POINT}.histogram.dataPoints[0].count`, /unsigned 64-bit integer/],
  ['histogram bucket count 2^64', 'metrics', histogram({ bucketCounts: ['1', '18446744073709551616'] }), `${POINT}.histogram.dataPoints[0].bucketCounts[1]`, /outside the uint64 range/],
  ['exponential zero count 1e20', 'metrics', expHistogram({ zeroCount: 1e20 }), `${POINT}.exponentialHistogram.dataPoints[0].zeroCount`, /outside the uint64 range/],
  ['exponential bucket count 1e300', 'metrics', expHistogram({ positive: { offset: 0, bucketCounts: [1, 1e300] } }), `${POINT}.exponentialHistogram.dataPoints[0].positive.bucketCounts[1]`, /outside the uint64 range/],
  ['exponential scale 1e10', 'metrics', expHistogram({ scale: 1e10 }), `${POINT}.exponentialHistogram.dataPoints[0].scale`, /integer in/],
  ['gauge asInt 1e300', 'metrics', metrics({ gauge: { dataPoints: [{ asInt: 1e300 }] } }), `${POINT}.gauge.dataPoints[0].asInt`, /outside the int64 range/],
  ['sum asInt 2^63', 'metrics', metrics({ sum: { dataPoints: [{ asInt: '9223372036854775808' }] } }), `${POINT}.sum.dataPoints[0].asInt`, /outside the int64 range/],
  ['severityNumber 1e300', 'logs', logs({ severityNumber: 1e300 }), `${LOG}.severityNumber`, /integer in/],
  ['log body int 1e19', 'logs', logs({ body: { intValue: 1e19 } }), `${LOG}.body.intValue`, /outside the int64 range/],
  ['log body nested int 2^64', 'logs', logs({ body: { arrayValue: { values: [{ intValue: '18446744073709551616' }] } } }), `${LOG}.body.arrayValue.values[0].intValue`, /outside the int64 range/],
];

describe('OTLP/JSON numbers out of range', () => {
  it.each(refused)('%s is refused', (_, signal, request, path, reason) => {
    let error: unknown;
    try {
      decoders[signal](request);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect((error as OtlpDecodeError).path).toBe(path);
    expect((error as OtlpDecodeError).reason).toMatch(reason);
    // The same request as text (what the gateway receives) fails the same way.
    expect(() => decoders[signal](JSON.stringify(request))).toThrow(reason);
  });

  it('decodes the boundary values exactly', () => {
    const intOf = (v: unknown) => decodeTracesJson(withInt(v))[0].attributes[0].value;
    expect(intOf('9223372036854775807')).toBe(2n ** 63n - 1n);
    expect(intOf('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(intOf(-(2 ** 63))).toBe(-(2n ** 63n));
    expect(intOf(2 ** 62)).toBe(2n ** 62n);
    expect(intOf(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(intOf('-12')).toBe(-12);

    const countOf = (v: unknown) => {
      const [p] = decodeMetricsJson(histogram({ count: v }));
      return p.type === 'histogram' ? p.count : undefined;
    };
    expect(countOf('18446744073709551615')).toBe(2 ** 64); // the model's counts are numbers: exact below 2^53
    expect(countOf(2 ** 64 - 2048)).toBe(2 ** 64 - 2048);
    expect(countOf('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(countOf(0)).toBe(0);

    const [s] = decodeTracesJson(traces(span({ startTimeUnixNano: '18446744073709551615', flags: 4294967295, kind: -2147483648 })));
    expect([s.startTimeMs, s.startTimeNanos, s.flags, s.kind]).toEqual([18446744073709, 551615, 4294967295, -2147483648]);
  });
});
