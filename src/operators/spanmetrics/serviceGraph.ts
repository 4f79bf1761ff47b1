// The service graph, compatible with the OpenTelemetry Collector's servicegraph connector: a client span (CLIENT, or
// PRODUCER for messaging) and the server span (SERVER / CONSUMER) whose parent it is make one request between two
// services — an edge — counted and timed as delta points. Input is keyed by trace id, so both halves of an edge
// reach the same task. The half seen first waits in a changelogged key-value store for `wait` of stream time; if its
// other half does not come, it expires into an edge to a virtual node (or is dropped), as the connector does.
// docs/spanmetrics.md says what is emitted and what differs from the connector.
import type { Attribute, MetricPoint, Resource, Span } from '../../otlp/model.ts';
import { SpanKind, StatusCode } from '../../otlp/model.ts';
import { TENANT_HEADER, tenantKey, tenantOf } from '../../otlp/tenant.ts';
import type { ProcessorContext, ProcessorDefinition } from '../../runtime/processor.ts';
import { keyValueStore } from '../../runtime/stores.ts';
import { jsonSerde, stringSerde, type KeyValueStore } from '../../state/index.ts';
import {
  BoundedCache,
  countPoint,
  deltaHistogramMetric,
  deltaSumMetric,
  exponentialHistogramPoint,
  findAttribute,
  histogramPoint,
  operatorScope,
  SeriesIdCache,
  serviceNameOf,
  spanDurationNanos,
  valueText,
  type PointPlace,
  type SeriesPoint,
} from './points.ts';

/** Options of `serviceGraph` (the connector's, in camelCase, where they apply). */
export interface ServiceGraphOptions {
  /** Store of the unpaired halves; its changelog topic is `<application>-<store>-changelog`. */
  store: string;
  /** ms of stream time an unpaired half waits for its other half (default 10 s). */
  wait?: number;
  /** Attributes (resource first, then span) added as `client_<name>` / `server_<name>`. */
  dimensions?: readonly string[];
  /** Explicit latency bounds in seconds (default: the connector's 0.002 … 15). */
  latencyHistogramBuckets?: readonly number[];
  /** `explicit` (default) or `exponential` latency histograms. */
  histogram?: 'explicit' | 'exponential';
  /** Client span attributes naming a virtual server, by priority; [] turns virtual nodes off. */
  virtualNodePeerAttributes?: readonly string[];
  /** Adds `virtual_node` = `client` / `server` / '' to every edge. */
  virtualNodeExtraLabel?: boolean;
  /** Attributes (resource, then span) of a client span naming a database: the edge is complete at once. */
  databaseNameAttributes?: readonly string[];
  /** Most unpaired halves a task keeps; a new half beyond is dropped and counted (default 100,000). */
  maxPending?: number;
}

/** Default wait: Kafka batches and partitions delay spans of one trace by more than the connector's in-process 2 s. */
export const DEFAULT_SERVICE_GRAPH_WAIT_MS = 10_000;
/** The connector's default latency bounds, in seconds. */
export const DEFAULT_LATENCY_BUCKETS_S: readonly number[] = [0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15];
export const DEFAULT_PEER_ATTRIBUTES: readonly string[] = ['peer.service', 'db.name', 'db.system'];
export const DEFAULT_DATABASE_NAME_ATTRIBUTES: readonly string[] = ['db.name'];
/** The `name` of the points' scope. */
export const SERVICE_GRAPH_SCOPE = 'otlp-streams/servicegraph';

/** Metric names of the connector. */
export const SERVICE_GRAPH_METRICS = {
  total: 'traces_service_graph_request_total',
  failed: 'traces_service_graph_request_failed_total',
  server: 'traces_service_graph_request_server',
  client: 'traces_service_graph_request_client',
} as const;

