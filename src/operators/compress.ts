// Compression of raw number points into chunks (src/chunks/): per series and block (default 2 h, aligned on the
// epoch), the points are kept in a changelogged store — written compressed, so a checkpoint logs a few bytes per
// point — and when stream time passes the block's end plus the grace, the block's chunk goes to the compacted topic
// (otlp.chunks) keyed `<series>@<block start>`. Once a block is older than the retention, its key gets a tombstone.
import { encodeChunk, decodeChunk } from '../chunks/index.ts';
import { AvroCodec, loadAvroSchema } from '../kafka/avro.ts';
import { NO_RECORDED_VALUE_FLAG, type MetricPoint } from '../otlp/index.ts';
import type { ProcessorContext, ProcessorDefinition, ProcessorRecord } from '../runtime/processor.ts';
import { keyValueStore } from '../runtime/stores.ts';
import { stringSerde, type KeyValueStore, type Serde } from '../state/index.ts';
import { ByteReader, ByteWriter, expectVersion } from './metrics/bytes.ts';

/** Prometheus' staleness marker: a NaN with this payload says "no value" (an OTLP point flagged no-recorded-value). */
export const STALE_NAN_BITS = 0x7ff0000000000002n;
const staleNaN = (() => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, STALE_NAN_BITS);
  return view.getFloat64(0);
})();

export interface CompressOptions {
  /** Store of the open blocks; its changelog is `<application>-<store>-changelog`. */
  store: string;
  /** The compacted chunk topic (otlp.chunks). */
  topic: string;
  /** Block length, ms; blocks align on the epoch. */
  blockMs: number;
  /** How far (stream time) a point may trail its block's end and still join it. */
  graceMs: number;
  /** A block's chunk is deleted (tombstoned) this long after the block ended; null keeps chunks. */
  retentionMs: number | null;
  /** Points per block and series beyond which further points go to the late topic (bounds a chunk). */
  maxPointsPerBlock: number;
  /** Where late points go (default `<application>.late`). */
  lateTopic: string;
}

/** A Chunk record (schemas/avro/Chunk.avsc). */
export interface ChunkRecord {
  series: string;
  block_start: number;
  block_end: number;
  points: number;
  chunk: Buffer;
}

/** The chunk topic's codec. */
export function chunkCodec(topic: string): AvroCodec<ChunkRecord> {
  return new AvroCodec<ChunkRecord>(topic, loadAvroSchema('Chunk'));
}

/** The key of a block's chunk: the series key, `@`, the block start (ms). */
export function chunkKey(series: string, blockStart: number): string {
  return `${series}@${blockStart}`;
}

/** The points of one series in one open block, in arrival order. */
interface OpenBlock {
  readonly series: string;
  readonly start: number;
  readonly timestamps: number[];
  readonly values: number[];
}

const FORMAT = 1;

/** Open blocks go to the changelog as chunks: the codec is lossless, and a few bytes per point. */
const openBlockSerde: Serde<OpenBlock> = {
  serialize(b) {
    const out = new ByteWriter();
    out.uvarint(FORMAT);
    out.nested(Buffer.from(b.series, 'utf8'));
    out.int(b.start);
    out.nested(encodeChunk({ timestamps: b.timestamps, values: Float64Array.from(b.values) }));
    return out.finish();
  },
  deserialize(bytes) {
    const input = new ByteReader(bytes, 'open chunk block');
    expectVersion(input, FORMAT);
    const series = Buffer.from(input.nested()).toString('utf8');
    const start = input.int();
    const chunk = decodeChunk(input.nested());
    input.end();
    return { series, start, timestamps: Array.from(chunk.timestamps), values: Array.from(chunk.values) };
  },
};

const blockEndSerde: Serde<number> = {
  serialize: (n) => {
    const out = new ByteWriter();
    out.int(n);
    return out.finish();
  },
  deserialize: (bytes) => {
    const input = new ByteReader(bytes, 'published chunk');
    const n = input.int();
    input.end();
    return n;
  },
};

/** A point's value for a chunk: its number, or the staleness NaN when the point says it has none. */
export function chunkValue(point: MetricPoint): number {
  if ((point.flags & NO_RECORDED_VALUE_FLAG) !== 0) return staleNaN;
  return Number((point as { value: number | bigint }).value);
}

