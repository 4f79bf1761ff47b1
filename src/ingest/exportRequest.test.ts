// The per-request limits, without a broker: hostile requests and the answer each gets (400 naming the limit, 413 saying
// why), and that a refused request never held more than the limit.
import type { Kafka } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { Traffic } from '../gen/index.ts';
import type { Signal } from '../otlp/index.ts';
import {
  jsonEmptyObjects, jsonNestedResource, jsonTraces, manySmallResources, manyTracesLargeResource, metricsResourceNested, metricsResourceWithAttributes,
  tracesWithResource,
} from '../otlp/testing/hostile.ts';
import { createOtlpProducer, type OtlpProducer, type PreparedRequest } from '../producer/index.ts';
import { exportRequest, type ExportContext, type ExportOutcome } from './exportRequest.ts';
import { JsonConverter } from './jsonConverter.ts';
import { InflightLimiter, Reservation } from './limiter.ts';
import { createGatewayMetrics } from './metrics.ts';
import { defaultGatewayOptions, type GatewayOptions } from './options.ts';

// A producer that plans like the real one (same splitting and limits) and "sends" by building the records.
function plannedOnly(): OtlpProducer {
  const real = createOtlpProducer({ kafka: {} as Kafka, log: { debug() {}, info() {}, warn() {}, error() {} } as never });
  return {
    ...real,
    state: 'ready',
    plan: real.plan,
    async build(plan): Promise<PreparedRequest> {
      const records = plan.planned.map((p) => ({ topic: plan.topic, partition: 0, key: p.key, value: p.build() }));
      return { signal: plan.signal, topic: plan.topic, records, items: plan.items, rejected: plan.rejected, bytes: 0 };
    },
    async send() {},
  };
}

const json = new JsonConverter();
afterAll(() => json.close());

// Small limits, so hostile requests of a few hundred kilobytes pass them.
const options: GatewayOptions = {
  ...defaultGatewayOptions(),
  maxBodyBytes: 1 << 20,
  maxRequestRecordBytes: 4 << 20,
  maxInflightBytes: 64 << 20,
  maxAmplification: 32,
  maxRequestItems: 10_000,
  maxResourceAttributes: 256,
};

async function answer(signal: Signal, body: Buffer, opts: { format?: 'protobuf' | 'json'; limiter?: InflightLimiter; overrides?: Partial<GatewayOptions> } = {}) {
  const o = { ...options, ...opts.overrides };
  const limiter = opts.limiter ?? new InflightLimiter(o.maxInflightBytes);
  const ctx: ExportContext = { producer: plannedOnly(), metrics: createGatewayMetrics(() => 0), options: o, json };
  const reservation = new Reservation(limiter);
  const outcome: ExportOutcome = await exportRequest(ctx, { signal, format: opts.format ?? 'protobuf', body, tenant: undefined, reservation });
  const held = reservation.bytes;
  reservation.release();
  return { outcome, held };
}

