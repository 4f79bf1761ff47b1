// The series catalog of a rollup's first level: every series a task sees is written once to the compacted
// `otlp.series` topic (series key → identity, first and last seen) and remembered in a changelogged store, so
//   - consumers resolve a series id without the raw data;
//   - a metric's series are counted: past `maxSeriesPerMetric` a new series folds into one overflow series per metric
//     and resource (its attributes replaced by otel.metric.overflow=true, as the OpenTelemetry SDKs do), counted and logged;
//   - a series not seen for `staleness` of stream time is forgotten, so state and the count stay bounded.
import { AvroCodec, loadAvroSchema } from '../../kafka/avro.ts';
import { seriesId, tenantKey, tenantOf, type Attribute, type MetricPoint } from '../../otlp/index.ts';
import type { ProcessorContext, ProcessorDefinition, ProcessorRecord } from '../../runtime/processor.ts';
import { keyValueStore } from '../../runtime/stores.ts';
import { stringSerde, type KeyValueStore, type Serde } from '../../state/index.ts';
import { ByteReader, ByteWriter, expectVersion } from './bytes.ts';
import { identityOf, toAvroIdentity, type AvroSeriesIdentity } from './identity.ts';
import { OVERFLOW_ATTRIBUTE } from './rollupRecord.ts';

/** Options of `seriesCatalog`. */
export interface SeriesCatalogOptions {
  /** Store name; its changelog topic is `<application>-<store>-changelog`. */
  store: string;
  /** The compacted catalog topic (otlp.series). */
  topic: string;
  /** ms of stream time after a series' last point when it is forgotten. */
  staleness: number;
  /** How often (ms of event time) a live series' last-seen time is refreshed in the store and the catalog. */
  refresh: number;
  /** Series per metric (tenant and name) before new ones fold into the overflow series. */
  maxSeriesPerMetric: number;
  /** Called once per metric when it first overflows (logging). */
  onOverflow?: (metric: string, limit: number) => void;
}

/** A catalog record (schemas/avro/Series.avsc). */
export interface SeriesRecord {
  series: string;
  identity: AvroSeriesIdentity;
  first_seen: number;
  last_seen: number;
}

interface SeenSeries {
  /** Tenant and metric name: what the cardinality limit counts per ('' for an overflow series, which is not counted). */
  readonly metric: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

const FORMAT = 1;

const seenSerde: Serde<SeenSeries> = {
  serialize(s) {
    const out = new ByteWriter();
    out.uvarint(FORMAT);
    out.nested(Buffer.from(s.metric, 'utf8'));
    out.int(s.firstSeen);
    out.int(s.lastSeen);
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'series catalog entry');
    expectVersion(input, FORMAT);
    const metric = Buffer.from(input.nested()).toString('utf8');
    const firstSeen = input.int();
    const lastSeen = input.int();
    input.end();
    return { metric, firstSeen, lastSeen };
  },
};

const OVERFLOW: Attribute = { key: OVERFLOW_ATTRIBUTE, type: 'bool', value: true };

/** The catalog topic's codec. */
export function seriesCodec(topic: string): AvroCodec<SeriesRecord> {
  return new AvroCodec<SeriesRecord>(topic, loadAvroSchema('Series'));
}

