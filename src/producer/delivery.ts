// Delivery to Kafka: a few lanes, each one kafkajs producer with one send in flight at a time and the requests
// that arrive meanwhile grouped into its next send ("group commit"). One send at a time per producer is what
// kafkajs' idempotent producer needs (concurrent sends to one partition can reuse sequence numbers); several
// lanes keep the broker busy while one waits for its acknowledgement or commit.
//
// Modes:
//   transactional  every group is one Kafka transaction, so a group is either wholly visible to read_committed
//                  consumers or not at all: a request that got an error left nothing behind (nothing half-written).
//   idempotent     plain acks=all idempotent sends; when a group fails part of it may already be on Kafka, and
//                  the client's retry writes those records again (at-least-once).
// On any failure the producer is dropped and a fresh one connects in the background; with the same
// transactional id the fresh one fences the old and the broker aborts its open transaction.
import { CompressionTypes } from '../kafka/kafkajs.ts';
import type { IHeaders, Kafka, Producer, ProducerBatch, TopicMessages } from 'kafkajs';
import type { Logger } from '../log.ts';
import { KafkaUnavailableError, ProducerClosedError } from './errors.ts';

/** A record with its partition already chosen. */
export interface PlacedRecord {
  topic: string;
  partition: number;
  key: Buffer;
  value: Buffer;
  headers?: IHeaders;
}

export type DeliveryMode = 'transactional' | 'idempotent';
export type DeliveryState = 'connecting' | 'ready' | 'unavailable' | 'closed';

export interface DeliveryOptions {
  kafka: Kafka;
  mode: DeliveryMode;
  /** Lane i uses `${transactionalId}-${i}`. */
  transactionalId: string;
  /** Producers writing in parallel. */
  lanes: number;
  /** A group stops growing past this many bytes (a single larger request still goes alone). */
  maxGroupBytes: number;
  /** A group not acknowledged within this time counts as failed. */
  timeoutMs: number;
  /** Broker limit for one partition's record batch. */
  maxMessageBytes: (topic: string) => number;
  /** Runs after every (re)connect, before the producer is declared ready. */
  onConnect: () => Promise<void>;
  log: Logger;
}

interface Pending {
  records: PlacedRecord[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const RECORD_OVERHEAD = 32; // varints and attributes per record, generous
const BATCH_OVERHEAD = 128; // record batch header, generous

/** Approximate bytes one record takes in a record batch. */
export function recordBytes(r: Pick<PlacedRecord, 'key' | 'value' | 'headers'>): number {
  let n = r.key.length + r.value.length + RECORD_OVERHEAD;
  if (r.headers) for (const [k, v] of Object.entries(r.headers)) n += k.length + (Buffer.isBuffer(v) ? v.length : String(v).length) + 8;
  return n;
}

/** Sends records through the least busy ready lane; see the file comment. */
export class Delivery {
  private readonly lanes: Lane[];

  constructor(opts: DeliveryOptions) {
    this.lanes = Array.from({ length: opts.lanes }, (_, i) => new Lane(opts, `${opts.transactionalId}-${i}`));
  }

  /** ready when some lane can take records; unavailable when none can. */
  get state(): DeliveryState {
    const states = this.lanes.map((l) => l.state);
    if (states.includes('ready')) return 'ready';
    if (states.every((s) => s === 'closed')) return 'closed';
    return states.includes('unavailable') ? 'unavailable' : 'connecting';
  }

  /** Connects every lane; throws when Kafka cannot be reached. */
  async start(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.start()));
  }

  /** Resolves once Kafka acknowledged (and, transactional, committed) every record. */
  deliver(records: PlacedRecord[], bytes: number): Promise<void> {
    let best: Lane | undefined;
    for (const lane of this.lanes) if (lane.state === 'ready' && (best === undefined || lane.load < best.load)) best = lane;
    return (best ?? this.lanes[0]).deliver(records, bytes);
  }

  /** Waits for queued groups, then disconnects. */
  async close(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.close()));
  }
}

// One producer and its queue.
class Lane {
  private readonly opts: DeliveryOptions;
  private producer: Producer | undefined;
  private queue: Pending[] = [];
  private sending = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = 250;
  private current: Promise<void> = Promise.resolve();
  private readonly transactionalId: string;
  private queuedBytes = 0;
  state: DeliveryState = 'connecting';

  constructor(opts: DeliveryOptions, transactionalId: string) {
    this.opts = opts;
    this.transactionalId = transactionalId;
  }

