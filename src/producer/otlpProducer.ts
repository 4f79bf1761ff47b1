// createOtlpProducer(): OTLP requests in, Kafka records out — keyed and split exactly like the OpenTelemetry
// Collector's kafka exporter with its partition options on (COLLECTOR-KAFKA.md), values kept under the topic's
// max.message.bytes, acks=all, snappy, and an answer only once Kafka has every record (see delivery.ts).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { IHeaders, Kafka } from 'kafkajs';
import {
  decodeLogsJson, decodeMetricsJson, decodeTracesJson, encodeLogs, encodeMetrics, encodeTraces, NO_REQUEST_LIMITS, partitioners, planBySizeSteps,
  planRecords, type OversizedItem, type Partitioner, type PlannedRecord, type RequestLimits, type Signal, type SizePlan,
} from '../otlp/index.ts';
import { componentLogger, type Logger } from '../log.ts';
import { NoRoomError, RecordsTooLargeError } from './errors.ts';
import { Delivery, recordBytes, type DeliveryMode, type DeliveryState, type PlacedRecord } from './delivery.ts';
import { readTopicLayouts, type TopicLayout } from './topics.ts';

/** Default topics: the collector kafka exporter's. */
export const DEFAULT_TOPICS: Readonly<Record<Signal, string>> = { traces: 'otlp_spans', metrics: 'otlp_metrics', logs: 'otlp_logs' };

export type PartitionerName = Partitioner['name'];
export type RequestFormat = 'protobuf' | 'json';

export interface OtlpProducerOptions {
  kafka: Kafka;
  /**
   * murmur2 (default): Java's and kafkajs' default, the collector's `sticky_key: {hasher: murmur2}`.
   * sarama_compat: the collector's default. Every producer of a topic must use the same one.
   */
  partitioner?: PartitionerName;
  topics?: Partial<Record<Signal, string>>;
  /** transactional (default): nothing half-written; idempotent: at-least-once. See delivery.ts. */
  delivery?: DeliveryMode;
  /**
   * Lane i adds `-i`. Default: unique per producer (host, pid, random), so producers never fence each other; give
   * one stable per instance to have a restarted instance fence its predecessor.
   */
  transactionalId?: string;
  /** Kafka producers writing in parallel, each with one send or transaction in flight (default 4). */
  producers?: number;
  /** Create missing topics with this many partitions (default 6); false to require them. */
  createTopics?: { numPartitions: number } | false;
  /** Lower the record limit below the topic's max.message.bytes (e.g. to leave room for other producers). */
  maxMessageBytes?: number;
  /** Bytes one group commit may hold (default 1 MiB: encoding and snappy run synchronously, so a group blocks the event loop for as long as it takes). */
  maxGroupBytes?: number;
  /** A request not acknowledged by Kafka within this time fails as unavailable (default 15 s). */
  deliveryTimeoutMs?: number;
  log?: Logger;
}

/** A request split into the records to produce, with the items that can never fit. */
export interface PreparedRequest {
  signal: Signal;
  topic: string;
  records: PlacedRecord[];
  /** Items in the request (spans, data points or log records). */
  items: number;
  /** Items left out because even alone they exceed the topic's message size. */
  rejected: OversizedItem[];
  /** Bytes of the records. */
  bytes: number;
}

/** How `plan()` reads a request and what it may become. */
export interface PlanOptions {
  format?: RequestFormat;
  headers?: IHeaders;
  /** Items per request and attributes per resource (RequestLimitError beyond); default: no limits. */
  limits?: Partial<RequestLimits>;
  /** Most bytes the records may hold (`RequestPlan.heldBytes`); beyond, RecordsTooLargeError before any is built. */
  maxHeldBytes?: number;
  /**
   * Called with the bytes of each record as it is planned, before the next is: false (no room in a memory budget)
   * stops planning with NoRoomError. Planning itself allocates about what it reserves, so reserving as it goes keeps
   * several requests being planned at once within the budget too.
   */
  reserve?: (bytes: number) => boolean;
}

/** A request split into measured records (each passed to `PlanOptions.reserve` as it was planned), none built yet. */
export interface RequestPlan {
  signal: Signal;
  topic: string;
  headers: IHeaders | undefined;
  /** Records it becomes. */
  records: number;
  /** Items in the request, rejected ones included. */
  items: number;
  /** Items left out because even alone they exceed the topic's message size. */
  rejected: OversizedItem[];
  /**
   * Memory the records will hold: keys, values and headers, RECORD_MEMORY_OVERHEAD per record for its objects, and the
   * values of records over the message size, which are built to be split and kept until their pieces are written.
   */
  heldBytes: number;
  /** The records, to build. */
  planned: PlannedRecord[];
}

