// Per-key changelogs: one record per changed store key (a tombstone for a deleted one), as Kafka Streams writes
// them. Compaction keeps the latest record per key, so the topic stays a complete image of the store, and a
// checkpoint costs one record per key changed since the last one — whatever the store's size.
import type { ChangeCapture } from '../state/index.ts';
import type { ChangelogMessage } from './changelog.ts';

// First key byte. Bucketed changelogs use 1 (bucket) and 2 (stream time); keys here never collide with those.
const ENTRY = 3;
const STREAM_TIME = 2;
const STREAM_TIME_KEY = Buffer.from([STREAM_TIME]);

/** Checkpoints one store of one task as a record per changed key, and restores it from them. */
export class KeyChangelog {
  private readonly store: ChangeCapture<unknown>;

  constructor(store: ChangeCapture<unknown>) {
    this.store = store;
  }

  /** Records for the keys changed since the last checkpoint (empty if none), then the stream time. */
  checkpoint(streamTime: number | undefined): ChangelogMessage[] {
    const changes = this.store.drainChangelog();
    if (changes.length === 0) return [];
    const out: ChangelogMessage[] = [];
    for (const change of changes) {
      const key = Buffer.allocUnsafe(change.key.length + 1);
      key[0] = ENTRY;
      key.set(change.key, 1);
      out.push({ key, value: change.value === null ? null : Buffer.from(change.value.buffer, change.value.byteOffset, change.value.byteLength) });
    }
    if (streamTime !== undefined && Number.isFinite(streamTime)) {
      const value = Buffer.alloc(8);
      value.writeDoubleBE(streamTime);
      out.push({ key: STREAM_TIME_KEY, value });
    }
    return out;
  }

  /** Applies the changelog records of this task's partition in offset order (a later record of a key wins). */
  restore(records: Iterable<{ key: Buffer | null; value: Buffer | null }>): { entries: number; streamTime?: number } {
    let streamTime: number | undefined;
    for (const r of records) {
      if (!r.key || r.key.length === 0) continue;
      if (r.key[0] === ENTRY) this.store.restoreRecord({ key: r.key.subarray(1), value: r.value });
      else if (r.key[0] === STREAM_TIME && r.value) streamTime = r.value.readDoubleBE(0);
    }
    return { entries: (this.store as { size?: number }).size ?? 0, streamTime };
  }
}