  /** Bytes queued or being sent. */
  get load(): number {
    return this.queuedBytes;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  deliver(records: PlacedRecord[], bytes: number): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new ProducerClosedError('producer closed'));
    if (this.state !== 'ready') return Promise.reject(new KafkaUnavailableError(`Kafka unavailable (producer ${this.state})`));
    return new Promise((resolve, reject) => {
      this.queuedBytes += bytes;
      const done = () => (this.queuedBytes -= bytes);
      this.queue.push({
        records,
        bytes,
        resolve: () => {
          done();
          resolve();
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      if (!this.sending) this.current = this.drain();
    });
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    while (this.sending || this.queue.length > 0) await this.current;
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    await this.producer?.disconnect().catch(() => {});
    this.producer = undefined;
  }

  private async connect(): Promise<void> {
    const { kafka, mode } = this.opts;
    const transactionalId = this.transactionalId;
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId: mode === 'transactional' ? transactionalId : undefined,
      // Short transactions: a gateway that dies mid-transaction blocks read_committed readers at most this long.
      transactionTimeout: 10_000,
      // Short first retries: right after a commit the coordinator answers CONCURRENT_TRANSACTIONS to the next
      // AddPartitionsToTxn until its markers are written (a few ms); kafkajs' default 300 ms wait made that the
      // latency tail. Few retries: when Kafka is really gone the client retries, and a fresh producer replaces this one.
      retry: { retries: 6, initialRetryTime: 10, maxRetryTime: 1000 },
    });
    try {
      await producer.connect();
      if (mode === 'transactional') {
        // Registers the transactional id (fencing any older producer with it); an empty abort sends nothing.
        const tx = await producer.transaction();
        await tx.abort();
      }
      await this.opts.onConnect();
    } catch (err) {
      await producer.disconnect().catch(() => {});
      throw err;
    }
    if (this.state === 'closed') {
      await producer.disconnect().catch(() => {});
      return;
    }
    this.producer = producer;
    this.state = 'ready';
    this.reconnectDelayMs = 250;
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0 && this.state === 'ready') {
        const group = this.takeGroup();
        try {
          await this.withTimeout(this.send(group.flatMap((p) => p.records)));
          for (const p of group) p.resolve();
        } catch (err) {
          const error = err instanceof KafkaUnavailableError ? err : new KafkaUnavailableError(`Kafka write failed: ${(err as Error).message}`, 5, { cause: err });
          for (const p of group) p.reject(error);
          this.fail(error);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private takeGroup(): Pending[] {
    const group: Pending[] = [this.queue.shift()!];
    let bytes = group[0].bytes;
    while (this.queue.length > 0 && bytes + this.queue[0].bytes <= this.opts.maxGroupBytes) {
      const next = this.queue.shift()!;
      bytes += next.bytes;
      group.push(next);
    }
    return group;
  }

  private async send(records: PlacedRecord[]): Promise<void> {
    const producer = this.producer!;
    const rounds = this.rounds(records);
    if (this.opts.mode === 'idempotent') {
      for (const round of rounds) await producer.sendBatch(round);
      return;
    }
    const tx = await producer.transaction();
    try {
      for (const round of rounds) await tx.sendBatch(round);
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => {}); // the broker aborts it anyway once the next producer fences this one
      throw err;
    }
  }

  // Each partition's records cut into chunks under the broker's batch limit; round i sends chunk i of every partition,
  // in several sends when those chunks together pass maxGroupBytes: kafkajs encodes and compresses a send in one go,
  // holding the event loop, so a large request must not become one send of many megabytes.
  private rounds(records: PlacedRecord[]): ProducerBatch[] {
    const byPartition = new Map<string, { topic: string; chunks: PlacedRecord[][]; bytes: number }>();
    for (const r of records) {
      const id = `${r.topic}\u0000${r.partition}`;
      let p = byPartition.get(id);
      if (p === undefined) byPartition.set(id, (p = { topic: r.topic, chunks: [[]], bytes: BATCH_OVERHEAD }));
      const size = recordBytes(r);
      if (p.bytes + size > this.opts.maxMessageBytes(r.topic) && p.chunks[p.chunks.length - 1].length > 0) {
        p.chunks.push([]);
        p.bytes = BATCH_OVERHEAD;
      }
      p.chunks[p.chunks.length - 1].push(r);
      p.bytes += size;
    }
    const partitions = [...byPartition.values()];
    const rounds: ProducerBatch[] = [];
    const chunksPerPartition = Math.max(0, ...partitions.map((p) => p.chunks.length));
    for (let i = 0; i < chunksPerPartition; i++) {
      let round: ProducerBatch | undefined;
      let roundBytes = 0;
      for (const p of partitions) {
        const chunk = p.chunks[i];
        if (chunk === undefined) continue;
        const bytes = chunk.reduce((n, r) => n + recordBytes(r), 0);
        if (round === undefined || roundBytes + bytes > this.opts.maxGroupBytes) {
          rounds.push((round = { acks: -1, compression: CompressionTypes.Snappy, timeout: this.opts.timeoutMs, topicMessages: [] }));
          roundBytes = 0;
        }
        roundBytes += bytes;
        const topicMessages = round.topicMessages as TopicMessages[];
        let entry = topicMessages.find((t) => t.topic === p.topic);
        if (entry === undefined) topicMessages.push((entry = { topic: p.topic, messages: [] }));
        for (const r of chunk) entry.messages.push({ key: r.key, value: r.value, partition: r.partition, headers: r.headers });
      }
    }
    return rounds;
  }

  private withTimeout(work: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KafkaUnavailableError(`Kafka did not acknowledge within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  // Drops the producer and reconnects in the background with backoff; until then deliver() fails fast.
  private fail(error: Error): void {
    if (this.state === 'closed' || this.state === 'unavailable') return;
    this.opts.log.warn({ err: error.message }, 'Kafka write failed; reconnecting');
    this.state = 'unavailable';
    for (const p of this.queue.splice(0)) p.reject(new KafkaUnavailableError(`Kafka unavailable: ${error.message}`));
    const old = this.producer;
    this.producer = undefined;
    void old?.disconnect().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnectTimer = setTimeout(() => {
      this.connect().then(
        () => this.opts.log.info('Kafka reachable again; producer ready'),
        (err: Error) => {
          if (this.state === 'closed') return;
          this.opts.log.debug({ err: err.message }, 'reconnect failed');
          this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, 5000);
          this.scheduleReconnect();
        },
      );
    }, this.reconnectDelayMs);
    this.reconnectTimer.unref();
  }
}
