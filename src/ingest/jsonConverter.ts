// OTLP/JSON bodies become protobuf requests on a worker thread, one body at a time: JSON.parse of a body of a few
// megabytes takes up to seconds and cannot be cut into slices, so the event loop must not run it; and its objects take
// up to ~25× the body (empty objects), so one body at a time keeps that memory to one body's worth.
// (No heap cap on the worker: V8 cannot stop JSON.parse at a cap; it aborts the whole process. The JSON body limit
// bounds the memory instead, and a worker that converted a large body is replaced, so its heap is given back at once
// rather than whenever V8 gets to it.)
import { Worker } from 'node:worker_threads';
import { RequestLimitError, type Signal } from '../otlp/index.ts';

/** A body for the worker. */
export interface JsonJob {
  id: number;
  signal: Signal;
  body: Uint8Array;
  maxItems: number;
}

/** The worker's answer: the protobuf request, or why there is none. */
export type JsonReply =
  | { id: number; protobuf: Uint8Array }
  | { id: number; error: { kind: 'invalid' | 'internal'; message: string } | { kind: 'limit'; message: string; limit: string } };

/** A body the worker could not convert; `kind` is the outcome to answer with. */
export class JsonConversionError extends Error {
  override name = 'JsonConversionError';
  readonly kind: 'invalid' | 'internal';

  constructor(kind: JsonConversionError['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

// Bodies from this size on leave a heap worth giving back: the worker is replaced after them (~50 ms to start one).
const RECYCLE_AFTER_BYTES = 1 << 20;

interface Waiting {
  job: JsonJob;
  resolve: (protobuf: Uint8Array) => void;
  reject: (err: Error) => void;
}

/** Converts OTLP/JSON to protobuf on one worker thread, in arrival order. */
export class JsonConverter {
  private worker: Worker | undefined;
  private readonly queue: Waiting[] = [];
  private current: Waiting | undefined;
  private nextId = 1;
  private closed = false;

  /** The protobuf request of an OTLP/JSON body; rejects with JsonConversionError or RequestLimitError. */
  toProtobuf(signal: Signal, body: Uint8Array, maxItems: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new JsonConversionError('internal', 'the JSON converter is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, signal, body, maxItems }, resolve, reject });
      this.next();
    });
  }

  /** Stops the worker; queued bodies are refused. */
  async close(): Promise<void> {
    this.closed = true;
    const refused = this.current === undefined ? this.queue.splice(0) : [this.current, ...this.queue.splice(0)];
    this.current = undefined;
    for (const w of refused) w.reject(new JsonConversionError('internal', 'the JSON converter is closed'));
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private next(): void {
    if (this.current !== undefined || this.queue.length === 0) return;
    this.current = this.queue.shift()!;
    const worker = this.ensureWorker();
    worker.ref(); // a body in the worker keeps the process up; an idle worker does not
    worker.postMessage(this.current.job);
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL('./jsonWorker.ts', import.meta.url));
    worker.unref();
    worker.on('message', (reply: JsonReply) => this.settle(reply));
    worker.on('error', (err: Error) => this.lost(worker, `failed: ${err.message}`));
    worker.on('exit', (code) => this.lost(worker, `stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  private settle(reply: JsonReply): void {
    const waiting = this.current;
    if (waiting === undefined || waiting.job.id !== reply.id) return;
    this.current = undefined;
    if (waiting.job.body.length >= RECYCLE_AFTER_BYTES) this.recycle();
    else this.worker?.unref();
    if ('protobuf' in reply) waiting.resolve(reply.protobuf);
    else if (reply.error.kind === 'limit') waiting.reject(new RequestLimitError(reply.error.limit, reply.error.message));
    else waiting.reject(new JsonConversionError(reply.error.kind, reply.error.message));
    this.next();
  }

  private recycle(): void {
    const worker = this.worker;
    this.worker = undefined;
    worker?.removeAllListeners();
    void worker?.terminate();
  }

  // The worker died ('error' and then 'exit'): its body fails, the next one gets a new worker.
  private lost(worker: Worker, why: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const waiting = this.current;
    this.current = undefined;
    waiting?.reject(new JsonConversionError('internal', `the JSON decoder ${why}`));
    if (!this.closed) this.next();
  }
}
