// Materialization: follows otlp.traces, otlp.index (the partitions this replica serves) and otlp.series (all of
// it: the series catalog is keyed by series, not co-partitioned with spans, and small) into the store.
//
// kafkajs has no manual assignment: a consumer group of its own (a random id per run, never committed) with an
// assigner that hands its only member exactly the served partitions stands in for it. Where to read from is the
// store's: each fetched batch is applied in one LMDB transaction together with the partition's next offset, and on
// every group join the consumer seeks each partition to that stored offset, so a restart (or a re-join) resumes
// exactly where the store is — never re-applying an older record over a newer one.
//
// Ready once every served partition reached the end offset it had at start. Transaction markers occupy offsets but
// reach no handler, so a batch's end (END_BATCH_PROCESS, also for batches of markers only) moves the position.
import { randomBytes } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Config } from '../config/index.ts';
import { fixedAssigner } from '../kafka/fixedAssigner.ts';
import type { Logger } from '../log.ts';
import { seriesCodec, type SeriesRecord } from '../operators/metrics/seriesCatalog.ts';
import { traceIndexCodec, type TraceIndexCodec } from '../operators/traces/indexRecord.ts';
import type { AvroCodec } from '../kafka/avro.ts';
import { isLogIndexKey, LogIndexCodec } from '../logs/indexRecord.ts';
import { applyIndexRecord, applyTraceRecord, PoisonRecord } from './apply.ts';
import { applyLogBlockRecord, applyLogIndexRecord } from './logs/apply.ts';
import type { LogStore } from './logs/store.ts';
import type { QueryMetrics } from './metrics.ts';
import type { QueryStore } from './store.ts';

/** Where otlp.series records go (the Prometheus series catalog), inside the batch's LMDB transaction. */
export interface SeriesSink {
  apply(key: string, record: SeriesRecord | null): void;
}

export interface MaterializerOptions {
  traces: string;
  index: string;
  /** Omitted: no series catalog. */
  series?: string;
  /** The log blocks topic (otlp.logs.blocks); omitted: no logs. */
  logs?: string;
  /** Where log blocks and log index records go (with `logs`). */
  logStore?: LogStore;
  /** Partitions of otlp.traces / otlp.index served; undefined = all. */
  partitions?: readonly number[];
  seriesSink?: SeriesSink;
  metrics: QueryMetrics;
  log: Logger;
  /** Progress lines while catching up; default 5 s. */
  progressIntervalMs?: number;
  /** How long to wait for a missing topic between checks; default 2 s. */
  topicRetryMs?: number;
}

type Assignment = Record<string, number[]>;

const place = (topic: string, partition: number) => `${topic}\0${partition}`;

/** Parses `0-3,7` into partition numbers; throws naming the bad part. */
export function parsePartitions(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`--partitions: "${part}" is not a partition number or range (e.g. 0-3,7)`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new Error(`--partitions: range "${part}" ends before it starts`);
    if (to - from > 100_000) throw new Error(`--partitions: range "${part}" is too large`);
    for (let p = from; p <= to; p++) out.add(p);
  }
  if (out.size === 0) throw new Error('--partitions: no partitions given');
  return [...out].sort((a, b) => a - b);
}

/** Follows the topics into the store; `ready` resolves once caught up with the ends seen at start. */
export class Materializer {
  private consumer: Consumer | undefined;
  private readonly indexCodec: TraceIndexCodec;
  private readonly logIndexCodec: LogIndexCodec;
  private readonly seriesCodec: AvroCodec<SeriesRecord> | undefined;
  private readonly ends = new Map<string, bigint>();
  private readonly positions = new Map<string, bigint>();
  private assignment: Assignment = {};
  private stopped = false;
  private readyAt: number | undefined;
  private startedAt = Date.now();
  private resolveReady!: () => void;
  private progressTimer: NodeJS.Timeout | undefined;
  private poisonLogged = 0;
  private applied = { records: 0, spans: 0, logs: 0 };
  /** Resolves once every served partition reached its end offset seen at start. */
  readonly ready: Promise<void>;

  private readonly kafka: Kafka;
  private readonly config: Config;
  private readonly store: QueryStore;
  private readonly options: MaterializerOptions;

