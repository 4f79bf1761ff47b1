// Outputs travel down a task's pipeline beside the records: records for topics, rows for sinks, dead letters.
import { deadLetterRecord, DLQ_TOPIC } from '../dlq/index.ts';
import type { TaskRecord } from '../operators/index.ts';
import type { Flow, TaskOutput } from './topology.ts';

/** JSON that tolerates bigint (OTLP nanoseconds). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** An output as a pipeline event. */
export function output(o: TaskOutput): Flow<never> {
  return { kind: 'output', output: o };
}

/** A dead letter for an item a step could not handle; the item's value is kept as JSON. */
export function deadLetter(record: TaskRecord<unknown>, err: unknown): Flow<never> {
  const pos = record.position ?? { topic: 'unknown', partition: -1, offset: '-1' };
  const message = deadLetterRecord(
    { ...pos, key: record.key === null ? null : Buffer.from(record.key), value: Buffer.from(toJson(record.value)), timestamp: String(record.timestamp) },
    err,
  );
  return output({ kind: 'emit', topic: DLQ_TOPIC, key: message.key ?? null, value: message.value ?? null, headers: message.headers as Record<string, string> });
}
