// The log index: log records of otlp_logs → segments of rows in the compacted otlp.logs.blocks topic (a compressed
// columnar block, src/logs/block.ts) and each segment's full-text index in the compacted otlp.index topic
// (src/logs/segmentIndex.ts in the LogSegment record of src/logs/indexRecord.ts), both under the key
// `logs/<tenant>/<block start>/<partition>/<seq>` and written to the task's own partition (co-partitioned with
// otlp_logs), so a query replica that holds partition p holds p's blocks and their index (docs/logs.md).
//
// A record goes to the time block of its time. Rows of one tenant and block gather in memory and become a segment
// when `maxSegmentRecords` are there, and every `flushIntervalMs` of stream time. Rows are sorted by time within a
// segment, so a posting's last ordinals are its newest rows. At a commit, rows not yet in a segment are put in the
// store as a chunk (each row once), so a crash loses none: the next owner restores them and goes on. With patterns
// on, a segment's rows are mined (src/logs/patterns/drain.ts) per tenant and service when the segment is written; the
// miners' state is put in the store at the commit. When stream time passes a block's end + retention, every segment
// key of the block gets a tombstone in both topics.
import { compress } from 'snappyjs';
import type { Config } from '../../config/index.ts';
import { TENANT_HEADER, type LogRecord } from '../../otlp/index.ts';
import type { ProcessorContext, ProcessorDefinition } from '../../runtime/processor.ts';
import { keyValueStore } from '../../runtime/stores.ts';
import { stringSerde, type KeyValueStore, type Serde } from '../../state/index.ts';
import { decodeLogBlock, encodeLogBlock } from '../../logs/block.ts';
import { LogIndexCodec, logSegmentKey, type LogCount, type LogPattern, type LogSegmentEntry } from '../../logs/indexRecord.ts';
import { logRow, severityLevel, type LogRow } from '../../logs/model.ts';
import { PatternMiner, type PatternMinerOptions } from '../../logs/patterns/drain.ts';
import { buildSegmentIndex, encodeSegmentIndex } from '../../logs/segmentIndex.ts';
import { forEachToken } from '../../logs/tokenize.ts';

/** What the index output encodes with: the registry-framed Avro codec (tests may give an offline one). */
export interface LogIndexEncoder {
  prepare(config: Config): Promise<void>;
  encode(entry: LogSegmentEntry): Buffer;
}

/** Options of `logIndex`. */
export interface LogIndexOptions {
  /** Names the store (`<application>-<store>-changelog`): block states, unwritten rows, pattern miners. */
  store: string;
  /** The compacted topic of the rows (otlp.logs.blocks). */
  blocksTopic: string;
  /** The compacted index topic (otlp.index). */
  indexTopic: string;
  /** Block length, ms; blocks align on the epoch. */
  blockMs: number;
  /** Segments of what gathered are written every this many ms of stream time. */
  flushIntervalMs: number;
  /** A segment holds at most this many rows. */
  maxSegmentRecords: number;
  /** Segments of a block get tombstones this long (stream time) after the block ended. */
  retentionMs: number;
  /** Mine templates per service; undefined: off. */
  patterns?: Partial<PatternMinerOptions>;
  /** Default: the registry codec of `indexTopic`. */
  codec?: LogIndexEncoder;
}

/** Per tenant and block: segments written, chunks of unwritten rows in the store. */
interface BlockState {
  tenant: string;
  blockStart: number;
  segments: number;
  chunks: number;
}

/** Rows of a block waiting for their segment; the first `saved` are in the store's chunks. */
interface OpenRows {
  rows: LogRow[];
  saved: number;
}

const bytesSerde: Serde<Buffer> = { serialize: (b) => b, deserialize: (b) => Buffer.from(b) };

const MINUTE = 60_000;

/** The block start (ms) of a time. */
export const logBlockOf = (timeMs: number, blockMs: number): number => Math.floor(timeMs / blockMs) * blockMs;

/** Records per minute, service and level. */
export function countRows(rows: readonly LogRow[]): LogCount[] {
  const counts = new Map<string, LogCount>();
  for (const row of rows) {
    const minute = Math.floor(row.timeMs / MINUTE) * MINUTE;
    const level = severityLevel(row.severityNumber);
    const id = `${minute}\0${row.service}\0${level}`;
    const c = counts.get(id);
    if (c) c.count++;
    else counts.set(id, { minute, service: row.service, level, count: 1 });
  }
  return [...counts.values()];
}

/** Oldest first, stable (equal times keep arrival order). */
const byTime = (a: LogRow, b: LogRow) => a.timeMs - b.timeMs || a.timeNanos - b.timeNanos;

