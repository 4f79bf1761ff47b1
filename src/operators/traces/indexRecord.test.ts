import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { avroType, loadAvroSchema } from '../../kafka/avro.ts';
import { decodeTraces, encodeTraces } from '../../otlp/index.ts';
import { spans } from '../../otlp/testing/arbitraries.ts';
import { blockKey, indexEntryFromAvro, indexEntryToAvro, parseIndexKey, segmentKey, type TraceIndexEntry, type WireRecord } from './indexRecord.ts';
import type { TraceSummary } from './model.ts';
import { decodeTraceValue, encodeTraceValue } from './traceRecord.ts';
import { parseTraceRecordKey, traceRecordKey } from './model.ts';

const type = avroType(loadAvroSchema('Index'));
const roundTrip = (e: TraceIndexEntry) => indexEntryFromAvro(type.fromBuffer(type.toBuffer(indexEntryToAvro(e))) as WireRecord);

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex'));
const tenant = fc.constantFrom('', 'acme', 'team-b');
const summary: fc.Arbitrary<TraceSummary> = fc.record({
  traceId: hex(16),
  rootService: fc.string(),
  rootName: fc.string(),
  startUnixNano: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
  durationNanos: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  spans: fc.nat({ max: 2 ** 31 - 1 }),
  errors: fc.nat({ max: 2 ** 31 - 1 }),
  services: fc.array(fc.record({ service: fc.string(), spans: fc.nat({ max: 1e6 }), errors: fc.nat({ max: 1e6 }) }), { maxLength: 3 }),
  edges: fc.array(fc.record({ parent: fc.string(), child: fc.string(), calls: fc.nat({ max: 1e6 }) }), { maxLength: 3 }),
});
const place = { tenant, blockStart: fc.integer({ min: 0, max: 2 ** 45 }), blockEnd: fc.integer({ min: 0, max: 2 ** 45 }), partition: fc.nat({ max: 1000 }) };
const segment: fc.Arbitrary<TraceIndexEntry> = fc.record({
  kind: fc.constant('segment' as const),
  ...place,
  seq: fc.nat({ max: 2 ** 31 - 1 }),
  traces: fc.array(summary, { maxLength: 4 }),
  postings: fc.array(fc.record({ field: fc.string(), value: fc.string(), traces: fc.array(fc.nat({ max: 3 }), { maxLength: 4 }) }), { maxLength: 4 }),
});
const block: fc.Arbitrary<TraceIndexEntry> = fc.record({
  kind: fc.constant('block' as const),
  ...place,
  traces: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  segments: fc.nat({ max: 2 ** 31 - 1 }),
  minDurationNanos: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  maxDurationNanos: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  minStartUnixNano: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
  maxStartUnixNano: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
  bloom: fc.record({ bits: fc.uint8Array({ minLength: 1, maxLength: 64 }), hashes: fc.integer({ min: 1, max: 32 }) }),
});

describe('otlp.index trace records', () => {
  it('round-trip through Avro, segments and blocks alike', () => {
    fc.assert(
      fc.property(fc.oneof(segment, block), (e) => {
        expect(roundTrip(e)).toEqual(e);
      }),
    );
  });

  // Truncation is how a record gets damaged in practice (our own topology writes the topic). Arbitrary bytes are not
  // tried: avsc trusts an array's block count, so a forged count of 2^60 loops for as long as it says.
  it('refuse a truncated record with an error', () => {
    fc.assert(
      fc.property(fc.oneof(segment, block), fc.double({ min: 0, max: 1, maxExcluded: true }), (e, cut) => {
        const bytes = type.toBuffer(indexEntryToAvro(e));
        expect(() => type.fromBuffer(bytes.subarray(0, Math.floor(bytes.length * cut)))).toThrow();
      }),
    );
  });

  it('keys name tenant, block, partition and entry, and parse back', () => {
    fc.assert(
      fc.property(tenant, fc.integer({ min: 0, max: 2 ** 45 }), fc.nat({ max: 1000 }), fc.nat({ max: 1e6 }), (t, start, p, seq) => {
        expect(parseIndexKey(segmentKey(t, start, p, seq))).toEqual({ signal: 'traces', tenant: t, blockStart: start, partition: p, entry: seq });
        expect(parseIndexKey(blockKey(t, start, p))).toEqual({ signal: 'traces', tenant: t, blockStart: start, partition: p, entry: 'block' });
      }),
    );
    expect(() => parseIndexKey('traces/a/x/0/1')).toThrow(/block start is not an integer/);
    expect(() => parseIndexKey('logs/a/0/0/1')).toThrow(/signal "logs"/);
    expect(() => parseIndexKey('traces/a/0/0')).toThrow(/expected traces\//);
  });
});

describe('otlp.traces records', () => {
  it('values round-trip span for span', () => {
    fc.assert(
      fc.property(spans, (s) => {
        expect(decodeTraceValue(encodeTraceValue(s))).toEqual(decodeTraces(encodeTraces(s)));
      }),
    );
  });

  it('hostile values get an error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        try {
          decodeTraceValue(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
      }),
    );
  });

  it('keys carry the fragment', () => {
    expect(traceRecordKey('acme/ab', 0)).toBe('acme/ab');
    expect(parseTraceRecordKey(traceRecordKey('acme/ab', 3))).toEqual({ traceKey: 'acme/ab', fragment: 3 });
    expect(parseTraceRecordKey('ab')).toEqual({ traceKey: 'ab', fragment: 0 });
    expect(() => parseTraceRecordKey('ab#0')).toThrow(/positive integer/);
  });
});