/** Writes OTLP requests to Kafka with the collector's keys; see the file comment. */
export interface OtlpProducer {
  connect(): Promise<void>;
  /** Waits for what is queued, then disconnects. */
  disconnect(): Promise<void>;
  /** Splits and validates a request without producing; throws OtlpDecodeError for bad input. */
  prepare(signal: Signal, body: Uint8Array | string | object, format?: RequestFormat, headers?: IHeaders): PreparedRequest;
  /**
   * Measures the records a request becomes without allocating them, enforcing `options`' limits; yields to the event
   * loop every few milliseconds. Throws OtlpDecodeError, RequestLimitError, RecordsTooLargeError or NoRoomError.
   */
  plan(signal: Signal, body: Uint8Array | string | object, options?: PlanOptions): Promise<RequestPlan>;
  /** Builds a plan's records, yielding to the event loop every few milliseconds. */
  build(plan: RequestPlan): Promise<PreparedRequest>;
  /** Produces prepared records; resolves once Kafka has all of them. Throws KafkaUnavailableError. */
  send(prepared: PreparedRequest): Promise<void>;
  /** prepare + send. */
  export(signal: Signal, body: Uint8Array | string | object, opts?: { format?: RequestFormat; headers?: IHeaders }): Promise<PreparedRequest>;
  /** The partition a key goes to in a signal's topic. */
  partitionFor(signal: Signal, key: Uint8Array): number;
  readonly state: DeliveryState;
  readonly topics: Readonly<Record<Signal, string>>;
  readonly partitioner: Partitioner;
}

// OTLP/JSON to the protobuf bytes the splitters read (resources without items are dropped on the way).
const FROM_JSON: Record<Signal, (body: unknown) => Uint8Array> = {
  traces: (body) => encodeTraces(decodeTracesJson(body)),
  metrics: (body) => encodeMetrics(decodeMetricsJson(body)),
  logs: (body) => encodeLogs(decodeLogsJson(body)),
};

// Room left in a record batch for the key, headers and record framing.
const RECORD_HEADROOM = 1024;

/**
 * Bytes a record's objects take in memory besides its key and value bytes: its plan, the record, two Buffers, kafkajs'
 * message (measured: ~480 bytes for a planned metrics record; rounded up).
 */
export const RECORD_MEMORY_OVERHEAD = 512;

// Work between two turns of the event loop in plan() and build().
const SLICE_MS = 5;
const RECORDS_PER_BUILD_STEP = 256;

