// Store definitions a processor declares: each task gets its own instance, changelogged to
// `<application>-<store>-changelog` and restored before the task processes a record.
import { inMemoryKeyValueStore, inMemoryWindowStore, type KeyValueStore, type Serde, type WindowStore } from '../state/index.ts';
import type { StoreDefinition } from './processor.ts';

/** Options of a key-value store (a noun, like Kafka Streams' `Materialized`). */
export interface KeyValueStoreDefinition<K, V> {
  /** Names the changelog topic `<application>-<name>-changelog`. */
  name: string;
  keySerde: Serde<K>;
  valueSerde: Serde<V>;
  /** Expire a key this many ms of stream time after its last update (its changelog gets a tombstone). */
  ttl?: number;
}

/**
 * A key-value store. Its changelog holds one record per key (compaction keeps the latest), so a checkpoint writes
 * only the keys that changed — right for stores with many keys updated at random.
 */
export function keyValueStore<K extends string | number, V>(o: KeyValueStoreDefinition<K, V>): StoreDefinition<KeyValueStore<K, V>> {
  if (o.ttl !== undefined && !(o.ttl > 0)) throw new RangeError(`store ${o.name}: ttl must be > 0 ms, got ${o.ttl}`);
  return {
    name: o.name,
    changelog: 'keys',
    create: () => inMemoryKeyValueStore<K, V>({ name: o.name, keySerde: o.keySerde, valueSerde: o.valueSerde, staleAfter: o.ttl }),
    advance: o.ttl === undefined ? undefined : (store, streamTime) => void store.advanceStreamTime(streamTime),
  };
}

/** Options of a window store. */
export interface WindowStoreDefinition<A> {
  name: string;
  /** Serializes the aggregate for the changelog. */
  serde: Serde<A>;
  /** Changelog buckets per task (default 256): many windows change per record, so changes are written per bucket. */
  buckets?: number;
}

/** A window store: open windows by (key, window start), closed by end. */
export function windowStore<K extends string, A>(o: WindowStoreDefinition<A>): StoreDefinition<WindowStore<K, A>> {
  return { name: o.name, changelog: 'buckets', buckets: o.buckets, create: () => inMemoryWindowStore<K, A>({ name: o.name, aggregateSerde: o.serde }) };
}
