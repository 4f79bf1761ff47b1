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
}
