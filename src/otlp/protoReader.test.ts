// Malformed protobuf that a lenient reader would misread: length prefixes of 2^32 or more (which 32-bit varint
// reading wraps to small lengths) and group wire types are refused with the byte offset; overlong encodings of
// small values stay accepted.
import { describe, expect, it } from 'vitest';
import { decodeLogs } from './decodeLogs.ts';
import { decodeMetrics } from './decodeMetrics.ts';
import { decodeTraces } from './decodeTraces.ts';
import { encodeTraces } from './encodeTraces.ts';
import { OtlpDecodeError } from './errors.ts';
import type { Span } from './model.ts';
import { ProtoReader } from './protoReader.ts';
import { splitLogs, splitMetrics, splitTraces } from './split.ts';
import { splitBySize } from './splitBySize.ts';

/** The varint bytes of `n`, padded with continuation bytes to `width` bytes if given. */
function varint(n: bigint, width = 0): Buffer {
  const out: number[] = [];
  do {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  } while (n > 0n || out.length < width);
  out[out.length - 1] &= 0x7f;
  return Buffer.from(out);
}

const field = (tag: number, content: Buffer, length = BigInt(content.length), width = 0) => Buffer.concat([Buffer.from([tag]), varint(length, width), content]);

const scope = { name: 'lib', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
const resource = { attributes: [{ key: 'service.name', type: 'string' as const, value: 'shop' }], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
const span: Span = {
  resource, scope, traceId: 'ab'.repeat(16), spanId: '01'.repeat(8), traceState: '', parentSpanId: '', flags: 0, name: 'op', kind: 1,
  startTimeMs: 1, startTimeNanos: 0, endTimeMs: 2, endTimeNanos: 0, attributes: [], droppedAttributesCount: 0, events: [], droppedEventsCount: 0,
  links: [], droppedLinksCount: 0, statusCode: 0, statusMessage: '',
};
const request = encodeTraces([span]);
// The ResourceSpans message inside the request (its only field, tag 0x0a).
const inner = (() => {
  const r = new ProtoReader(request);
  r.uint32();
  const end = r.lengthEnd(request.length);
  return request.subarray(r.pos, end);
})();
// A span with an extra field appended, wrapped in ScopeSpans, ResourceSpans and the request.
const spanWith = (extra: Buffer) => {
  const s = Buffer.concat([field(0x0a, Buffer.alloc(16, 0xab)), field(0x12, Buffer.alloc(8, 1)), extra]);
  return field(0x0a, field(0x12, field(0x12, s)));
};

// splitBySize parses only records over its limit: 1 byte makes it parse everything.
const traceConsumers = [decodeTraces, splitTraces, (b: Uint8Array) => splitBySize('traces', { key: Buffer.alloc(0), value: Buffer.from(b) }, 1)];
const everySignal = [...traceConsumers, decodeMetrics, splitMetrics, decodeLogs, splitLogs];
const groupInSpan = Buffer.from([0xa3, 0x01, 0xa4, 0x01]); // field 20 start-group, end-group (two-byte tags)
const longName = field(0x2a, Buffer.from('op'), 2n ** 32n + 2n);

// [what, bytes, consumers that must refuse it, byte offset, reason]
const refused: Array<[string, Buffer, Array<(b: Uint8Array) => unknown>, number, RegExp]> = [
  ['length 2^32 + n, which wraps to n', field(0x0a, inner, 2n ** 32n + BigInt(inner.length)), everySignal, 1, /length prefix 42949\d+ is 2\^32 or more/],
  ['length 2^32 with nothing after it', field(0x0a, Buffer.alloc(0), 2n ** 32n), everySignal, 1, /length prefix 4294967296 is 2\^32 or more/],
  ['length 2^63 in 10 bytes', field(0x0a, inner, 2n ** 63n), everySignal, 1, /length prefix 9223372036854775808 is 2\^32 or more/],
  ['length 2^31', field(0x0a, inner, 2n ** 31n), everySignal, 1, /length 2147483648 runs past the end/],
  ['a length varint of 11 bytes', field(0x0a, Buffer.alloc(0), 0n, 11), everySignal, 1, /varint longer than 10 bytes/],
  ['an unknown start-group field', Buffer.from([(9 << 3) | 3, (9 << 3) | 4]), everySignal, 1, /group wire type start-group \(field 9\)/],
  ['an end-group without a start', Buffer.from([(9 << 3) | 4, 0]), everySignal, 1, /group wire type end-group \(field 9\)/],
  ['a known field (resource_spans) as a group', Buffer.from([(1 << 3) | 3, (1 << 3) | 4]), traceConsumers, 0, /wire type start-group does not match/],
  ['an unknown group after a valid request', Buffer.concat([request, Buffer.from([(9 << 3) | 3, (9 << 3) | 4])]), traceConsumers, request.length + 1, /group wire type start-group/],
  ['a group in a span', spanWith(groupInSpan), [decodeTraces], spanWith(groupInSpan).length - 2, /group wire type start-group \(field 20\)/],
  ['a length 2^32 + 2 inside a span (name)', spanWith(longName), [decodeTraces], spanWith(longName).length - longName.length + 1, /length prefix 4294967298 is 2\^32 or more/],
];

describe('malformed protobuf', () => {
  it.each(refused)('%s is refused', (_, bytes, consumers, offset, reason) => {
    for (const consume of consumers) {
      let error: unknown;
      try {
        consume(bytes);
      } catch (err) {
        error = err;
      }
      expect(error, consume.name).toBeInstanceOf(OtlpDecodeError);
      expect((error as OtlpDecodeError).reason, consume.name).toMatch(reason);
      expect((error as OtlpDecodeError).offset, consume.name).toBe(offset);
    }
  });

  it('accepts overlong encodings of lengths below 2^32', () => {
    const padded = field(0x0a, inner, BigInt(inner.length), 10);
    expect(padded.length).toBe(request.length + 10 - varint(BigInt(inner.length)).length);
    expect(decodeTraces(padded)).toEqual(decodeTraces(request));
    expect(splitTraces(padded).map((r) => r.key)).toEqual(splitTraces(request).map((r) => r.key));
  });

  it('still skips unknown fields of the other wire types', () => {
    const unknown = Buffer.concat([Buffer.from([(9 << 3) | 0, 0x96, 0x01, (10 << 3) | 1]), Buffer.alloc(8), Buffer.from([(11 << 3) | 5]), Buffer.alloc(4), field((12 << 3) | 2, Buffer.from('x'))]);
    expect(decodeTraces(Buffer.concat([request, unknown]))).toEqual(decodeTraces(request));
  });
});
