// The attribute set cache (attributeSets.ts) and the series id cache on top of it (decodeMetricPointsWithIds):
// cached decoding gives exactly what plain decoding gives, points never share attribute objects, and every cached
// series id is the one seriesId computes for the decoded point — cold, warm, across generations, on odd wire layouts
// and on damaged input.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { resetAttributeSets } from './attributeSets.ts';
import { decodeMetrics } from './decodeMetrics.ts';
import { encodeMetrics } from './encodeMetrics.ts';
import type { Attribute, MetricPoint, NumberPoint } from './model.ts';
import { ProtoWriter } from './protoWriter.ts';
import { decodeMetricPointsWithIds, resetSeriesIds, seriesId } from './seriesId.ts';
import { metricPoints } from './testing/arbitraries.ts';

afterEach(() => {
  resetAttributeSets();
  resetSeriesIds();
});

// A small pool, so attribute sets repeat within and across requests; it has every value type, keys out of order,
// a duplicate key, non-ASCII and lone surrogates (encoded as U+FFFD), big ints, NaN, -0 and empty values.
const pool: Attribute[] = [
  { key: 'cpu', type: 'string', value: '0' },
  { key: 'cpu', type: 'string', value: '1' },
  { key: 'state', type: 'string', value: 'user' },
  { key: 'b', type: 'int', value: 200 },
  { key: 'a', type: 'int', value: -(2n ** 63n) },
  { key: 'ä', type: 'double', value: Number.NaN },
  { key: 'z', type: 'double', value: -0 },
  { key: '\u{1F600}', type: 'bool', value: true },
  { key: '\uFFFF', type: 'bool', value: false },
  { key: 'lone\uD800', type: 'string', value: 'x\uDC00' },
  { key: '', type: 'empty', value: null },
  { key: 'bytes', type: 'bytes', value: new Uint8Array([1, 2, 3]) },
  { key: 'list', type: 'array', value: [{ type: 'string', value: 'v' }] },
  { key: 'map', type: 'kvlist', value: [{ key: 'k', type: 'int', value: 1 }] },
];
const pooledAttributes = fc.array(fc.constantFrom(...pool), { maxLength: 4 });

// metricPoints with pooled attributes; sets of attributes are shared between points, so they repeat on the wire.
const pooledPoints = fc
  .tuple(metricPoints, fc.array(pooledAttributes, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { minLength: 12, maxLength: 12 }))
  .map(([points, sets, picks]) => points.map((p, i) => ({ ...p, attributes: sets[picks[i % picks.length] % sets.length] }) as MetricPoint));

function plainDecode(bytes: Uint8Array): { points: MetricPoint[]; ids: string[] } {
  const points = decodeMetrics(bytes);
  return { points, ids: points.map(seriesId) };
}

function expectSameAsPlain(bytes: Uint8Array): void {
  const cached = decodeMetricPointsWithIds(bytes);
  const plain = plainDecode(bytes);
  expect(cached.points).toEqual(plain.points);
  expect(cached.seriesIds).toEqual(plain.ids);
}

describe('cached attribute sets and series ids', () => {
  it('give what plain decoding and seriesId give, cold and warm', () => {
    fc.assert(
      fc.property(pooledPoints, (points) => {
        const bytes = encodeMetrics(points);
        expectSameAsPlain(bytes); // cold or partly warm
        expectSameAsPlain(bytes); // warm
        expect(decodeMetricPointsWithIds(bytes).seriesIds).toEqual(points.map(seriesId));
      }),
      { numRuns: 300 },
    );
  });

  it('give the same across many generations of tiny caches', () => {
    for (const [maxSets, maxBytes, maxIds] of [[1, 1 << 20, 1], [2, 40, 3], [3, 1 << 20, 2]]) {
      resetAttributeSets({ maxSets, maxBytes });
      resetSeriesIds(maxIds);
      fc.assert(
        fc.property(pooledPoints, (points) => {
          const bytes = encodeMetrics(points);
          expectSameAsPlain(bytes);
          expectSameAsPlain(bytes);
        }),
        { numRuns: 150 },
      );
    }
  });

  it('points own their attributes: changing one changes no other point and not the cache', () => {
    const decode = (points: MetricPoint[]) => decodeMetricPointsWithIds(encodeMetrics(points)).points;
    const points = decode(gauges([[pool[0], pool[2]], [pool[0], pool[2]]]));
    const again = decode(gauges([[pool[0], pool[2]]]));
    expect(points[0].attributes).not.toBe(points[1].attributes);
    expect(points[0].attributes[0]).not.toBe(points[1].attributes[0]);
    expect(again[0].attributes[0]).not.toBe(points[0].attributes[0]);
    (points[0].attributes[0] as { value: string }).value = 'changed';
    points[0].attributes.push(pool[3]);
    expect(points[1].attributes).toEqual([pool[0], pool[2]]);
    expect(decode(gauges([[pool[0], pool[2]]]))[0].attributes).toEqual([pool[0], pool[2]]);
  });

  it('points that share attribute bytes but not the metric or resource get their own series ids', () => {
    const base = gauges([[pool[0]]])[0];
    const otherResource = { ...base.resource, attributes: [pool[2]] };
    const points: MetricPoint[] = [
      base,
      { ...base, metric: { ...base.metric, name: 'other' } },
      { ...base, metric: { ...base.metric, unit: 'By' } },
      { ...base, metric: { ...base.metric, type: 'sum', aggregationTemporality: 2 } } as MetricPoint,
      { ...base, resource: otherResource },
    ];
    const { seriesIds } = decodeMetricPointsWithIds(encodeMetrics(points));
    expect(new Set(seriesIds).size).toBe(points.length);
    expect(seriesIds).toEqual(points.map(seriesId));
  });
});

