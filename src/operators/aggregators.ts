// Aggregators a metric rollup needs. Aggregates are treated as immutable: `add` and `merge`
// return a new value, because an aggregate emitted as an update must not change afterwards.
import { float64Serde, readUvarint, uvarintLength, uvarintSerde, writeUvarint } from '../state/index.ts';
import type { Serde } from '../state/index.ts';

/** Folds values into an aggregate; `merge` combines two aggregates (needed by session windows). */
export interface Aggregator<V, A> {
  init(): A;
  add(aggregate: A, value: V, timestamp: number): A;
  merge?(left: A, right: A): A;
  /** Encoding of the aggregate for changelog records. */
  serde?: Serde<A>;
}

/** Count, sum, min and max of a numeric value; mergeable. */
export interface Summary {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

/** The value with the latest event time; ties go to the later arrival (the right side of a merge). */
export interface LastValue {
  readonly timestamp: number;
  readonly value: number;
}

/** Number of records. */
export function count<V>(): Aggregator<V, number> {
  return {
    init: () => 0,
    add: (total) => total + 1,
    merge: (left, right) => left + right,
    serde: uvarintSerde,
  };
}

/** Sum of a numeric value. */
export function sum<V>(select: (value: V) => number): Aggregator<V, number> {
  return {
    init: () => 0,
    add: (total, value) => total + select(value),
    merge: (left, right) => left + right,
    serde: float64Serde,
  };
}

/** Smallest value (Infinity when empty). */
export function min<V>(select: (value: V) => number): Aggregator<V, number> {
  return {
    init: () => Infinity,
    add: (least, value) => Math.min(least, select(value)),
    merge: (left, right) => Math.min(left, right),
    serde: float64Serde,
  };
}

/** Largest value (-Infinity when empty). */
export function max<V>(select: (value: V) => number): Aggregator<V, number> {
  return {
    init: () => -Infinity,
    add: (greatest, value) => Math.max(greatest, select(value)),
    merge: (left, right) => Math.max(left, right),
    serde: float64Serde,
  };
}

/** Value with the latest event time, e.g. a gauge; out-of-order records do not overwrite it. */
export function last<V>(select: (value: V) => number): Aggregator<V, LastValue> {
  return {
    init: () => ({ timestamp: -Infinity, value: NaN }),
    add: (latest, value, timestamp) => (timestamp >= latest.timestamp ? { timestamp, value: select(value) } : latest),
    merge: (left, right) => (right.timestamp >= left.timestamp ? right : left),
    serde: lastValueSerde,
  };
}

/** Count, sum, min and max in one aggregate. */
export function summary<V>(select: (value: V) => number): Aggregator<V, Summary> {
  return {
    init: () => emptySummary,
    add: (acc, value) => {
      const x = select(value);
      return { count: acc.count + 1, sum: acc.sum + x, min: Math.min(acc.min, x), max: Math.max(acc.max, x) };
    },
    merge: (left, right) => ({
      count: left.count + right.count,
      sum: left.sum + right.sum,
      min: Math.min(left.min, right.min),
      max: Math.max(left.max, right.max),
    }),
    serde: summarySerde,
  };
}

const emptySummary: Summary = { count: 0, sum: 0, min: Infinity, max: -Infinity };

/** Summary as a varint count then sum, min and max as doubles: 25 bytes below 128 records. */
export const summarySerde: Serde<Summary> = {
  serialize(value) {
    const bytes = new Uint8Array(uvarintLength(value.count) + 24);
    const offset = writeUvarint(bytes, 0, value.count);
    const view = new DataView(bytes.buffer);
    view.setFloat64(offset, value.sum);
    view.setFloat64(offset + 8, value.min);
    view.setFloat64(offset + 16, value.max);
    return bytes;
  },
  deserialize(bytes) {
    const [count, offset] = readUvarint(bytes, 0);
    if (bytes.length !== offset + 24) throw new RangeError(`summary: ${bytes.length} bytes, expected ${offset + 24}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { count, sum: view.getFloat64(offset), min: view.getFloat64(offset + 8), max: view.getFloat64(offset + 16) };
  },
  // Four doubles in a store's Float64Array instead of an object with three boxed doubles (≈100 bytes).
  float64Layout: {
    lanes: 4,
    write(value, to, at) {
      to[at] = value.count;
      to[at + 1] = value.sum;
      to[at + 2] = value.min;
      to[at + 3] = value.max;
    },
    read: (from, at) => ({ count: from[at], sum: from[at + 1], min: from[at + 2], max: from[at + 3] }),
  },
};

/** Last value as two doubles: event time, value. */
export const lastValueSerde: Serde<LastValue> = {
  serialize(value) {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setFloat64(0, value.timestamp);
    view.setFloat64(8, value.value);
    return bytes;
  },
  deserialize(bytes) {
    if (bytes.length !== 16) throw new RangeError(`last value: ${bytes.length} bytes, expected 16`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { timestamp: view.getFloat64(0), value: view.getFloat64(8) };
  },
  float64Layout: {
    lanes: 2,
    write(value, to, at) {
      to[at] = value.timestamp;
      to[at + 1] = value.value;
    },
    read: (from, at) => ({ timestamp: from[at], value: from[at + 1] }),
  },
};
