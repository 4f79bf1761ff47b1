// Series identity: which points belong to the same time series, as a stable 128-bit hash.
//
// Canonical series bytes (version 1), every variable part length-prefixed so no two series share bytes:
//   01                                  encoding version
//   varint(len) metric name (UTF-8)
//   type code: gauge 01, sum 02, histogram 03, exponentialHistogram 04, summary 05
//   varint(len) unit (UTF-8)
//   varint(len) canonical resource attributes   (the collector's canonical encoding, resourceKey.ts)
//   varint(len) canonical point attributes      (same encoding: sorted bytewise by key, nested maps sorted)
// id = XXH64(bytes, 0) LE ‖ XXH64(bytes ‖ F3, 0) LE, written as 32 lowercase hex characters — the same
// hash construction as the resource key. Description, scope, temporality and metadata are not part of it.
import { bytesToHex } from './hex.ts';
import type { MetricPoint, MetricType, Resource } from './model.ts';
import { canonicalAttributes, hashCanonical } from './resourceKey.ts';

const TYPE_CODES: Record<MetricType, number> = { gauge: 1, sum: 2, histogram: 3, exponentialHistogram: 4, summary: 5 };
const VERSION = 1;

// Resources are shared by many points; their canonical bytes are computed once.
const resourceBytes = new WeakMap<Resource, Buffer>();

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** The canonical series bytes described above. */
export function canonicalSeries(point: MetricPoint): Buffer {
  let resource = resourceBytes.get(point.resource);
  if (resource === undefined) {
    resource = canonicalAttributes(point.resource.attributes);
    resourceBytes.set(point.resource, resource);
  }
  const name = Buffer.from(point.metric.name, 'utf8');
  const unit = Buffer.from(point.metric.unit, 'utf8');
  const attributes = canonicalAttributes(point.attributes);
  return Buffer.concat([
    Buffer.from([VERSION, ...varint(name.length)]), name,
    Buffer.from([TYPE_CODES[point.metric.type], ...varint(unit.length)]), unit,
    Buffer.from(varint(resource.length)), resource,
    Buffer.from(varint(attributes.length)), attributes,
  ]);
}

/** The series id of a point: 32 lowercase hex characters, stable across processes and versions of this code. */
export function seriesId(point: MetricPoint): string {
  return bytesToHex(hashCanonical(canonicalSeries(point)), 0, 16);
}
