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
//
// This runs once per point on the rollup's hot path, so it allocates almost nothing: the bytes up to the point
// attributes are cached per (metric, resource) — a decoded request shares those objects among its points — and the
// canonical bytes are built in one reused sink and hashed in place.
//
// Sources decoding protobuf go further (decodeMetricPointsWithIds): a series id is computed once per (canonical bytes
// before the point attributes, attribute set) and looked up from then on, where the attribute set numbers a point's
// raw attribute bytes (attributeSets.ts). Equal raw bytes decode to equal attributes, so the pair determines the id.
import { attributeSetGeneration, NO_SET } from './attributeSets.ts';
import { decodeMetricsWithSets } from './decodeMetrics.ts';
import { bytesToHex } from './hex.ts';
import type { Metric, MetricPoint, MetricType, Resource } from './model.ts';
import { ByteSink, canonicalAttributes, hashSinkInto, writeCanonicalAttributes } from './resourceKey.ts';

const TYPE_CODES: Record<MetricType, number> = { gauge: 1, sum: 2, histogram: 3, exponentialHistogram: 4, summary: 5 };
const VERSION = 1;

// Resources are shared by many points; their canonical bytes are computed once.
const resourceBytes = new WeakMap<Resource, Buffer>();

/** The canonical bytes before the point attributes, for one metric (name, type, unit as they were) and resource. */
interface Prefix {
  readonly name: string;
  readonly type: MetricType;
  readonly unit: string;
  readonly resource: Resource;
  readonly bytes: Buffer;
}

// Metrics are shared by the points of one decoded metric; the entry is checked against the metric's current name,
// type and unit and the point's resource, and rebuilt when any differs.
const prefixes = new WeakMap<Metric, Prefix>();

const sink = new ByteSink();
const id = Buffer.alloc(16);
const SINK_KEEP_BYTES = 64 * 1024;

function pushVarint(out: ByteSink, n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n >>>= 7;
    len++;
  }
  return len;
}

function resourceCanonical(resource: Resource): Buffer {
  let bytes = resourceBytes.get(resource);
  if (bytes === undefined) {
    bytes = canonicalAttributes(resource.attributes);
    resourceBytes.set(resource, bytes);
  }
  return bytes;
}

function prefixOf(point: MetricPoint): Buffer {
  const { metric, resource } = point;
  const cached = prefixes.get(metric);
  if (cached !== undefined && cached.resource === resource && cached.name === metric.name && cached.type === metric.type && cached.unit === metric.unit) {
    return cached.bytes;
  }
  const res = resourceCanonical(resource);
  const name = Buffer.from(metric.name, 'utf8');
  const unit = Buffer.from(metric.unit, 'utf8');
  const out = new ByteSink();
  out.push(VERSION);
  pushVarint(out, name.length);
  out.append(name);
  out.push(TYPE_CODES[metric.type]);
  pushVarint(out, unit.length);
  out.append(unit);
  pushVarint(out, res.length);
  out.append(res);
  const bytes = Buffer.from(out.bytes());
  prefixes.set(metric, { name: metric.name, type: metric.type, unit: metric.unit, resource, bytes });
  return bytes;
}

/** Writes the canonical series bytes of a point into the module's sink (from 0). */
function writeSeries(point: MetricPoint): void {
  sink.length = 0;
  if (sink.buf.length > SINK_KEEP_BYTES) sink.buf = Buffer.allocUnsafe(256);
  sink.append(prefixOf(point));
  // The attributes' length comes first: reserve one byte (lengths below 128) and move them if it needs more.
  const at = sink.length + 1;
  sink.length = at;
  writeCanonicalAttributes(sink, point.attributes);
  const length = sink.length - at;
  const extra = varintLength(length) - 1;
  if (extra > 0) {
    sink.room(extra);
    sink.buf.copyWithin(at + extra, at, at + length);
    sink.length += extra;
  }
  let pos = at - 1;
  let n = length;
  while (n >= 0x80) {
    sink.buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  sink.buf[pos] = n;
}

/** The canonical series bytes described above. */
export function canonicalSeries(point: MetricPoint): Buffer {
  writeSeries(point);
  return Buffer.from(sink.bytes());
}

/** The series id of a point: 32 lowercase hex characters, stable across processes and versions of this code. */
export function seriesId(point: MetricPoint): string {
  writeSeries(point);
  hashSinkInto(sink, id);
  return bytesToHex(id, 0, 16);
}

// Series ids by prefix bytes (as a latin1 string), then by attribute set; all of one attribute set generation.
const idsByPrefix = new Map<string, Map<number, string>>();
let idsGeneration = -1;
let cachedIds = 0;
const DEFAULT_MAX_IDS = 1 << 18;
let maxIds = DEFAULT_MAX_IDS;
const setsScratch: number[] = [];

/** Empties the series id cache; tests pass a smaller limit to exercise the starting over. */
export function resetSeriesIds(limit = DEFAULT_MAX_IDS): void {
  maxIds = limit;
  idsByPrefix.clear();
  cachedIds = 0;
}

/** Points of a decoded request with their series ids. */
export interface PointsWithIds {
  points: MetricPoint[];
  /** `seriesIds[i]` is `seriesId(points[i])`. */
  seriesIds: string[];
}

/**
 * decodeMetrics and the series id of every point, reusing ids computed for earlier points (of this request or an
 * earlier one) with the same prefix and the same attribute bytes. The cache is bounded (it starts over when full).
 */
export function decodeMetricPointsWithIds(bytes: Uint8Array): PointsWithIds {
  const sets = setsScratch;
  const before = attributeSetGeneration();
  const points = decodeMetricsWithSets(bytes, sets);
  const seriesIds = new Array<string>(points.length);
  // Set numbers are only comparable within one generation: when one ended during this request (the attribute set
  // cache filled up), the request's numbers are mixed and its points take the uncached path.
  const generation = attributeSetGeneration();
  const mixed = generation !== before;
  if (generation !== idsGeneration) {
    idsByPrefix.clear();
    cachedIds = 0;
    idsGeneration = generation;
  }
  let metric: Metric | undefined;
  let resource: Resource | undefined;
  let ids: Map<number, string> | undefined;
  for (let i = 0; i < points.length; i++) {
    const point = points[i];
    const set = sets[i];
    if (set === NO_SET || mixed) {
      seriesIds[i] = seriesId(point);
      continue;
    }
    if (point.metric !== metric || point.resource !== resource || ids === undefined) {
      metric = point.metric;
      resource = point.resource;
      const key = prefixOf(point).toString('latin1');
      ids = idsByPrefix.get(key);
      if (ids === undefined) {
        ids = new Map();
        idsByPrefix.set(key, ids);
      }
    }
    let id = ids.get(set);
    if (id === undefined) {
      id = seriesId(point);
      if (cachedIds >= maxIds) {
        idsByPrefix.clear();
        cachedIds = 0;
        ids = new Map();
        idsByPrefix.set(prefixOf(point).toString('latin1'), ids);
      }
      ids.set(set, id);
      cachedIds++;
    }
    seriesIds[i] = id;
  }
  return { points, seriesIds };
}
