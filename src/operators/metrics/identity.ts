// A series' identity: the metric, the point's attributes, the resource's attributes and the scope — what the series
// id hashes (src/otlp/seriesId.ts) plus what describes it (description, temporality, monotonicity). Rollup records and
// the otlp.series catalog carry it as the Avro record SeriesIdentity (schemas/avro/SeriesIdentity.avsc).
import { avroType, loadAvroSchema } from '../../kafka/avro.ts';
import type { AnyValue, Attribute, Metric, MetricPoint, MetricType } from '../../otlp/index.ts';
import type { Serde } from '../../state/index.ts';

/** A series' identity, in the OTLP model's terms; built from a point without copying its attributes. */
export interface SeriesIdentity {
  readonly metric: Pick<Metric, 'name' | 'description' | 'unit' | 'type' | 'aggregationTemporality' | 'isMonotonic'>;
  readonly attributes: readonly Attribute[];
  readonly resource: readonly Attribute[];
  readonly scope: { readonly name: string; readonly version: string };
}

export function identityOf(point: MetricPoint): SeriesIdentity {
  return { metric: point.metric, attributes: point.attributes, resource: point.resource.attributes, scope: point.scope };
}

// The Avro shapes (wrapped unions: a union value is { branch: value }).
type AvroAnyValue = { value: null | { string: string } | { boolean: boolean } | { long: number | bigint } | { double: number } | { bytes: Buffer } | { array: AvroAnyValue[] } | { 'otlp_streams.KeyValueList': { values: AvroKeyValue[] } } };
export interface AvroKeyValue {
  key: string;
  value: AvroAnyValue;
}
type AvroMetricType = 'GAUGE' | 'SUM' | 'HISTOGRAM' | 'EXPONENTIAL_HISTOGRAM' | 'SUMMARY';
type AvroTemporality = 'UNSPECIFIED' | 'DELTA' | 'CUMULATIVE';

/** SeriesIdentity as its Avro record. */
export interface AvroSeriesIdentity {
  tenant: string;
  name: string;
  description: string;
  unit: string;
  type: AvroMetricType;
  temporality: AvroTemporality;
  monotonic: boolean;
  attributes: AvroKeyValue[];
  resource: AvroKeyValue[];
  scope: { name: string; version: string };
}

const METRIC_TYPES: Record<MetricType, AvroMetricType> = { gauge: 'GAUGE', sum: 'SUM', histogram: 'HISTOGRAM', exponentialHistogram: 'EXPONENTIAL_HISTOGRAM', summary: 'SUMMARY' };
const MODEL_TYPES = Object.fromEntries(Object.entries(METRIC_TYPES).map(([k, v]) => [v, k])) as Record<AvroMetricType, MetricType>;
const TEMPORALITIES: readonly AvroTemporality[] = ['UNSPECIFIED', 'DELTA', 'CUMULATIVE'];

function toAvroValue(v: AnyValue): AvroAnyValue {
  switch (v.type) {
    case 'string':
      return { value: { string: v.value } };
    case 'bool':
      return { value: { boolean: v.value } };
    case 'int':
      return { value: { long: v.value } };
    case 'double':
      return { value: { double: v.value } };
    case 'bytes':
      return { value: { bytes: Buffer.from(v.value) } };
    case 'array':
      return { value: { array: v.value.map(toAvroValue) } };
    case 'kvlist':
      return { value: { 'otlp_streams.KeyValueList': { values: toAvroAttributes(v.value) } } };
    case 'empty':
      return { value: null };
  }
}

function fromAvroValue(v: AvroAnyValue): AnyValue {
  const u = v.value;
  if (u === null) return { type: 'empty', value: null };
  if ('string' in u) return { type: 'string', value: u.string };
  if ('boolean' in u) return { type: 'bool', value: u.boolean };
  if ('long' in u) return { type: 'int', value: u.long };
  if ('double' in u) return { type: 'double', value: u.double };
  if ('bytes' in u) return { type: 'bytes', value: new Uint8Array(u.bytes) };
  if ('array' in u) return { type: 'array', value: u.array.map(fromAvroValue) };
  return { type: 'kvlist', value: fromAvroAttributes(u['otlp_streams.KeyValueList'].values) };
}

export function toAvroAttributes(attributes: readonly Attribute[]): AvroKeyValue[] {
  return attributes.map((a) => ({ key: a.key, value: toAvroValue(a) }));
}

export function fromAvroAttributes(attributes: readonly AvroKeyValue[]): Attribute[] {
  return attributes.map((a) => ({ key: a.key, ...fromAvroValue(a.value) }) as Attribute);
}

export function toAvroIdentity(identity: SeriesIdentity, tenant: string): AvroSeriesIdentity {
  const m = identity.metric;
  return {
    tenant,
    name: m.name,
    description: m.description,
    unit: m.unit,
    type: METRIC_TYPES[m.type],
    temporality: TEMPORALITIES[m.aggregationTemporality] ?? 'UNSPECIFIED',
    monotonic: m.isMonotonic,
    attributes: toAvroAttributes(identity.attributes),
    resource: toAvroAttributes(identity.resource),
    scope: { name: identity.scope.name, version: identity.scope.version },
  };
}

export function fromAvroIdentity(avro: AvroSeriesIdentity): SeriesIdentity {
  return {
    metric: {
      name: avro.name,
      description: avro.description,
      unit: avro.unit,
      type: MODEL_TYPES[avro.type],
      aggregationTemporality: TEMPORALITIES.indexOf(avro.temporality),
      isMonotonic: avro.monotonic,
    },
    attributes: fromAvroAttributes(avro.attributes),
    resource: fromAvroAttributes(avro.resource),
    scope: avro.scope,
  };
}

const identityType = avroType(loadAvroSchema('SeriesIdentity'));

/** Changelog encoding of an identity: its Avro record without framing (the tenant is in the store's key). */
export const identitySerde: Serde<SeriesIdentity> = {
  serialize: (identity) => identityType.toBuffer(toAvroIdentity(identity, '')),
  deserialize: (bytes) => fromAvroIdentity(identityType.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as AvroSeriesIdentity),
};

// A window's partial keeps the identity object of its series' first point, and the store's changelog serializes the
// partial at every checkpoint that finds it changed: the identity's bytes are encoded once per identity object.
// Identities are immutable (readonly, built from decoded points that nothing mutates), so the bytes stay right.
const encodedIdentities = new WeakMap<SeriesIdentity, Uint8Array>();

/** `identitySerde.serialize(identity)`, cached per identity object; the bytes are shared: read them, never write. */
export function identityBytes(identity: SeriesIdentity): Uint8Array {
  let bytes = encodedIdentities.get(identity);
  if (bytes === undefined) {
    bytes = identitySerde.serialize(identity);
    encodedIdentities.set(identity, bytes);
  }
  return bytes;
}