/** Writes log records to otlp.logs.blocks and their index to otlp.index; forwards every record unchanged. */
export function logIndex(o: LogIndexOptions): ProcessorDefinition<LogRecord, LogRecord> {
  if (!(o.blockMs > 0 && o.flushIntervalMs > 0 && o.retentionMs > 0)) throw new RangeError('log index: block, flush interval and retention must be > 0 ms');
  if (!(Number.isInteger(o.maxSegmentRecords) && o.maxSegmentRecords >= 1)) throw new RangeError(`log index: max segment records must be an integer ≥ 1, got ${o.maxSegmentRecords}`);
  const codec = o.codec ?? new LogIndexCodec(o.indexTopic);
  const storeDefinition = keyValueStore<string, Buffer>({ name: o.store, keySerde: stringSerde, valueSerde: bytesSerde });
  return {
    name: `log index ${o.store}`,
    stores: [storeDefinition],
    outputs: {
      // Time retention from the block's start, a block longer than the tombstones come: nothing outlives its index.
      blocks: { topic: o.blocksTopic, compacted: true, coPartitioned: true, retentionMs: o.retentionMs + 2 * o.blockMs },
      index: { topic: o.indexTopic, compacted: true, coPartitioned: true, value: (v) => (v === null ? null : codec.encode(v as LogSegmentEntry)) },
    },
    prepare: (config) => codec.prepare(config),
    create() {
      let ctx: ProcessorContext<LogRecord>;
      let store: KeyValueStore<string, Buffer>;
      /** Blocks with a state, by `<tenant>/<block start>` (tenants never hold '/'). */
      const blocks = new Map<string, BlockState>();
      const open = new Map<string, OpenRows>();
      const miners = new Map<string, PatternMiner>();
      const changedMiners = new Set<string>();
      let openRows = 0;
      let segmentsWritten = 0;
      let expired = 0;

      const blockId = (tenant: string, blockStart: number) => `${tenant}/${blockStart}`;
      const putBlock = (id: string, b: BlockState) => store.put(`b/${id}`, Buffer.from(JSON.stringify(b)));

      const minerOf = (tenant: string, service: string): PatternMiner => {
        const id = `${tenant}/${service}`;
        let miner = miners.get(id);
        if (miner === undefined) {
          const saved = store.get(`m/${id}`);
          miner = saved === undefined ? new PatternMiner(o.patterns) : PatternMiner.fromBytes(saved, o.patterns);
          miners.set(id, miner);
        }
        changedMiners.add(id);
        return miner;
      };

      const mine = (tenant: string, rows: readonly LogRow[]): LogPattern[] => {
        const byCluster = new Map<string, { service: string; miner: PatternMiner; id: number; counts: Map<number, number> }>();
        for (const row of rows) {
          const miner = minerOf(tenant, row.service);
          const { id } = miner.add(row.body);
          const at = `${row.service}\0${id}`;
          let p = byCluster.get(at);
          if (p === undefined) byCluster.set(at, (p = { service: row.service, miner, id, counts: new Map() }));
          const minute = Math.floor(row.timeMs / MINUTE) * MINUTE;
          p.counts.set(minute, (p.counts.get(minute) ?? 0) + 1);
        }
        // Templates as they are once the whole segment is mined (a cluster generalizes as lines arrive).
        const templates = new Map<PatternMiner, Map<number, string>>();
        const out: LogPattern[] = [];
        for (const p of byCluster.values()) {
          let byId = templates.get(p.miner);
          if (byId === undefined) templates.set(p.miner, (byId = new Map(p.miner.clusters().map((c) => [c.id, c.template]))));
          out.push({ service: p.service, template: byId.get(p.id) ?? '', counts: [...p.counts].map(([minute, count]) => ({ minute, count })) });
        }
        return out;
      };

      const writeSegment = (id: string) => {
        const pending = open.get(id);
        const b = blocks.get(id)!;
        if (pending === undefined || pending.rows.length === 0) return;
        for (let from = 0; from < pending.rows.length; from += o.maxSegmentRecords) {
          const rows = pending.rows.slice(from, from + o.maxSegmentRecords).sort(byTime);
          const seq = b.segments++;
          const key = logSegmentKey(b.tenant, b.blockStart, ctx.partition, seq);
          const timestamp = b.blockStart;
          const headers: Record<string, string> = b.tenant === '' ? {} : { [TENANT_HEADER]: b.tenant };
          ctx.emit('blocks', { key, timestamp, value: encodeLogBlock(rows), headers });
          const entry: LogSegmentEntry = {
            tenant: b.tenant,
            blockStart: b.blockStart,
            blockEnd: b.blockStart + o.blockMs,
            partition: ctx.partition,
            seq,
            records: rows.length,
            minTimeMs: rows[0].timeMs,
            maxTimeMs: rows[rows.length - 1].timeMs,
            // Snappy: term dictionaries and postings of log lines compress by about a fifth.
            terms: Buffer.from(compress(encodeSegmentIndex(buildSegmentIndex(rows, forEachToken)))),
            counts: countRows(rows),
            patterns: o.patterns === undefined ? [] : mine(b.tenant, rows),
          };
          ctx.emit('index', { key, timestamp, value: entry, headers });
          segmentsWritten++;
        }
        openRows -= pending.rows.length;
        open.delete(id);
        for (let n = 0; n < b.chunks; n++) store.delete(`c/${id}/${n}`);
        b.chunks = 0;
        putBlock(id, b);
      };

      const writeAll = () => {
        for (const id of [...open.keys()].sort()) writeSegment(id);
      };

      // Segments of everything gathered, then tombstones of the blocks past their retention.
      const check = (now: number) => {
        writeAll();
        if (!Number.isFinite(now)) return;
        for (const [id, b] of [...blocks].sort((x, y) => x[1].blockStart - y[1].blockStart)) {
          if (b.blockStart + o.blockMs + o.retentionMs > now) continue;
          const at = b.blockStart + o.blockMs + o.retentionMs;
          const headers: Record<string, string> = b.tenant === '' ? {} : { [TENANT_HEADER]: b.tenant };
          for (let seq = 0; seq < b.segments; seq++) {
            const key = logSegmentKey(b.tenant, b.blockStart, ctx.partition, seq);
            ctx.emit('blocks', { key, timestamp: at, value: null, headers });
            ctx.emit('index', { key, timestamp: at, value: null, headers });
          }
          blocks.delete(id);
          store.delete(`b/${id}`);
        }
      };

      return {
        init(context) {
          ctx = context;
          store = ctx.store(storeDefinition);
          // Restore: block states, then the rows of unwritten chunks in chunk order.
          const chunks: Array<{ id: string; n: number; bytes: Buffer }> = [];
          for (const [key, value] of store.entries()) {
            if (key.startsWith('b/')) {
              const b = JSON.parse(value.toString('utf8')) as BlockState;
              blocks.set(key.slice(2), b);
            } else if (key.startsWith('c/')) {
              const at = key.lastIndexOf('/');
              chunks.push({ id: key.slice(2, at), n: Number(key.slice(at + 1)), bytes: value });
            }
          }
          chunks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.n - b.n));
          for (const c of chunks) {
            let pending = open.get(c.id);
            if (pending === undefined) open.set(c.id, (pending = { rows: [], saved: 0 }));
            const rows = decodeLogBlock(c.bytes);
            for (const row of rows) pending.rows.push(row);
            pending.saved = pending.rows.length;
            openRows += rows.length;
          }
          ctx.schedule(o.flushIntervalMs, 'stream-time', check);
          // With the worker's idle flush on (`run --idle-flush`), a quiet partition's rows are written by wall clock too.
          ctx.schedule(o.flushIntervalMs, 'wall-clock', writeAll);
          ctx.gauge(`log_index_open_records{store="${o.store}"}`, () => openRows);
          ctx.gauge(`log_index_blocks{store="${o.store}"}`, () => blocks.size);
          ctx.gauge(`log_index_segments_total{store="${o.store}"}`, () => segmentsWritten);
          ctx.gauge(`log_index_expired_records_total{store="${o.store}"}`, () => expired);
        },
        process(record) {
          const row = logRow(record.value);
          ctx.forward(record);
          const blockStart = logBlockOf(row.timeMs, o.blockMs);
          // A block past the retention has been tombstoned (or would be at once): indexing it would revive it.
          if (blockStart + o.blockMs + o.retentionMs <= ctx.streamTime()) {
            expired++;
            return;
          }
          const tenant = record.headers[TENANT_HEADER] ?? '';
          const id = blockId(tenant, blockStart);
          if (!blocks.has(id)) {
            const b = { tenant, blockStart, segments: 0, chunks: 0 };
            blocks.set(id, b);
            putBlock(id, b);
          }
          let pending = open.get(id);
          if (pending === undefined) open.set(id, (pending = { rows: [], saved: 0 }));
          pending.rows.push(row);
          openRows++;
          if (pending.rows.length >= o.maxSegmentRecords) writeSegment(id);
        },
        commit() {
          for (const [id, pending] of open) {
            if (pending.saved === pending.rows.length) continue;
            const b = blocks.get(id)!;
            store.put(`c/${id}/${b.chunks++}`, encodeLogBlock(pending.rows.slice(pending.saved)));
            pending.saved = pending.rows.length;
            putBlock(id, b);
          }
          for (const id of changedMiners) store.put(`m/${id}`, miners.get(id)!.toBytes());
          changedMiners.clear();
        },
        flush: () => check(Number.POSITIVE_INFINITY),
      };
    },
  };
}
