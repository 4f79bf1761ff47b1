// A row a sink rejected for good becomes a dead-letter record: the row as JSON, the server's answer as the error,
// and the sink's name in a header. The worker adds it to the transaction that commits the offsets past the row.
import type { Message } from 'kafkajs';
import { deadLetterRecord } from '../../dlq/index.ts';
import type { SinkDeadLetter } from './sinkRunner.ts';

/** Header naming the sink that rejected the row. */
export const SINK_HEADER = 'dlq.sink';

/** The error a dead letter names: the server's answer. */
export class SinkRejectedError extends Error {
  constructor(answer: string) {
    super(answer);
    this.name = 'SinkRejected';
  }
}

/** Where the rows came from: the task's input partition and the offset its checkpoint commits. */
export interface SinkRowSource {
  topic: string;
  partition: number;
  offset: string;
}

// Rows may hold bigints (int8 columns), which JSON.stringify refuses.
const json = (row: unknown) => JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/** The dead-letter record of a rejected row. */
export function sinkDeadLetterRecord(dead: SinkDeadLetter, source: SinkRowSource, now: number = Date.now()): Message {
  return deadLetterRecord(
    { ...source, key: Buffer.from(dead.sink), value: Buffer.from(json(dead.row)), headers: { [SINK_HEADER]: dead.sink } },
    new SinkRejectedError(dead.answer),
    now,
  );
}