/** Runs `steps` to the end, letting other work run whenever a slice of SLICE_MS is used up. */
async function runSliced(steps: Generator<void, void, void>): Promise<void> {
  let sliceStart = performance.now();
  for (const step of steps) {
    void step;
    if (performance.now() - sliceStart >= SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
}

function runToEnd(steps: Generator<void, void, void>): void {
  for (const step of steps) void step;
}

function headersBytes(headers: IHeaders | undefined): number {
  return headers === undefined ? 0 : recordBytes({ key: Buffer.alloc(0), value: Buffer.alloc(0), headers });
}

/** Creates an OTLP producer; call connect() before use. */
export function createOtlpProducer(options: OtlpProducerOptions): OtlpProducer {
  const log = options.log ?? componentLogger('producer');
  const partitioner = partitioners[options.partitioner ?? 'murmur2'];
  if (partitioner === undefined) throw new Error(`unknown partitioner ${options.partitioner}; choose murmur2 or sarama_compat`);
  const topics: Record<Signal, string> = { ...DEFAULT_TOPICS, ...options.topics };
  let layouts = new Map<string, TopicLayout>();

  const messageLimit = (topic: string): number => {
    const topicMax = layouts.get(topic)?.maxMessageBytes ?? 1_048_588;
    return Math.min(topicMax, options.maxMessageBytes ?? Infinity);
  };
  const delivery = new Delivery({
    kafka: options.kafka,
    mode: options.delivery ?? 'transactional',
    transactionalId: options.transactionalId ?? `otlp-streams-producer-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
    lanes: options.producers ?? 4,
    maxGroupBytes: options.maxGroupBytes ?? 1 << 20,
    timeoutMs: options.deliveryTimeoutMs ?? 15_000,
    maxMessageBytes: messageLimit,
    onConnect: async () => {
      layouts = await readTopicLayouts(options.kafka, Object.values(topics), options.createTopics ?? { numPartitions: 6 });
    },
    log,
  });

  const partitionFor = (signal: Signal, key: Uint8Array): number => {
    const layout = layouts.get(topics[signal]);
    if (layout === undefined) throw new Error('producer not connected');
    // An empty key (all-zero trace id) is still a key: it hashes like any other, as in the collector.
    return partitioner.partition(key, layout.partitions);
  };

  const newPlan = (signal: Signal, headers: IHeaders | undefined): RequestPlan => (
    { signal, topic: topics[signal], headers, records: 0, items: 0, rejected: [], heldBytes: 0, planned: [] }
  );

  const protobufOf = (signal: Signal, body: Uint8Array | string | object, format: RequestFormat): Uint8Array => {
    if (format === 'json') return FROM_JSON[signal](body);
    if (!(body instanceof Uint8Array)) throw new TypeError('a protobuf request must be bytes');
    return body;
  };

  // Measures the records of `bytes` into `plan`, pausing between steps; records over the message size are planned as
  // their pieces. Charges every record before the next is planned, so an oversized result stops early.
  function* planSteps(bytes: Uint8Array, plan: RequestPlan, limits: RequestLimits, maxHeldBytes: number, reserve: (bytes: number) => boolean): Generator<void, void, void> {
    const limit = messageLimit(plan.topic) - RECORD_HEADROOM;
    const perRecord = headersBytes(plan.headers) + RECORD_MEMORY_OVERHEAD;
    const charge = (bytes: number): void => {
      if (plan.heldBytes + bytes > maxHeldBytes) throw new RecordsTooLargeError(plan.heldBytes + bytes, plan.records, maxHeldBytes);
      if (!reserve(bytes)) throw new NoRoomError(plan.heldBytes + bytes);
      plan.heldBytes += bytes;
    };
    const take = (p: PlannedRecord): void => {
      plan.records++;
      plan.planned.push(p);
      charge(p.key.length + p.valueBytes + perRecord);
    };
    const first: PlannedRecord[] = [];
    function* takeFirst(): Generator<void, void, void> {
      for (const p of first) {
        plan.items += p.items;
        if (p.valueBytes <= limit) {
          take(p);
          continue;
        }
        charge(p.valueBytes); // built now to plan its pieces, and held until they are written
        const sized: SizePlan = { pieces: [], oversized: [] };
        yield* planBySizeSteps(plan.signal, { key: p.key, value: p.build() }, limit, sized);
        for (const item of sized.oversized) plan.rejected.push(item);
        for (const piece of sized.pieces) take(piece);
      }
      first.length = 0;
    }
    for (const step of planRecords(plan.signal, bytes, first, limits)) {
      void step;
      yield* takeFirst();
      yield;
    }
    yield* takeFirst();
  }

  function* buildSteps(plan: RequestPlan, prepared: PreparedRequest): Generator<void, void, void> {
    const { signal, topic, headers, planned } = plan;
    for (let i = 0; i < planned.length; i++) {
      const p = planned[i];
      const out: PlacedRecord = { topic, partition: partitionFor(signal, p.key), key: p.key, value: p.build(), headers };
      prepared.records.push(out);
      prepared.bytes += recordBytes(out);
      if (i % RECORDS_PER_BUILD_STEP === RECORDS_PER_BUILD_STEP - 1) yield;
    }
    plan.planned = []; // what the plan kept to build from is garbage now
  }

  const preparedOf = (plan: RequestPlan): PreparedRequest => (
    { signal: plan.signal, topic: plan.topic, records: [], items: plan.items, rejected: plan.rejected, bytes: 0 }
  );

  const prepare = (signal: Signal, body: Uint8Array | string | object, format: RequestFormat = 'protobuf', headers?: IHeaders): PreparedRequest => {
    const plan = newPlan(signal, headers);
    runToEnd(planSteps(protobufOf(signal, body, format), plan, NO_REQUEST_LIMITS, Infinity, () => true));
    const prepared = preparedOf(plan);
    runToEnd(buildSteps(plan, prepared));
    return prepared;
  };

  const plan = async (signal: Signal, body: Uint8Array | string | object, opts: PlanOptions = {}): Promise<RequestPlan> => {
    const planned = newPlan(signal, opts.headers);
    const limits = { ...NO_REQUEST_LIMITS, ...opts.limits };
    await runSliced(planSteps(protobufOf(signal, body, opts.format ?? 'protobuf'), planned, limits, opts.maxHeldBytes ?? Infinity, opts.reserve ?? (() => true)));
    return planned;
  };

  const build = async (plan: RequestPlan): Promise<PreparedRequest> => {
    const prepared = preparedOf(plan);
    await runSliced(buildSteps(plan, prepared));
    return prepared;
  };

  const send = async (prepared: PreparedRequest): Promise<void> => {
    if (prepared.records.length === 0) return;
    await delivery.deliver(prepared.records, prepared.bytes);
  };

  return {
    connect: () => delivery.start(),
    disconnect: () => delivery.close(),
    prepare,
    plan,
    build,
    send,
    async export(signal, body, opts = {}) {
      const prepared = prepare(signal, body, opts.format, opts.headers);
      await send(prepared);
      return prepared;
    },
    partitionFor,
    get state() {
      return delivery.state;
    },
    topics,
    partitioner,
  };
}
