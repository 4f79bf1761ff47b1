import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chunkInfo, decodeChunk, encodeChunk, ChunkError, MAX_ABS_TIMESTAMP, type ValueEncoding } from './index.ts';

const T0 = 1_750_000_000_000;

/** A float64 from its two 32-bit halves: every bit pattern, NaN payloads included. */
const anyBits = fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })).map(([hi, lo]) => fromWords(hi, lo));
const special = fc.constantFrom(
  NaN, -NaN, Infinity, -Infinity, 0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308, 2.225073858507201e-308,
  Number.MAX_VALUE, -Number.MAX_VALUE, Number.EPSILON, 1e300, -1e-300, 2 ** 53, 2 ** 49, -(2 ** 49), 0.1, 0.3,
  fromWords(0x7ff80000, 1), fromWords(0xfff00000, 0xdeadbeef), fromWords(0x7ff00000, 1), fromWords(0x00000000, 0x00000001),
);
const decimal = fc.tuple(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.integer({ min: 0, max: 6 })).map(([m, k]) => m / 10 ** k);
/** Decimals whose mantissa stays below 2^49 at any common scale up to 10^6. */
const smallDecimal = fc.tuple(fc.integer({ min: -100_000_000, max: 100_000_000 }), fc.integer({ min: 0, max: 6 })).map(([m, k]) => m / 10 ** k);
const anyValue = fc.oneof({ arbitrary: anyBits, weight: 3 }, { arbitrary: special, weight: 2 }, { arbitrary: decimal, weight: 2 }, { arbitrary: fc.double(), weight: 2 });

/** Series shapes: random, decimals, counters, constants, and each with adversarial values mixed in. */
const valueSeries = (n: number): fc.Arbitrary<number[]> =>
  fc.oneof(
    fc.array(anyValue, { minLength: n, maxLength: n }),
    fc.array(decimal, { minLength: n, maxLength: n }),
    fc.tuple(decimal, fc.array(fc.integer({ min: -500, max: 500 }), { minLength: n, maxLength: n }), fc.integer({ min: 0, max: 3 })).map(([start, steps, k]) => {
      let m = Math.round(start * 10 ** k);
      return steps.map((s) => (m += s) / 10 ** k);
    }),
    fc.tuple(fc.nat(), fc.array(fc.nat({ max: 1000 }), { minLength: n, maxLength: n })).map(([start, incs]) => {
      let c = start;
      return incs.map((d) => (c += d));
    }),
    anyValue.map((v) => Array.from({ length: n }, () => v)),
    fc.tuple(fc.array(decimal, { minLength: n, maxLength: n }), fc.array(fc.tuple(fc.nat(), special), { maxLength: 4 })).map(([vs, spikes]) => {
      for (const [at, v] of spikes) if (n > 0) vs[at % n] = v;
      return vs;
    }),
  );

/** Timestamps: regular, jittered, duplicated, decreasing, and arbitrary within the accepted range. */
const timestampSeries = (n: number): fc.Arbitrary<number[]> =>
  fc.oneof(
    fc.tuple(fc.integer({ min: -MAX_ABS_TIMESTAMP, max: MAX_ABS_TIMESTAMP - 1e9 }), fc.integer({ min: 0, max: 100_000 })).map(([t0, step]) => Array.from({ length: n }, (_, i) => t0 + i * step)),
    fc.array(fc.integer({ min: -100, max: 15_100 }), { minLength: n, maxLength: n }).map((steps) => {
      let t = T0;
      return steps.map((s) => (t += s));
    }),
    fc.array(fc.constantFrom(0, 15_000, 15_000, 15_000, -15_000, 30_000, 1, 3_600_000), { minLength: n, maxLength: n }).map((steps) => {
      let t = T0;
      return steps.map((s) => (t += s * 1000 === 0 ? 0 : s));
    }),
    fc.array(fc.integer({ min: -MAX_ABS_TIMESTAMP, max: MAX_ABS_TIMESTAMP }), { minLength: n, maxLength: n }),
    fc.array(fc.integer({ min: -MAX_ABS_TIMESTAMP, max: MAX_ABS_TIMESTAMP }).map((t) => t - (t % 1000)), { minLength: n, maxLength: n }),
  );

const chunkPoints = fc
  .integer({ min: 0, max: 300 })
  .chain((n) => fc.record({ timestamps: timestampSeries(n), values: valueSeries(n).map((vs) => Float64Array.from(vs)) }));

function fromWords(hi: number, lo: number): number {
  const w = new Uint32Array([lo, hi]);
  return new Float64Array(w.buffer)[0];
}

/** Bit patterns of the values, for comparisons that tell NaN payloads and -0 apart. */
const bitsOf = (values: Float64Array): bigint[] => [...new BigUint64Array(values.buffer, values.byteOffset, values.length)];

function expectRoundTrip(points: { timestamps: number[]; values: Float64Array }, valueEncoding?: ValueEncoding): Uint8Array {
  const bytes = encodeChunk(points, { valueEncoding });
  const decoded = decodeChunk(bytes);
  expect([...decoded.timestamps]).toEqual(points.timestamps);
  expect(bitsOf(decoded.values)).toEqual(bitsOf(points.values));
  if (valueEncoding && points.values.length > 0) expect(decoded.info.valueEncoding).toBe(valueEncoding);
  return bytes;
}

