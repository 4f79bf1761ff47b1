// What a store hands to the runtime at checkpoint time. The runtime writes each record to the
// store's compacted changelog topic (`<application>-<store>-changelog`) inside the task's
// transaction, and feeds the topic back through `restoreRecord` when the task is assigned.

/** One changelog record: serialized key and value; a null value is a tombstone. */
export interface ChangelogRecord {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

/** The change capture every store offers. */
export interface ChangeCapture<C> {
  /** Whether this store records changes for a changelog (false for scratch stores). */
  readonly logged: boolean;
  /** Number of changes waiting for the next checkpoint. */
  readonly pendingChanges: number;
  /** Returns the changes since the last drain, oldest first, and forgets them. */
  drainChanges(): C[];
  /** Like `drainChanges`, serialized for the changelog topic. */
  drainChangelog(): ChangelogRecord[];
  /** Applies one changelog record during restore, without recording it as a change. */
  restoreRecord(record: ChangelogRecord): void;
  /** Every live entry, serialized like `drainChangelog` (unordered); the runtime packs these into changelog buckets. */
  snapshotChangelog(): ChangelogRecord[];
  /**
   * Optional fast path, same result as `drainChangelog` for a bucketed changelog: drains the changes and returns
   * `changelogKeyHash` of each changed entry's serialized key, in the order `drainChangelog` would list them.
   */
  drainChangedKeyHashes?(): number[];
  /**
   * Optional fast path of `snapshotChangelog`, in the same order: for every live entry calls `wanted` with
   * `changelogKeyHash` of its serialized key and, if that returns true, `visit` with the serialized key at
   * `bytes[0, keyLength)` and the value right after it, at `bytes[keyLength, keyLength + valueLength)`. The bytes
   * are only valid during the call.
   */
  forEachLiveRecord?(wanted: (keyHash: number) => boolean, visit: (bytes: Uint8Array, keyLength: number, valueLength: number) => void): void;
}

/** FNV-1a (32 bits, unsigned) of serialized key bytes: what bucketed changelogs bucket by. */
export function changelogKeyHash(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i], 0x01000193);
  return h >>> 0;
}