  constructor(kafka: Kafka, config: Config, store: QueryStore, options: MaterializerOptions) {
    this.kafka = kafka;
    this.config = config;
    this.store = store;
    this.options = options;
    this.indexCodec = traceIndexCodec(options.index);
    this.logIndexCodec = new LogIndexCodec(options.index);
    this.seriesCodec = options.series !== undefined ? seriesCodec(options.series) : undefined;
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
  }

  isReady(): boolean {
    return this.readyAt !== undefined;
  }

  /** Records and spans applied since start, and seconds to catch up (once ready). */
  stats(): { records: number; spans: number; logs: number; catchUpSeconds: number | undefined } {
    return { ...this.applied, catchUpSeconds: this.readyAt === undefined ? undefined : (this.readyAt - this.startedAt) / 1000 };
  }

  /** Partitions of otlp.traces served (after start). */
  servedPartitions(): number[] {
    return this.assignment[this.options.traces] ?? [];
  }

  /** Connects, finds the ends and starts following; resolves once the consumer runs (not when ready). */
  async start(): Promise<void> {
    this.startedAt = Date.now();
    const { log } = this.options;
    await this.indexCodec.prepare(this.config);
    if (this.options.logs !== undefined) await this.logIndexCodec.prepare(this.config);
    if (this.seriesCodec) await this.seriesCodec.prepare(this.config);
    const topics = [this.options.traces, this.options.index, ...(this.options.logs !== undefined ? [this.options.logs] : []), ...(this.options.series !== undefined ? [this.options.series] : [])];
    const offsets = await this.topicOffsets(topics);
    if (this.stopped) return;
    const served = this.options.partitions === undefined ? undefined : new Set(this.options.partitions);
    for (const topic of topics) {
      const all = topic === this.options.series || served === undefined;
      const partitions = offsets.get(topic)!.filter((o) => all || served!.has(o.partition));
      this.assignment[topic] = partitions.map((o) => o.partition);
      for (const o of partitions) {
        const stored = this.store.offsets.get([topic, o.partition]);
        const at = place(topic, o.partition);
        this.ends.set(at, BigInt(o.high));
        this.positions.set(at, stored !== undefined ? BigInt(stored) : BigInt(o.low));
      }
    }
    if (served !== undefined) {
      const missing = [...served].filter((p) => !this.assignment[this.options.traces].includes(p));
      if (missing.length > 0) log.warn({ missing, topic: this.options.traces }, 'served partitions the topic does not have');
    }
    log.info({ assignment: this.assignment }, 'materializing');
    const consumer = this.kafka.consumer({
      groupId: `otlp-streams-query-${randomBytes(6).toString('hex')}`,
      readUncommitted: false,
      partitionAssigners: [fixedAssigner('OtlpStreamsQuery', this.assignment)],
      maxBytesPerPartition: 8 << 20,
      maxBytes: 64 << 20,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => this.seekToStored());
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => this.batchEnded(payload.topic, payload.partition, BigInt(payload.lastOffset) + 1n, payload.batchSize));
    consumer.on(consumer.events.CRASH, ({ payload }) => log.error({ err: payload.error, restart: payload.restart }, 'materializing consumer crashed'));
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    this.checkReady();
    this.progressTimer = setInterval(() => this.progress(), this.options.progressIntervalMs ?? 5000);
    this.progressTimer.unref();
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: async (payload) => this.applyBatch(payload) });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.progressTimer);
    await this.consumer?.disconnect();
  }

  // The ends of each topic, waiting for topics that do not exist yet (the topologies create them).
  private async topicOffsets(topics: string[]): Promise<Map<string, { partition: number; high: string; low: string }[]>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const out = new Map<string, { partition: number; high: string; low: string }[]>();
      for (const topic of topics) {
        let warned = false;
        while (!this.stopped) {
          try {
            out.set(topic, await admin.fetchTopicOffsets(topic));
            break;
          } catch (err) {
            if (!warned) this.options.log.warn({ topic, err: (err as Error).message }, 'waiting for the topic to exist');
            warned = true;
            await new Promise((r) => setTimeout(r, this.options.topicRetryMs ?? 2000));
          }
        }
      }
      return out;
    } finally {
      await admin.disconnect();
    }
  }

  private seekToStored(): void {
    for (const [topic, partitions] of Object.entries(this.assignment)) {
      for (const partition of partitions) {
        const stored = this.store.offsets.get([topic, partition]);
        if (stored !== undefined) this.consumer!.seek({ topic, partition, offset: stored });
      }
    }
  }

  private applyBatch({ batch }: EachBatchPayload): void {
    const { topic, partition } = batch;
    const { metrics } = this.options;
    let spans = 0;
    let logs = 0;
    let poison = 0;
    const logStore = this.options.logStore;
    this.store.root.transactionSync(() => {
      for (const message of batch.messages) {
        const key = message.key === null ? null : message.key.toString('utf8');
        try {
          if (topic === this.options.traces) spans += applyTraceRecord(this.store, key, message.value);
          else if (topic === this.options.index) {
            if (key !== null && isLogIndexKey(key)) {
              if (logStore !== undefined) logs += applyLogIndexRecord(logStore, this.logIndexCodec, key, message.value);
            } else applyIndexRecord(this.store, this.indexCodec, key, message.value);
          } else if (topic === this.options.logs) {
            if (logStore !== undefined) applyLogBlockRecord(logStore, key, message.value);
          }
          else if (key === null) throw new PoisonRecord('otlp.series record without a key');
          else this.applySeries(key, message.value);
        } catch (err) {
          if (!(err instanceof PoisonRecord)) throw err;
          poison++;
          this.logPoison(topic, partition, message.offset, err.message);
        }
      }
      this.store.offsets.putSync([topic, partition], (BigInt(batch.lastOffset()) + 1n).toString());
    });
    const applied = batch.messages.length - poison;
    this.applied.records += applied;
    this.applied.spans += spans;
    this.applied.logs += logs;
    metrics.records.inc({ topic }, applied);
    if (spans > 0) metrics.spans.inc(spans);
    if (poison > 0) metrics.poison.inc({ topic }, poison);
    metrics.lag.set({ topic, partition }, Number(batch.offsetLag()));
  }

  private applySeries(key: string, value: Buffer | null): void {
    if (!this.options.seriesSink || !this.seriesCodec) return;
    let record: SeriesRecord | null = null;
    if (value !== null) {
      try {
        record = this.seriesCodec.decode(value);
      } catch (err) {
        throw new PoisonRecord(`otlp.series key "${key}": ${(err as Error).message}`);
      }
    }
    this.options.seriesSink.apply(key, record);
  }

  private logPoison(topic: string, partition: number, offset: string, error: string): void {
    // The first ones each, then one in a thousand: a topic of garbage must not flood the log.
    this.poisonLogged++;
    if (this.poisonLogged <= 20 || this.poisonLogged % 1000 === 0) this.options.log.warn({ topic, partition, offset, error, poison: this.poisonLogged }, 'skipped a record that cannot be read');
  }

  private batchEnded(topic: string, partition: number, next: bigint, batchSize: number): void {
    const at = place(topic, partition);
    if (next > (this.positions.get(at) ?? 0n)) this.positions.set(at, next);
    // A batch of transaction markers only: nothing was applied, but the stored offset may move past them.
    if (batchSize === 0 && !this.stopped) this.store.offsets.putSync([topic, partition], next.toString());
    this.checkReady();
  }

  private checkReady(): void {
    if (this.readyAt !== undefined) return;
    for (const [at, end] of this.ends) if ((this.positions.get(at) ?? 0n) < end) return;
    this.readyAt = Date.now();
    const seconds = (this.readyAt - this.startedAt) / 1000;
    this.options.metrics.catchUpSeconds.set(seconds);
    this.options.metrics.ready.set(1);
    clearInterval(this.progressTimer);
    this.options.log.info({ records: this.applied.records, spans: this.applied.spans, logs: this.applied.logs, seconds }, `ready after ${this.applied.records} records in ${seconds.toFixed(1)} s`);
    this.resolveReady();
  }

  private progress(): void {
    if (this.readyAt !== undefined) return;
    const seconds = (Date.now() - this.startedAt) / 1000;
    let behind = 0n;
    for (const [at, end] of this.ends) {
      const position = this.positions.get(at) ?? 0n;
      if (position < end) behind += end - position;
    }
    this.options.log.info(
      { records: this.applied.records, spans: this.applied.spans, logs: this.applied.logs, spansPerSecond: Math.round(this.applied.spans / Math.max(seconds, 0.001)), offsetsBehind: Number(behind) },
      'catching up',
    );
  }
}
