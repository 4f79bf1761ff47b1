// @kafkajs/confluent-schema-registry against the running registry (Confluent API).
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { stackSettings, unique } from '../helpers/stack.ts';

describe('schema registry', () => {
  it('registers an Avro schema, encodes with magic byte and id, and decodes', async () => {
    const registry = new SchemaRegistry({ host: stackSettings().SCHEMA_REGISTRY_URL });
    const name = unique('Point').replace('-', '_');
    const schema = JSON.stringify({
      type: 'record',
      name,
      namespace: 'otlp.streams.test',
      fields: [
        { name: 'series', type: 'string' },
        { name: 'windowStart', type: 'long' },
        { name: 'sum', type: 'double' },
      ],
    });
    const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject: `${name}-value` });
    expect(id).toBeGreaterThan(0);
    const payload = { series: 'cpu{host=a}', windowStart: 1_700_000_040_000, sum: 12.5 };
    const encoded = await registry.encode(id, payload);
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await registry.decode(encoded)).toEqual(payload);
    // A fresh client (empty cache) finds the schema by id in the registry.
    const other = new SchemaRegistry({ host: stackSettings().SCHEMA_REGISTRY_URL });
    expect(await other.decode(encoded)).toEqual(payload);
    expect(await other.getLatestSchemaId(`${name}-value`)).toBe(id);
  });
});