describe('encodeChunk / decodeChunk', () => {
  it('round-trips random and adversarial series bit-exactly with the encoding it picks', () => {
    fc.assert(fc.property(chunkPoints, (points) => void expectRoundTrip(points)), { numRuns: 400 });
  });

  it('round-trips any series bit-exactly with XOR and with split, whatever the values', () => {
    fc.assert(
      fc.property(chunkPoints, (points) => {
        expectRoundTrip(points, 'xor');
        expectRoundTrip(points, 'split');
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips decimal series with the decimal encoding', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }).chain((n) => fc.record({ timestamps: timestampSeries(n), values: fc.array(smallDecimal, { minLength: n, maxLength: n }).map((v) => Float64Array.from(v)) })),
        (points) => void expectRoundTrip(points, 'decimal'),
      ),
    );
  });

  it('round-trips with body compression', () => {
    fc.assert(
      fc.property(chunkPoints, (points) => {
        const bytes = encodeChunk(points, { compression: 'auto' });
        const decoded = decodeChunk(bytes);
        expect([...decoded.timestamps]).toEqual(points.timestamps);
        expect(bitsOf(decoded.values)).toEqual(bitsOf(points.values));
      }),
      { numRuns: 50 },
    );
    const periodic = Float64Array.from({ length: 480 }, (_, i) => [0.123456789, 987.654321012, 1e-7, 42.4242424242][i % 4]);
    const bytes = encodeChunk({ timestamps: Array.from({ length: 480 }, (_, i) => T0 + i * 15_000), values: periodic }, { compression: 'auto' });
    expect(chunkInfo(bytes).compression).not.toBe('none');
    expect(bitsOf(decodeChunk(bytes).values)).toEqual(bitsOf(periodic));
  });

  it('handles the empty chunk and a single point', () => {
    const empty = expectRoundTrip({ timestamps: [], values: new Float64Array(0) });
    expect(chunkInfo(empty)).toMatchObject({ count: 0, minTime: 0, maxTime: 0 });
    for (const v of [NaN, -0, Infinity, fromWords(0x7ff00000, 5), 3.14, Number.MIN_VALUE]) {
      const one = expectRoundTrip({ timestamps: [T0 + 7], values: Float64Array.of(v) });
      expect(chunkInfo(one)).toMatchObject({ count: 1, minTime: T0 + 7, maxTime: T0 + 7 });
    }
  });

  it('reads format-1 chunks (written before irregular timestamps had a variant bit)', () => {
    const timestamps = [1750000000000, 1750000015003, 1750000015003, 1750000029990, 1749999999000, 1750000045000];
    const v1 = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
    const xor = decodeChunk(
      v1('c10506b0e086c2ee65b0e702e807e07536e07535e07516e16731e2597c3ff4000000000000c1320078067fff00dc00f0bbf8ef90f22001d67be2be43c8800759c0edcfae67'),
    );
    expect(xor.info).toMatchObject({ version: 1, timestampEncoding: 'dod' });
    expect([...xor.timestamps]).toEqual(timestamps);
    expect(bitsOf(xor.values)).toEqual(bitsOf(Float64Array.of(1.25, NaN, -0, 3.5, 1e300, 7)));
    const decimal = decodeChunk(v1('c10606b0e086c2ee65b0e702e807e07536e07535e07516e16731e2597c023e8040851f27caec0057602178ff7e'));
    expect(decimal.info.valueEncoding).toBe('decimal');
    expect([...decimal.timestamps]).toEqual(timestamps);
    expect([...decimal.values]).toEqual([1.25, 2.5, 2.5, 3.75, 0.01, 7]);
    expect(encodeChunk({ timestamps, values: decimal.values })[0]).toBe(0xc2);
  });

  it('decodes from a Buffer view at an offset (as Kafka hands values over)', () => {
    const points = { timestamps: [T0, T0 + 15_000, T0 + 29_999], values: Float64Array.of(1.5, NaN, -0) };
    const bytes = encodeChunk(points);
    const view = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(bytes)]).subarray(3);
    expect(view.byteOffset).toBeGreaterThan(0);
    expect(bitsOf(decodeChunk(view).values)).toEqual(bitsOf(points.values));
    expect(chunkInfo(view).count).toBe(3);
  });

  it('keeps duplicate, decreasing and far-apart timestamps in their order', () => {
    const timestamps = [T0, T0, T0 - 1, T0 + 15_000, T0 + 15_000, -MAX_ABS_TIMESTAMP, MAX_ABS_TIMESTAMP, 0, T0];
    const bytes = expectRoundTrip({ timestamps, values: Float64Array.from(timestamps, (_, i) => i) });
    expect(chunkInfo(bytes)).toMatchObject({ count: 9, minTime: -MAX_ABS_TIMESTAMP, maxTime: MAX_ABS_TIMESTAMP, timestampEncoding: 'dod' });
  });

  it('picks the encoding that fits the shape', () => {
    const n = 480;
    const timestamps = Array.from({ length: n }, (_, i) => T0 + i * 15_000);
    const pick = (values: Float64Array): ValueEncoding => chunkInfo(encodeChunk({ timestamps, values })).valueEncoding;
    expect(pick(new Float64Array(n).fill(0.25))).toBe('constant');
    expect(pick(Float64Array.from({ length: n }, (_, i) => (10_000 + ((i * 37) % 200)) / 100))).toBe('decimal');
    expect(pick(Float64Array.from({ length: n }, (_, i) => i * 1500))).toBe('decimal');
    expect(pick(Float64Array.from({ length: n }, (_, i) => Math.sin(i) / 3 + 0.5))).not.toBe('decimal');
    const info = chunkInfo(encodeChunk({ timestamps, values: new Float64Array(n).fill(1) }));
    expect(info).toMatchObject({ timestampEncoding: 'regular', timeUnitMs: 1000, count: n, minTime: T0, maxTime: T0 + (n - 1) * 15_000 });
  });

  it('rejects points it cannot store', () => {
    expect(() => encodeChunk({ timestamps: [1, 2], values: new Float64Array(1) })).toThrow(RangeError);
    expect(() => encodeChunk({ timestamps: [1.5], values: new Float64Array(1) })).toThrow(/timestamp 0 is 1.5/);
    expect(() => encodeChunk({ timestamps: [2 ** 51], values: new Float64Array(1) })).toThrow(/2\^50/);
    expect(() => encodeChunk({ timestamps: [1], values: Float64Array.of(0.1) }, { valueEncoding: 'constant' })).not.toThrow();
    expect(() => encodeChunk({ timestamps: [1, 2], values: Float64Array.of(0.1, 0.2) }, { valueEncoding: 'constant' })).toThrow(/not constant/);
  });
});