/** One request between two services, as far as its spans have been seen: the value of the pending store. */
export interface PendingEdge {
  /** Stream time the edge was stored at; it expires once stream time reaches at + wait. */
  at: number;
  /** The key's span id is empty: a server span without a parent (its client is a `user`). */
  root: boolean;
  client: string;
  server: string;
  clientSeconds: number | null;
  serverSeconds: number | null;
  messaging: boolean;
  database: boolean;
  failed: boolean;
  /** `client_<dimension>` / `server_<dimension>` → value. */
  dimensions: Record<string, string>;
  /** The client span's first virtual-node peer attribute, by priority. */
  peer: string | null;
  /** Latest end time of the spans seen: the time of the edge's points. */
  timeMs: number;
  timeNanos: number;
}

type ConnectionType = '' | 'messaging_system' | 'database' | 'virtual_node';
type VirtualNode = '' | 'client' | 'server';

// The connector emits its graph under one resource without attributes.
const GRAPH_RESOURCE: Resource = { attributes: [], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };

/** Pairs client and server spans of a trace into service-graph edges; forwards their points keyed by tenant and series id. */
export function serviceGraph(o: ServiceGraphOptions): ProcessorDefinition<Span, MetricPoint> {
  const wait = o.wait ?? DEFAULT_SERVICE_GRAPH_WAIT_MS;
  if (!Number.isSafeInteger(wait) || wait <= 0) throw new RangeError(`serviceGraph: wait must be a positive integer of ms, got ${wait}`);
  const maxPending = o.maxPending ?? 100_000;
  const pending = keyValueStore<string, PendingEdge>({ name: o.store, keySerde: stringSerde, valueSerde: jsonSerde<PendingEdge>() });
  const edges = edgePoints(o);
  const peerAttributes = o.virtualNodePeerAttributes ?? DEFAULT_PEER_ATTRIBUTES;
  const databaseAttributes = o.databaseNameAttributes ?? DEFAULT_DATABASE_NAME_ATTRIBUTES;
  const dimensions = o.dimensions ?? [];

  return {
    name: `servicegraph ${o.store}`,
    stores: [pending],
    create() {
      let ctx: ProcessorContext<MetricPoint>;
      let store: KeyValueStore<string, PendingEdge>;
      // Keys in the order they expire (by `at`, stream time only grows); entries whose edge completed are skipped.
      let queue: Array<{ at: number; key: string }> = [];
      let head = 0;
      let expired = 0;
      let dropped = 0;
      const headers = new Map<string | undefined, Readonly<Record<string, string>>>();

      const forward = (tenant: string | undefined, points: SeriesPoint[]) => {
        let h = headers.get(tenant);
        if (h === undefined) headers.set(tenant, (h = tenant === undefined ? {} : { [TENANT_HEADER]: tenant }));
        for (const { seriesId, point } of points) ctx.forward({ key: tenantKey(tenant, seriesId), timestamp: point.timeMs, value: point, headers: h });
      };

      /** Expires the edges stored at or before `now - wait`, in (at, key) order whatever the store's history. */
      const expire = (now: number) => {
        const batch: Array<[string, PendingEdge]> = [];
        while (head < queue.length && queue[head].at + wait <= now) {
          const { at, key } = queue[head++];
          const edge = store.get(key);
          if (edge === undefined || edge.at !== at) continue;
          store.delete(key);
          batch.push([key, edge]);
        }
        if (head > 1024 && head * 2 > queue.length) {
          queue = queue.slice(head);
          head = 0;
        }
        batch.sort(([a, x], [b, y]) => x.at - y.at || (a < b ? -1 : a > b ? 1 : 0));
        for (const [key, edge] of batch) {
          expired++;
          const tenant = tenantOf(key);
          // As the connector: an expired edge becomes a virtual-node edge only when peer attributes are configured.
          if (peerAttributes.length === 0) continue;
          if (edge.client === '' && edge.root) forward(tenant, edges({ ...edge, client: 'user' }, 'virtual_node', 'client'));
          else if (edge.server === '') forward(tenant, edges({ ...edge, server: edge.peer ?? 'unknown' }, 'virtual_node', 'server'));
        }
      };

      const upsert = (traceKey: string, spanId: string, at: number, update: (edge: PendingEdge) => void) => {
        const key = `${traceKey}\u0000${spanId}`;
        const stored = store.get(key);
        const edge = stored ?? newEdge(at, spanId === '');
        update(edge);
        if (edge.client !== '' && edge.server !== '') {
          if (stored !== undefined) store.delete(key);
          forward(tenantOf(traceKey), edges(edge, connectionType(edge), ''));
        } else if (stored !== undefined) {
          store.put(key, edge);
        } else if (store.size >= maxPending) {
          dropped++;
        } else {
          store.put(key, edge);
          queue.push({ at, key });
        }
      };

      return {
        init(context) {
          ctx = context;
          store = ctx.store(pending);
          // Restored edges: the same expiry order as the first run's, which sorts each batch by (at, key).
          queue = [...store.entries()].map(([key, edge]) => ({ at: edge.at, key })).sort((a, b) => a.at - b.at);
          ctx.schedule(wait, 'stream-time', (time) => expire(time));
          ctx.gauge(`servicegraph_pending{store="${o.store}"}`, () => store.size);
          ctx.gauge(`servicegraph_expired_total{store="${o.store}"}`, () => expired);
          ctx.gauge(`servicegraph_dropped_total{store="${o.store}"}`, () => dropped);
        },
        process(record) {
          const now = ctx.streamTime();
          expire(now);
          const span = record.value;
          const service = serviceNameOf(span.resource);
          if (service === undefined || record.key === null) return;
          const at = now > -Infinity ? now : record.timestamp;
          const seconds = spanDurationNanos(span) / 1e9;
          const failed = span.statusCode === StatusCode.ERROR;
          switch (span.kind) {
            case SpanKind.PRODUCER:
            case SpanKind.CLIENT:
              upsert(record.key, span.spanId, at, (edge) => {
                edge.client = service;
                edge.clientSeconds = seconds;
                edge.messaging ||= span.kind === SpanKind.PRODUCER;
                edge.failed ||= failed;
                later(edge, span);
                addDimensions(edge, 'client', dimensions, span);
                if (peerAttributes.length > 0) edge.peer = firstValue(peerAttributes, [span.attributes]) ?? edge.peer;
                // A database has no server span: the client span alone makes the edge, timed on both sides.
                const database = firstValue(databaseAttributes, [span.resource.attributes, span.attributes]);
                if (database !== undefined) {
                  edge.database = true;
                  edge.server = database;
                  edge.serverSeconds = seconds;
                }
              });
              return;
            case SpanKind.CONSUMER:
            case SpanKind.SERVER:
              upsert(record.key, span.parentSpanId, at, (edge) => {
                edge.server = service;
                edge.serverSeconds = seconds;
                edge.messaging ||= span.kind === SpanKind.CONSUMER;
                edge.failed ||= failed;
                later(edge, span);
                addDimensions(edge, 'server', dimensions, span);
              });
              return;
            default:
              return; // not part of an edge
          }
        },
        flush() {
          // End of a finite input (a backfill): nothing more can pair, so every half expires now.
          expire(Infinity);
        },
      };
    },
  };
}