/** Catalogs the series of metric points, folds series past the limit into the overflow series, forwards the points. */
export function seriesCatalog(o: SeriesCatalogOptions): ProcessorDefinition<MetricPoint, MetricPoint> {
  if (!(o.refresh > 0 && o.refresh < o.staleness)) throw new RangeError(`series catalog: refresh (${o.refresh} ms) must be > 0 and below staleness (${o.staleness} ms)`);
  if (!(Number.isSafeInteger(o.maxSeriesPerMetric) && o.maxSeriesPerMetric > 0)) throw new RangeError(`series catalog: maxSeriesPerMetric must be a positive integer, got ${o.maxSeriesPerMetric}`);
  const storeDefinition = keyValueStore<string, SeenSeries>({ name: o.store, keySerde: stringSerde, valueSerde: seenSerde });
  const codec = seriesCodec(o.topic);
  return {
    name: `series catalog ${o.store}`,
    stores: [storeDefinition],
    outputs: { catalog: { topic: o.topic, compacted: true, value: (v) => codec.encode(v as SeriesRecord) } },
    prepare: (config) => codec.prepare(config),
    create() {
      let ctx: ProcessorContext<MetricPoint>;
      let seen: KeyValueStore<string, SeenSeries>;
      // Live series per metric; rebuilt from the store, so it survives restores.
      const perMetric = new Map<string, number>();
      const overflowing = new Set<string>();
      let overflowPoints = 0;
      let forgotten = 0;

      const publish = (key: string, point: MetricPoint, entry: SeenSeries, headers: Readonly<Record<string, string>>) => {
        const value: SeriesRecord = { series: key, identity: toAvroIdentity(identityOf(point), tenantOf(key) ?? ''), first_seen: entry.firstSeen, last_seen: entry.lastSeen };
        ctx.emit('catalog', { key, timestamp: entry.lastSeen, value, headers });
      };

      // Forgets series whose last refresh is older than the staleness. Entries come least recently updated first.
      const expire = (streamTime: number) => {
        const cutoff = streamTime - o.staleness;
        const stale: string[] = [];
        for (const [key, entry] of seen.entries()) {
          if (entry.lastSeen >= cutoff) break;
          stale.push(key);
        }
        for (const key of stale) {
          const entry = seen.get(key)!;
          seen.delete(key);
          forgotten++;
          if (entry.metric === '') continue;
          const left = (perMetric.get(entry.metric) ?? 1) - 1;
          if (left > 0) perMetric.set(entry.metric, left);
          else perMetric.delete(entry.metric);
        }
      };

      return {
        init(context) {
          ctx = context;
          seen = ctx.store(storeDefinition);
          for (const [, entry] of seen.entries()) if (entry.metric !== '') perMetric.set(entry.metric, (perMetric.get(entry.metric) ?? 0) + 1);
          ctx.schedule(o.refresh, 'stream-time', expire);
          ctx.gauge(`series{store="${o.store}"}`, () => seen.size);
          ctx.gauge(`series_overflow_points_total{store="${o.store}"}`, () => overflowPoints);
          ctx.gauge(`series_forgotten_total{store="${o.store}"}`, () => forgotten);
        },
        process(record: ProcessorRecord<MetricPoint>) {
          let key = record.key ?? '';
          let point = record.value;
          const time = record.timestamp;
          let entry = seen.get(key);
          if (entry === undefined) {
            const metric = `${tenantOf(key) ?? ''}\u0000${point.metric.name}`;
            const count = perMetric.get(metric) ?? 0;
            const overflow = count >= o.maxSeriesPerMetric;
            if (overflow) {
              overflowPoints++;
              if (!overflowing.has(metric)) {
                overflowing.add(metric);
                o.onOverflow?.(point.metric.name, o.maxSeriesPerMetric);
              }
              point = { ...point, attributes: [OVERFLOW] };
              key = tenantKey(tenantOf(key), seriesId(point));
              entry = seen.get(key);
            }
            if (entry === undefined) {
              // The overflow series is not counted against the limit: its entry names no metric.
              if (!overflow) perMetric.set(metric, count + 1);
              entry = { metric: overflow ? '' : metric, firstSeen: time, lastSeen: time };
              seen.put(key, entry);
              publish(key, point, entry, record.headers);
            }
          }
          if (time >= entry.lastSeen + o.refresh) {
            entry = { ...entry, lastSeen: time };
            seen.put(key, entry);
            publish(key, point, entry, record.headers);
          }
          ctx.forward(key === record.key && point === record.value ? record : { ...record, key, value: point });
        },
      };
    },
  };
}
