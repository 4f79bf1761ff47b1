import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { compress, uncompress } from 'snappyjs';
import { encodeWriteRequest, type TimeSeries } from './remoteWrite.ts';

// The remote-write 1.0 messages, written out from the protocol's field numbers, as an independent decoder.
const root = protobuf.parse(`
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
`).root;
const WriteRequest = root.lookupType('prometheus.WriteRequest');

const timeSeries = fc.record({
  labels: fc.array(fc.record({ name: fc.string({ minLength: 1 }), value: fc.string() }), { maxLength: 5 }),
  samples: fc.array(fc.record({ value: fc.double({ noNaN: true }), timestamp: fc.integer({ min: 0, max: 2 ** 50 }) }), { maxLength: 5 }),
});

describe('encodeWriteRequest', () => {
  it('decodes with an independent protobuf decoder to the same series', () => {
    fc.assert(
      fc.property(fc.array(timeSeries, { maxLength: 6 }), (series: TimeSeries[]) => {
        const decoded = WriteRequest.toObject(WriteRequest.decode(encodeWriteRequest(series)), { longs: Number, defaults: true }) as { timeseries: TimeSeries[] };
        expect(decoded.timeseries).toEqual(series);
      }),
    );
  });

  it('survives a snappy round trip', () => {
    const bytes = encodeWriteRequest([{ labels: [{ name: '__name__', value: 'up' }], samples: [{ value: 1, timestamp: 1_700_000_000_000 }] }]);
    expect(uncompress(compress(bytes))).toEqual(bytes);
  });
});