function newEdge(at: number, root: boolean): PendingEdge {
  return { at, root, client: '', server: '', clientSeconds: null, serverSeconds: null, messaging: false, database: false, failed: false, dimensions: {}, peer: null, timeMs: -Infinity, timeNanos: 0 };
}

/** Moves the edge's time to the span's end when that is later. */
function later(edge: PendingEdge, span: Span): void {
  if (span.endTimeMs > edge.timeMs || (span.endTimeMs === edge.timeMs && span.endTimeNanos > edge.timeNanos)) {
    edge.timeMs = span.endTimeMs;
    edge.timeNanos = span.endTimeNanos;
  }
}

// Database beats messaging: a client span naming a database is the whole edge.
function connectionType(edge: PendingEdge): ConnectionType {
  return edge.database ? 'database' : edge.messaging ? 'messaging_system' : '';
}

function addDimensions(edge: PendingEdge, side: 'client' | 'server', dimensions: readonly string[], span: Span): void {
  for (const d of dimensions) {
    const value = firstValue([d], [span.resource.attributes, span.attributes]);
    if (value !== undefined) edge.dimensions[`${side}_${d}`] = value;
  }
}

/** The text of the first attribute found, keys by priority and, for each key, the attribute lists in order. */
function firstValue(keys: readonly string[], lists: ReadonlyArray<readonly Attribute[]>): string | undefined {
  for (const key of keys) {
    for (const list of lists) {
      const attribute = findAttribute(list, key);
      if (attribute !== undefined) return valueText(attribute);
    }
  }
  return undefined;
}

