// Deduplication of records by an id within a horizon of stream time: the first record of an id is forwarded, every
// other record with that id until `horizon` ms of stream time later is dropped and counted. The ids live in a
// key-value store (changelogged, restored), expired by stream time, so the result is the same after a restore.
import type { ProcessorContext, ProcessorDefinition, ProcessorRecord } from '../runtime/processor.ts';
import { keyValueStore } from '../runtime/stores.ts';
import { float64Serde, stringSerde, type KeyValueStore } from '../state/index.ts';

/** Options of `deduplicate`. */
export interface DeduplicateOptions<V> {
  /** Store name; its changelog topic is `<application>-<store>-changelog`. */
  store: string;
  /** ms of stream time a record's id is remembered after the record was forwarded. */
  horizon: number;
  /** A record's identity (default: its key). */
  id?: (record: ProcessorRecord<V>) => string;
}

/** Forwards the first record of each id, and drops repeats within `horizon` of stream time. */
export function deduplicate<V>(o: DeduplicateOptions<V>): ProcessorDefinition<V, V> {
  if (!Number.isSafeInteger(o.horizon) || o.horizon <= 0) throw new RangeError(`deduplicate: horizon must be a positive integer of ms, got ${o.horizon}`);
  const horizon = o.horizon;
  const idOf = o.id ?? ((r: ProcessorRecord<V>) => r.key ?? '');
  // Each id maps to the stream time it was forwarded at; the TTL frees memory, the comparison below decides.
  const seen = keyValueStore<string, number>({ name: o.store, keySerde: stringSerde, valueSerde: float64Serde, ttl: horizon });
  return {
    name: `deduplicate ${o.store}`,
    stores: [seen],
    create() {
      let duplicates = 0;
      let ctx: ProcessorContext<V>;
      let ids: KeyValueStore<string, number>;
      return {
        init(context) {
          ctx = context;
          ids = ctx.store(seen);
          ctx.gauge(`dedup_ids{store="${o.store}"}`, () => ids.size);
          ctx.gauge(`duplicates_total{store="${o.store}"}`, () => duplicates);
        },
        process(record) {
          const id = idOf(record);
          const now = ctx.streamTime();
          // Compare with the stored time rather than trusting expiry: restored ids expire later than live ones would.
          const at = ids.get(id);
          if (at !== undefined && at + horizon > now) {
            duplicates++;
            return;
          }
          ids.put(id, now);
          ctx.forward(record);
        },
      };
    },
  };
}
