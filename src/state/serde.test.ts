import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeWindowKey, encodeWindowKey, float64Serde, jsonSerde, stringSerde, uvarintLength, uvarintSerde } from './serde.ts';

describe('serdes', () => {
  it('round-trips strings, doubles and JSON', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      expect(stringSerde.deserialize(stringSerde.serialize(s))).toBe(s);
    }));
    fc.assert(fc.property(fc.double(), (x) => {
      expect(float64Serde.deserialize(float64Serde.serialize(x))).toBe(x);
    }));
    const json = jsonSerde<{ a: number[] }>();
    expect(json.deserialize(json.serialize({ a: [1, 2] }))).toEqual({ a: [1, 2] });
  });

  it('encodes uvarints in as few bytes as LEB128 allows', () => {
    expect([...uvarintSerde.serialize(0)]).toEqual([0]);
    expect([...uvarintSerde.serialize(127)]).toEqual([127]);
    expect([...uvarintSerde.serialize(128)]).toEqual([0x80, 1]);
    expect(uvarintLength(Number.MAX_SAFE_INTEGER)).toBe(8);
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        const bytes = uvarintSerde.serialize(n);
        expect(bytes.length).toBe(uvarintLength(n));
        expect(uvarintSerde.deserialize(bytes)).toBe(n);
      }),
    );
    expect(() => uvarintSerde.serialize(-1)).toThrow(RangeError);
    expect(() => uvarintSerde.deserialize(new Uint8Array([0x80]))).toThrow(/truncated/);
  });

  it('encodes a window key as key bytes plus an 8-byte big-endian start', () => {
    const bytes = encodeWindowKey('ab', 1);
    expect([...bytes]).toEqual([0x61, 0x62, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect([...encodeWindowKey('', -1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    fc.assert(
      fc.property(fc.string(), fc.maxSafeInteger(), (key, start) => {
        expect(decodeWindowKey(encodeWindowKey(key, start))).toEqual({ key, start });
      }),
    );
  });

  it('decodes keys from a slice of a larger buffer', () => {
    const encoded = encodeWindowKey('series-1', 1_700_000_000_000);
    const padded = new Uint8Array(encoded.length + 4);
    padded.set(encoded, 2);
    expect(decodeWindowKey(padded.subarray(2, 2 + encoded.length))).toEqual({ key: 'series-1', start: 1_700_000_000_000 });
  });
});