describe('damaged chunks', () => {
  const series = fc.integer({ min: 0, max: 120 }).chain((n) => fc.record({ timestamps: timestampSeries(n), values: valueSeries(n).map((v) => Float64Array.from(v)) }));

  it('fail their checksum when any bit is flipped', () => {
    fc.assert(
      fc.property(series, fc.nat(), (points, at) => {
        const bytes = encodeChunk(points);
        const bit = at % (bytes.length * 8);
        bytes[bit >> 3] ^= 1 << (bit & 7);
        expect(() => decodeChunk(bytes)).toThrow(/checksum mismatch/);
        try {
          decodeChunk(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(ChunkError);
          expect((err as ChunkError).reason).toBe('checksum');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fail with a clear error when truncated', () => {
    fc.assert(
      fc.property(series, fc.nat(), (points, at) => {
        const bytes = encodeChunk(points);
        const cut = bytes.subarray(0, at % bytes.length);
        expect(() => decodeChunk(cut)).toThrow(/checksum mismatch|shorter than the smallest chunk/);
      }),
      { numRuns: 200 },
    );
  });

  it('fail with a ChunkError, never a hang or a huge allocation, on garbage with a valid checksum', () => {
    const garbage = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 200 }),
      fc.tuple(fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 200 })).map(([flags, rest]) => Uint8Array.of(0xc0 | (1 + (flags & 1)), flags, ...rest)),
      fc.tuple(series, fc.nat(), fc.nat({ max: 255 })).map(([points, at, b]) => {
        const bytes = encodeChunk(points).slice(0, -4);
        if (bytes.length > 0) bytes[at % bytes.length] = b;
        return bytes;
      }),
    );
    fc.assert(
      fc.property(garbage, (body) => {
        const bytes = new Uint8Array(body.length + 4);
        bytes.set(body);
        new DataView(bytes.buffer).setUint32(body.length, crc32(body), true);
        try {
          const decoded = decodeChunk(bytes);
          expect(decoded.values.length).toBe(decoded.info.count);
        } catch (err) {
          expect(err).toBeInstanceOf(ChunkError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('name an unknown version, a foreign format and inconsistent contents', () => {
    const withCrc = (body: number[]): Uint8Array => {
      const bytes = new Uint8Array(body.length + 4);
      bytes.set(body);
      new DataView(bytes.buffer).setUint32(body.length, crc32(Uint8Array.from(body)), true);
      return bytes;
    };
    expect(() => decodeChunk(withCrc([0xc3, 0, 0]))).toThrow(/version 3 is not supported/);
    expect(() => decodeChunk(withCrc([0x1f, 0x8b, 0]))).toThrow(/not a chunk/);
    expect(() => decodeChunk(withCrc([0xc2, 0, 0x80, 0x80, 0x80, 0x80, 0x01]))).toThrow(/claims .* points/);
    expect(decodeChunk(withCrc([0xc2, 0, 1, 0, 0, 1])).values).toEqual(Float64Array.of(0));
    expect(() => decodeChunk(withCrc([0xc2, 0, 1, 0, 5, 1]))).toThrow(/equal steps/);
    expect(() => decodeChunk(withCrc([0xc2, 0, 1, 0, 0, 1, 0]))).toThrow(/bytes after its last point/);
  });
});