/** The points of complete or virtual edges, with shared metric descriptors, attribute lists and series ids. */
function edgePoints(o: ServiceGraphOptions): (edge: PendingEdge, type: ConnectionType, virtualNode: VirtualNode) => SeriesPoint[] {
  const exponential = o.histogram === 'exponential';
  const bounds = [...(o.latencyHistogramBuckets ?? DEFAULT_LATENCY_BUCKETS_S)];
  if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]))) throw new RangeError(`serviceGraph: latencyHistogramBuckets must be finite and strictly increasing, got ${bounds.join(', ')}`);
  const histogramType = exponential ? 'exponentialHistogram' : 'histogram';
  const total = deltaSumMetric(SERVICE_GRAPH_METRICS.total, '');
  const failed = deltaSumMetric(SERVICE_GRAPH_METRICS.failed, '');
  const server = deltaHistogramMetric(SERVICE_GRAPH_METRICS.server, 's', histogramType);
  const client = deltaHistogramMetric(SERVICE_GRAPH_METRICS.client, 's', histogramType);
  const scope = operatorScope(SERVICE_GRAPH_SCOPE);
  const dimensions = o.dimensions ?? [];
  const extraLabel = o.virtualNodeExtraLabel === true;
  const attributeLists = new BoundedCache<Attribute[]>(100_000);
  const ids = new SeriesIdCache();
  const latency = (place: PointPlace, metric: typeof server, seconds: number) =>
    exponential ? exponentialHistogramPoint(place, metric, seconds) : histogramPoint(place, metric, bounds, seconds);

  return (edge, type, virtualNode) => {
    let key = `${edge.client}\u0000${edge.server}\u0000${type}\u0000${edge.failed}\u0000${virtualNode}`;
    for (const d of dimensions) key += `\u0000${edge.dimensions[`client_${d}`] ?? '\u0001'}\u0000${edge.dimensions[`server_${d}`] ?? '\u0001'}`;
    let attributes = attributeLists.get(key);
    if (attributes === undefined) {
      attributes = [
        { key: 'client', type: 'string', value: edge.client },
        { key: 'server', type: 'string', value: edge.server },
        { key: 'connection_type', type: 'string', value: type },
        { key: 'failed', type: 'bool', value: edge.failed },
      ];
      for (const d of dimensions) {
        for (const side of ['client', 'server'] as const) {
          const value = edge.dimensions[`${side}_${d}`];
          if (value !== undefined) attributes.push({ key: `${side}_${d}`, type: 'string', value });
        }
      }
      if (extraLabel) attributes.push({ key: 'virtual_node', type: 'string', value: virtualNode });
      attributeLists.set(key, attributes);
    }
    const place: PointPlace = { resource: GRAPH_RESOURCE, scope, attributes, timeMs: edge.timeMs, timeNanos: edge.timeNanos };
    const out: SeriesPoint[] = [];
    const add = (tag: string, point: MetricPoint) => out.push({ seriesId: ids.id(`${tag}\u0000${key}`, point), point });
    add('t', countPoint(place, total));
    if (edge.failed) add('f', countPoint(place, failed));
    if (edge.serverSeconds !== null) add('s', latency(place, server, edge.serverSeconds));
    if (edge.clientSeconds !== null) add('c', latency(place, client, edge.clientSeconds));
    return out;
  };
}