/** Writes number points (gauges, sums) per series and block as chunks to the compacted chunk topic; forwards every point. */
export function compress(o: CompressOptions): ProcessorDefinition<MetricPoint, MetricPoint> {
  if (!(o.blockMs > 0 && o.graceMs >= 0 && o.graceMs < o.blockMs)) throw new RangeError(`compress: grace (${o.graceMs} ms) must be below the block (${o.blockMs} ms)`);
  const openDefinition = keyValueStore<string, OpenBlock>({ name: o.store, keySerde: stringSerde, valueSerde: openBlockSerde });
  const publishedDefinition = keyValueStore<string, number>({ name: `${o.store}-published`, keySerde: stringSerde, valueSerde: blockEndSerde });
  const codec = chunkCodec(o.topic);
  return {
    name: `compress ${o.store}`,
    stores: [openDefinition, publishedDefinition],
    outputs: {
      chunks: { topic: o.topic, compacted: true, value: (v) => (v === null ? null : codec.encode(v as ChunkRecord)) },
      late: { topic: o.lateTopic },
    },
    prepare: (config) => codec.prepare(config),
    create() {
      let ctx: ProcessorContext<MetricPoint>;
      let open: KeyValueStore<string, OpenBlock>;
      let published: KeyValueStore<string, number>;
      let chunks = 0;
      let late = 0;

      const setAside = (record: ProcessorRecord<MetricPoint>, reason: string, blockStart: number) => {
        late++;
        ctx.emit('late', {
          key: record.key,
          // Dated when set aside, like a window's late records: Kafka's time retention would delete an old date at once.
          timestamp: ctx.wallClockTime(),
          value: { eventTime: record.timestamp, streamTime: ctx.streamTime(), blockStart, blockMs: o.blockMs, grace: o.graceMs, value: record.value },
          headers: { 'late.reason': reason },
        });
      };

      // Closes the blocks whose end + grace stream time has passed, and tombstones chunks past the retention.
      const close = (streamTime: number) => {
        const closing: [string, OpenBlock][] = [];
        for (const entry of open.entries()) if (entry[1].start + o.blockMs + o.graceMs <= streamTime) closing.push(entry);
        closing.sort((a, b) => a[1].start - b[1].start || (a[0] < b[0] ? -1 : 1));
        for (const [storeKey, block] of closing) {
          const key = chunkKey(block.series, block.start);
          const end = block.start + o.blockMs;
          const chunk = encodeChunk({ timestamps: block.timestamps, values: Float64Array.from(block.values) });
          const value: ChunkRecord = { series: block.series, block_start: block.start, block_end: end, points: block.values.length, chunk: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) };
          // Dated at the block's end: Kafka's time retention then agrees with the chunk's age.
          ctx.emit('chunks', { key, timestamp: end, value, headers: {} });
          open.delete(storeKey);
          if (o.retentionMs !== null) published.put(key, end);
          chunks++;
        }
        if (o.retentionMs === null || !Number.isFinite(streamTime)) return;
        // Published blocks come in the order they closed, which is block order: stop at the first one still kept.
        const expired: string[] = [];
        for (const [key, end] of published.entries()) {
          if (end + o.retentionMs > streamTime) break;
          expired.push(key);
        }
        for (const key of expired) {
          ctx.emit('chunks', { key, timestamp: streamTime, value: null, headers: {} });
          published.delete(key);
        }
      };

      return {
        init(context) {
          ctx = context;
          open = ctx.store(openDefinition);
          published = ctx.store(publishedDefinition);
          ctx.schedule(Math.min(60_000, o.blockMs), 'stream-time', close);
          ctx.gauge(`chunk_open_blocks{store="${o.store}"}`, () => open.size);
          ctx.gauge(`chunks_written_total{store="${o.store}"}`, () => chunks);
          ctx.gauge(`chunk_late_points_total{store="${o.store}"}`, () => late);
        },
        process(record) {
          // Histograms and summaries are not single numbers: their rollups carry them. They pass on untouched.
          if (record.value.type !== 'gauge' && record.value.type !== 'sum') return ctx.forward(record);
          const series = record.key ?? '';
          const start = Math.floor(record.timestamp / o.blockMs) * o.blockMs;
          const storeKey = chunkKey(series, start);
          let block = open.get(storeKey);
          if (block === undefined && start + o.blockMs + o.graceMs <= ctx.streamTime()) return setAside(record, 'block closed', start);
          if (block !== undefined && block.values.length >= o.maxPointsPerBlock) return setAside(record, 'block full', start);
          block ??= { series, start, timestamps: [], values: [] };
          block.timestamps.push(record.timestamp);
          block.values.push(chunkValue(record.value));
          open.put(storeKey, block);
          ctx.forward(record);
        },
        // End of a finite input (a backfill): every open block is written as it stands.
        flush: () => close(Number.POSITIVE_INFINITY),
      };
    },
  };
}