describe('per-request limits', () => {
  const table: Array<{ name: string; signal: Signal; body: () => Buffer; format?: 'json'; kind: ExportOutcome['kind']; message: RegExp }> = [
    {
      name: 'many trace ids under a large resource (each record repeats the resource)',
      signal: 'traces', body: () => manyTracesLargeResource(2000, 8 << 10),
      kind: 'too_large', message: /more than \d+ bytes of Kafka records .* over 32 × the body's \d+ bytes \(maxAmplification\).*repeats its resource/,
    },
    {
      name: 'a resource of nearly a Kafka message repeated in every size piece of one trace',
      signal: 'traces', body: () => tracesWithResource({ resourceBytes: 1_040_000, spans: 4000, traces: 1, spanNameBytes: 40 }),
      kind: 'too_large', message: /per piece of a record over the Kafka message size/,
    },
    {
      name: 'many empty resources (a record each)',
      signal: 'metrics', body: () => manySmallResources(50_000),
      kind: 'too_large', message: /maxAmplification/,
    },
    {
      name: 'more spans than maxRequestItems',
      signal: 'traces', body: () => tracesWithResource({ resourceBytes: 10, spans: 10_001, traces: 3 }),
      kind: 'invalid', message: /more than 10000 spans.*\(maxRequestItems\)/,
    },
    {
      name: 'a resource with more attributes than maxResourceAttributes',
      signal: 'metrics', body: () => metricsResourceWithAttributes(257),
      kind: 'invalid', message: /resourceMetrics\[0\].*more than 256 attributes.*\(maxResourceAttributes\)/,
    },
    {
      name: 'attribute values nested deeper than 32 levels',
      signal: 'metrics', body: () => metricsResourceNested(40),
      kind: 'invalid', message: /nested deeper than 32 levels/,
    },
    {
      name: 'OTLP/JSON with more spans than maxRequestItems (refused before decoding)',
      signal: 'traces', format: 'json', body: () => jsonTraces(10_001),
      kind: 'invalid', message: /more than 10000 spans.*\(maxRequestItems\)/,
    },
    {
      name: 'OTLP/JSON nested deeper than 32 levels',
      signal: 'traces', format: 'json', body: () => jsonNestedResource(40),
      kind: 'invalid', message: /nested deeper than 32 levels/,
    },
    {
      name: 'OTLP/JSON that is not OTLP (empty objects where resources go)',
      signal: 'traces', format: 'json', body: () => jsonEmptyObjects(1000),
      kind: 'accepted', message: /^$/,
    },
    {
      name: 'not JSON at all',
      signal: 'logs', format: 'json', body: () => Buffer.from('{"resourceLogs": ['),
      kind: 'invalid', message: /not JSON/,
    },
    {
      name: 'protobuf with a length past the end',
      signal: 'traces', body: () => Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x00]),
      kind: 'invalid', message: /invalid OTLP protobuf/,
    },
  ];

  for (const row of table) {
    it(`${row.name} → ${row.kind}`, async () => {
      const { outcome, held } = await answer(row.signal, row.body(), { format: row.format });
      expect(outcome.kind).toBe(row.kind);
      expect(outcome.message).toMatch(row.message);
      // Records are reserved as they are planned, and planning stops at the limit: never more is held.
      expect(held).toBeLessThanOrEqual(options.maxRequestRecordBytes!);
    });
  }

  it('measures with the per-request byte limit when that is the smallest', async () => {
    const { outcome } = await answer('traces', manyTracesLargeResource(2000, 8 << 10), { overrides: { maxAmplification: 10_000, maxRequestRecordBytes: 1 << 20 } });
    expect(outcome).toMatchObject({ kind: 'too_large', message: expect.stringMatching(/over the limit of 1048576 bytes per request \(maxRequestRecordBytes\)/) });
  });

  it('answers 413, not a retryable 429, for records no in-flight budget could ever hold', async () => {
    const body = manyTracesLargeResource(200, 8 << 10);
    const { outcome } = await answer('traces', body, { overrides: { maxInflightBytes: 1 << 20, maxAmplification: 10_000 } });
    expect(outcome).toMatchObject({ kind: 'too_large', message: expect.stringMatching(/in-flight budget .* can hold besides the body: \d+ bytes/) });
  });

  it('answers 429 when the records would fit an idle gateway but not now, and reserves nothing for them', async () => {
    const limiter = new InflightLimiter(options.maxInflightBytes);
    const busy = new Reservation(limiter);
    expect(busy.add(options.maxInflightBytes - 1000)).toBe(true);
    const { outcome, held } = await answer('traces', new Traffic({ seed: 1, startMs: 1_767_225_600_000 }).encodedTraces(50).traces, { limiter });
    expect(outcome.kind).toBe('overloaded');
    expect(held).toBe(0);
    busy.release();
  });

  it('accepts ordinary traffic, protobuf and JSON, within every limit', async () => {
    const traffic = new Traffic({ seed: 2, startMs: 1_767_225_600_000 });
    const batch = traffic.encodedTraces(500);
    for (const [signal, body] of [['traces', batch.traces], ['logs', batch.logs], ['metrics', traffic.encodedMetrics(1_767_225_610_000).metrics]] as const) {
      const { outcome } = await answer(signal, body);
      expect(outcome).toMatchObject({ kind: 'accepted', rejected: 0 });
    }
    const { outcome } = await answer('traces', jsonTraces(100), { format: 'json' });
    expect(outcome.kind).toBe('accepted');
  });
});