describe('odd wire layouts take the plain path', () => {
  const kv = (key: Buffer | string, value: Buffer | string): Buffer => {
    const any = new ProtoWriter(64);
    any.tag(1, 2);
    any.bytes(Buffer.from(value));
    const w = new ProtoWriter(64);
    w.tag(1, 2);
    w.bytes(Buffer.from(key));
    w.tag(2, 2);
    w.bytes(any.finish());
    return w.finish();
  };
  const field = (tag: number[], body: Buffer): Buffer => {
    const w = new ProtoWriter(64);
    w.uint32(body.length);
    return Buffer.concat([Buffer.from(tag), w.finish(), body]);
  };
  // NumberDataPoint fields in wire order, then the request around one gauge of them.
  const request = (...points: Buffer[][]): Buffer => {
    const gauge = Buffer.concat(points.map((p) => field([0x0a], Buffer.concat(p))));
    const metric = Buffer.concat([field([0x0a], Buffer.from('m')), field([0x2a], gauge)]);
    const resource = field([0x0a], field([0x0a], kv('service.name', 'cart')));
    return field([0x0a], Buffer.concat([resource, field([0x12], field([0x12], metric))]));
  };
  const attr = (key: Buffer | string, value: Buffer | string): Buffer => field([0x3a], kv(key, value));
  const time = Buffer.from([0x19, 1, 0, 0, 0, 0, 0, 0, 0]);
  const invalid = Buffer.from([0x61, 0xff, 0xc3]); // "a", a stray byte, a truncated sequence

  it('attributes in two runs, non-minimal tags, invalid UTF-8, unsorted and duplicate keys', () => {
    const nonMinimalTag = Buffer.concat([Buffer.from([0xba, 0x00]), attr('k', 'v').subarray(1)]);
    const points = [
      [attr('b', '1'), attr('a', '2')],
      [attr('b', '1'), time, attr('a', '2')],
      [attr('a', '2'), attr('a', '3')],
      [attr('a', '3'), attr('a', '2')],
      [nonMinimalTag],
      [attr('k', 'v')],
      [attr(invalid, invalid)],
      [attr(Buffer.from('a\uFFFD\uFFFD'), Buffer.from('a\uFFFD\uFFFD'))],
      [time],
      [attr('a', '2')], // the second run of points[1] alone
      [attr('b', '1')], // its first run alone
    ];
    const bytes = request(...points, ...points);
    for (let i = 0; i < 3; i++) expectSameAsPlain(bytes);
    const { points: decoded, seriesIds } = decodeMetricPointsWithIds(bytes);
    expect(seriesIds[0]).toBe(seriesIds[1]);
    expect(new Set([seriesIds[1], seriesIds[9], seriesIds[10]]).size).toBe(3);
    expect(seriesIds[2]).not.toBe(seriesIds[3]); // duplicate keys keep their order
    expect(seriesIds[4]).toBe(seriesIds[5]);
    expect(decoded[6].attributes).toEqual(decoded[7].attributes);
    expect(seriesIds[6]).toBe(seriesIds[7]); // series ids are of decoded strings, as before
  });

  it('damaged requests fail or decode exactly as without the cache', () => {
    const valid = pooledPoints.map((p) => encodeMetrics(p));
    const damaged = valid.chain((bytes) =>
      fc.array(fc.tuple(fc.nat({ max: Math.max(0, bytes.length - 1) }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }).map((edits) => {
        const copy = Buffer.from(bytes);
        for (const [i, v] of edits) if (i < copy.length) copy[i] = v;
        return [bytes, copy] as const;
      }),
    );
    const outcome = (f: () => unknown): unknown => {
      try {
        return f();
      } catch (err) {
        return err;
      }
    };
    fc.assert(
      fc.property(damaged, ([bytes, copy]) => {
        decodeMetricPointsWithIds(bytes); // warms the cache with the undamaged runs
        const warm = outcome(() => decodeMetricPointsWithIds(copy));
        resetAttributeSets({ maxSets: 0 });
        const plain = outcome(() => {
          const points = decodeMetrics(copy);
          return { points, seriesIds: points.map(seriesId) };
        });
        resetAttributeSets();
        expect(warm).toEqual(plain);
        if (plain instanceof Error) expect(String(warm)).toBe(String(plain));
      }),
      { numRuns: 500 },
    );
  });
});

function gauges(attributeSets: Attribute[][]): NumberPoint[] {
  const resource = { attributes: [{ key: 'service.name', type: 'string', value: 'cart' } as Attribute], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
  const scope = { name: 's', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
  const metric = { name: 'g', description: '', unit: '1', type: 'gauge' as const, aggregationTemporality: 0, isMonotonic: false, metadata: [] };
  return attributeSets.map((attributes) => ({
    type: 'gauge', resource, scope, metric, attributes, startTimeMs: 0, startTimeNanos: 0, timeMs: 1, timeNanos: 0, flags: 0, valueType: 'double', value: 1, exemplars: [],
  }));
}
