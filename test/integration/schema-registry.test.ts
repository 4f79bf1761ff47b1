// Our Avro codec (src/kafka/avro.ts) against the running registry: what it frames, the registry's own client reads;
// records written with an older version of a schema read as the newer one; an incompatible change is refused with
// the subject named; a record of an id the codec never loaded is refused, not misread.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { AvroCodec, type AvroSchema } from '../../src/kafka/avro.ts';
import { stackSettings, unique } from '../helpers/stack.ts';

const config = () => resolveConfig([envLayer(stackSettings())]);

function schema(name: string, fields: object[]): AvroSchema {
  return { type: 'record', name, namespace: 'otlp_streams.test', fields };
}

describe('Avro codec with the schema registry', () => {
  it('frames records the registry client reads, and reads older versions of the schema', async () => {
    const topic = unique('avro');
    const name = unique('Window').replace('-', '_');
    const v1 = new AvroCodec<{ series: string; sum: number }>(topic, schema(name, [{ name: 'series', type: 'string' }, { name: 'sum', type: 'double' }]));
    await v1.prepare(config());
    const old = v1.encode({ series: 'cpu{host=a}', sum: 12.5 });
    expect(old[0]).toBe(0);
    expect(old.readInt32BE(1)).toBe(v1.schemaId);
    const registry = new SchemaRegistry({ host: stackSettings().SCHEMA_REGISTRY_URL });
    expect(await registry.decode(old)).toEqual({ series: 'cpu{host=a}', sum: 12.5 });

    // v2 adds a field with a default (a compatible change): it reads v1 records, and the registry reads v2's.
    const v2 = new AvroCodec<{ series: string; sum: number; count: number }>(
      topic,
      schema(name, [{ name: 'series', type: 'string' }, { name: 'sum', type: 'double' }, { name: 'count', type: 'long', default: 0 }]),
    );
    await v2.prepare(config());
    expect(v2.schemaId).not.toBe(v1.schemaId);
    expect(v2.decode(old)).toEqual({ series: 'cpu{host=a}', sum: 12.5, count: 0 });
    const fresh = v2.encode({ series: 'cpu{host=b}', sum: 1, count: 2 });
    expect(await registry.decode(fresh)).toEqual({ series: 'cpu{host=b}', sum: 1, count: 2 });
    // v1 started before v2 existed: it does not guess at an id it never loaded.
    expect(() => v1.decode(fresh)).toThrow(/schema id \d+ is not a version of .* known when this worker started/);

    // Dropping a field without a default is refused by the registry, and the error names the subject.
    const breaking = new AvroCodec(topic, schema(name, [{ name: 'series', type: 'string' }, { name: 'total', type: 'double' }]));
    await expect(breaking.prepare(config())).rejects.toThrow(new RegExp(`schema registry, subject ${topic}-value`));
  });

  it('registers a new subject from several workers at once (they start together), every one with the same id', async () => {
    // Before the subject's compatibility was set first, 2 of 30 such registrations failed against Apicurio.
    for (let round = 0; round < 5; round++) {
      const topic = unique('avro-race');
      const name = unique('Race').replace('-', '_');
      const codecs = [1, 2, 3].map(() => new AvroCodec(topic, schema(name, [{ name: 'series', type: 'string' }])));
      await Promise.all(codecs.map((c) => c.prepare(config())));
      expect(new Set(codecs.map((c) => c.schemaId)).size).toBe(1);
    }
  });

  it('refuses a value that does not fit its schema, naming the field', async () => {
    const codec = new AvroCodec<{ series: string; sum: number }>(unique('avro'), schema(unique('Point').replace('-', '_'), [{ name: 'series', type: 'string' }, { name: 'sum', type: 'double' }]));
    await codec.prepare(config());
    expect(() => codec.encode({ series: 'x', sum: 'many' as unknown as number })).toThrow(/does not fit .* at sum/);
    expect(() => codec.decode(Buffer.from('{"json": true}'))).toThrow(/not a schema-registry framed record/);
  });
});
