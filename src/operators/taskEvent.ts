// The envelope a task feeds into its operator pipeline. The runtime turns each consumed Kafka
// record into a `TaskRecord` (in offset order) and interleaves control events:
//   - `tick`: move stream time forward without a record (e.g. a partition known to be caught up);
//   - `flush`: close every open window now (end of a finite input, such as a backfill);
//   - `commit`: a barrier passed through unchanged, after every output caused by earlier events,
//     so the runtime knows when the outputs and store changes of a commit interval are complete.

/** Where a record came from, so outputs can be traced and offsets committed. */
export interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset as a decimal string (offsets exceed 2^53 in theory). */
  readonly offset: string;
}

/** One input record. `timestamp` is the Kafka record timestamp in ms. */
export interface TaskRecord<V> {
  readonly kind: 'record';
  readonly key: string | null;
  readonly timestamp: number;
  readonly value: V;
  readonly position?: RecordPosition;
  /** Kafka headers of the input record (e.g. `tenant`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Moves stream time to `streamTime` if that is later; never moves it back. */
export interface StreamTimeTick {
  readonly kind: 'tick';
  readonly streamTime: number;
}

/** Closes every open window as if stream time had passed them all. */
export interface FlushWindows {
  readonly kind: 'flush';
}

/** A barrier the runtime uses to cut commit intervals; operators pass it through in order. */
export interface CommitMarker {
  readonly kind: 'commit';
  /** Position of the last record before the marker, if any. */
  readonly position?: RecordPosition;
}

/** Everything a task feeds into its pipeline. */
export type TaskEvent<V> = TaskRecord<V> | StreamTimeTick | FlushWindows | CommitMarker;

/** Builds a record event; handy in tests and adapters. */
export function taskRecord<V>(
  key: string | null,
  timestamp: number,
  value: V,
  position?: RecordPosition,
): TaskRecord<V> {
  return position === undefined ? { kind: 'record', key, timestamp, value } : { kind: 'record', key, timestamp, value, position };
}

/** Builds a tick that moves stream time to `streamTime`. */
export function streamTimeTick(streamTime: number): StreamTimeTick {
  return { kind: 'tick', streamTime };
}

/** The flush event. */
export const flushWindows: FlushWindows = { kind: 'flush' };

/** The record event of a processor record (processors see records without the event envelope). */
export function toTaskRecord<V>(r: { key: string | null; timestamp: number; value: V; headers?: Readonly<Record<string, string>>; position?: RecordPosition }): TaskRecord<V> {
  return { kind: 'record', key: r.key, timestamp: r.timestamp, value: r.value, position: r.position, headers: r.headers };
}
