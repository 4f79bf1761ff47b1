// Fixed test vectors: collector resource keys, Kafka's murmur2, the collector's sarama_compat, series ids, timestamps.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Attribute, MetricPoint, Resource } from './model.ts';
import { fnv1a32, murmur2, murmur2Hash, sarama_compat, partitioners } from './partitioners.ts';
import { canonicalAttributes, resourceKey } from './resourceKey.ts';
import { canonicalSeries, seriesId } from './seriesId.ts';
import { hiOf, loOf, msOf, nanosOf, nanosToBigInt, nanosToString, splitNanos } from './time.ts';

const cart: Attribute[] = [
  { key: 'service.name', type: 'string', value: 'cart' },
  { key: 'host.name', type: 'string', value: 'node-d' },
];

describe('resource key (collector partition_*_by_resource_attributes)', () => {
  it('matches the COLLECTOR-KAFKA.md vector', () => {
    expect(canonicalAttributes(cart).toString('hex')).toBe('f4686f73742e6e616d65f76e6f64652d64f4736572766963652e6e616d65f763617274');
    expect(resourceKey(cart).toString('hex')).toBe('4fccdc0bd25068baa0668d7d8011bc5f');
  });

  it('is 16 zero bytes without attributes', () => {
    expect(resourceKey([]).toString('hex')).toBe('0'.repeat(32));
  });

  it('encodes every value kind as specified', () => {
    const attrs: Attribute[] = [
      { key: 'b', type: 'bool', value: true },
      { key: 'a', type: 'int', value: -2 },
      { key: 'c', type: 'kvlist', value: [{ key: 'y', type: 'empty', value: null }, { key: 'x', type: 'bool', value: false }] },
      { key: 'd', type: 'array', value: [{ type: 'double', value: 1 }, { type: 'bytes', value: new Uint8Array([1, 2]) }] },
    ];
    expect(canonicalAttributes(attrs).toString('hex')).toBe(
      'f461' + 'fa' + 'feffffffffffffff' + 'f462f8' + 'f463fc' + 'f478f9' + 'f479f5' + 'fd' + 'f464fe' + 'fb000000000000f03f' + 'f60102' + 'ff',
    );
  });
});

describe('murmur2 (Kafka UtilsTest.testMurmur2 vectors)', () => {
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('%s -> %i', (input, expected) => {
    expect(murmur2Hash(Buffer.from(input))).toBe(expected);
  });

  it('partitions the resource-key vector to 0 of 6', () => {
    expect(murmur2.partition(resourceKey(cart), 6)).toBe(0);
  });
});

describe('sarama_compat (collector default hasher)', () => {
  it('hashes the resource-key vector to 0x528d9639, partition 1 of 6', () => {
    const key = resourceKey(cart);
    expect(fnv1a32(key)).toBe(0x528d9639);
    expect(sarama_compat.partition(key, 6)).toBe(1);
  });

  it('negates negative int32 remainders', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        const h = fnv1a32(key) | 0;
        expect(sarama_compat.partition(key, n)).toBe(Math.abs(h % n));
      }),
    );
  });
});

describe('kafkajs createPartitioner', () => {
  const partitionMetadata = [0, 1, 2, 3, 4, 5].map((partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
  for (const p of Object.values(partitioners)) {
    it(`${p.name}: keeps explicit partitions, hashes keys, spreads null keys`, () => {
      const choose = p.createPartitioner();
      const key = resourceKey(cart);
      expect(choose({ topic: 't', partitionMetadata, message: { key, value: 'v' } })).toBe(p.partition(key, 6));
      expect(choose({ topic: 't', partitionMetadata, message: { key: 'abc', value: 'v' } })).toBe(p.partition(Buffer.from('abc'), 6));
      expect(choose({ topic: 't', partitionMetadata, message: { key, value: 'v', partition: 4 } })).toBe(4);
      const spread = new Set([0, 1, 2, 3, 4, 5].map(() => choose({ topic: 't', partitionMetadata, message: { key: null, value: 'v' } })));
      expect(spread.size).toBe(6);
    });
  }
});

describe('series id', () => {
  const resource: Resource = { attributes: cart, droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
  const point = (attributes: Attribute[]): MetricPoint =>
    ({
      type: 'sum', resource, metric: { name: 'http.server.requests', description: '', unit: '{request}', type: 'sum', aggregationTemporality: 2, isMonotonic: true, metadata: [] },
      attributes,
    }) as unknown as MetricPoint;
  const get: Attribute = { key: 'http.method', type: 'string', value: 'GET' };
  const code: Attribute = { key: 'code', type: 'int', value: 200 };

  it('pins the canonical encoding and the id', () => {
    expect(canonicalSeries(point([get, code])).toString('hex')).toBe(
      '01' + '14' + Buffer.from('http.server.requests').toString('hex') + '02' + '09' + Buffer.from('{request}').toString('hex') +
        '23' + 'f4686f73742e6e616d65f76e6f64652d64f4736572766963652e6e616d65f763617274' +
        '1e' + 'f4636f6465fac800000000000000' + 'f4687474702e6d6574686f64f7474554',
    );
    expect(seriesId(point([get, code]))).toBe('2afa8a5f8d72c227cb186f3c1c9eb91b');
  });

  it('does not depend on attribute order, and differs when a value does', () => {
    expect(seriesId(point([code, get]))).toBe(seriesId(point([get, code])));
    expect(seriesId(point([get, { ...code, value: 201 } as Attribute]))).not.toBe(seriesId(point([get, code])));
  });
});

describe('timestamps as (ms, nanos)', () => {
  it('split and join any uint64 exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (n) => {
        const lo = Number(n & 0xffffffffn);
        const hi = Number(n >> 32n);
        const ms = msOf(lo, hi);
        const nanos = nanosOf(lo, hi);
        expect(nanosToBigInt(ms, nanos)).toBe(n);
        expect([loOf(ms, nanos), hiOf(ms, nanos)]).toEqual([lo, hi]);
        expect(nanosToString(ms, nanos)).toBe(n.toString());
        expect(splitNanos(n.toString())).toEqual([ms, nanos]);
      }),
      { numRuns: 2000 },
    );
  });
});
