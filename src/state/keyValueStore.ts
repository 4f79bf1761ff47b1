import type { ChangeCapture, ChangelogRecord } from './changelog.ts';
import type { Serde } from './serde.ts';

/** A key's latest value since the last checkpoint; `value: null` means the key was deleted. */
export interface KeyValueChange<K, V> {
  readonly key: K;
  readonly value: V | null;
}

/** A key dropped because it was not updated for `staleAfter` ms of stream time. */
export interface StaleEntry<K, V> {
  readonly key: K;
  readonly value: V;
  /** Stream time of the key's last update. */
  readonly updatedAt: number;
}

/** A named key-value store owned by one task. */
export interface KeyValueStore<K extends string | number, V> extends ChangeCapture<KeyValueChange<K, V>> {
  readonly name: string;
  readonly size: number;
  /** Latest stream time the store was told about (see `advanceStreamTime`). */
  readonly streamTime: number;
  /** Keys dropped as stale since the store was created. */
  readonly staleEvictions: number;
  get(key: K): V | undefined;
  has(key: K): boolean;
  put(key: K, value: V): void;
  delete(key: K): boolean;
  /** Entries from least to most recently updated. */
  entries(): IterableIterator<[K, V]>;
  /** Moves the store's stream time forward and drops keys not updated for `staleAfter` ms. */
  advanceStreamTime(streamTime: number): StaleEntry<K, V>[];
  /** Applies a changelog entry without recording it as a change. */
  restore(key: K, value: V | null): void;
}

/** Options of an in-memory key-value store. */
export interface KeyValueStoreOptions<K, V> {
  name: string;
  /** Needed for `drainChangelog` and `restoreRecord`. */
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  /** Record changes for a changelog (default true). Off for scratch stores nobody drains. */
  logged?: boolean;
  /** Drop keys not updated for this many ms of stream time (default: never). */
  staleAfter?: number;
}

/** Creates an in-memory key-value store with change capture. */
export function inMemoryKeyValueStore<K extends string | number, V>(
  options: KeyValueStoreOptions<K, V>,
): KeyValueStore<K, V> {
  return new InMemoryKeyValueStore(options);
}

interface Cell<V> {
  value: V;
  updatedAt: number;
}

class InMemoryKeyValueStore<K extends string | number, V> implements KeyValueStore<K, V> {
  readonly name: string;
  readonly logged: boolean;
  private readonly keySerde: Serde<K> | undefined;
  private readonly valueSerde: Serde<V> | undefined;
  private readonly staleAfter: number;
  // Map order is update order (a put re-inserts the key), so stale keys form a prefix.
  private readonly cells = new Map<K, Cell<V>>();
  private readonly dirty = new Set<K>();
  private currentStreamTime = -Infinity;
  private evicted = 0;

  constructor(options: KeyValueStoreOptions<K, V>) {
    if (options.staleAfter !== undefined && !(options.staleAfter > 0)) {
      throw new RangeError(`store ${options.name}: staleAfter must be > 0, got ${options.staleAfter}`);
    }
    this.name = options.name;
    this.keySerde = options.keySerde;
    this.valueSerde = options.valueSerde;
    this.logged = options.logged ?? true;
    this.staleAfter = options.staleAfter ?? Infinity;
  }

  get size(): number {
    return this.cells.size;
  }

  get streamTime(): number {
    return this.currentStreamTime;
  }

  get staleEvictions(): number {
    return this.evicted;
  }

  get pendingChanges(): number {
    return this.dirty.size;
  }

  get(key: K): V | undefined {
    return this.cells.get(key)?.value;
  }

  has(key: K): boolean {
    return this.cells.has(key);
  }

  put(key: K, value: V): void {
    this.write(key, value);
    this.markDirty(key);
  }

  delete(key: K): boolean {
    if (!this.cells.delete(key)) return false;
    this.markDirty(key);
    return true;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [key, cell] of this.cells) yield [key, cell.value];
  }

  advanceStreamTime(streamTime: number): StaleEntry<K, V>[] {
    if (!(streamTime > this.currentStreamTime)) return [];
    if (this.currentStreamTime === -Infinity) {
      // Keys written before any stream time was known count as updated now.
      for (const cell of this.cells.values()) cell.updatedAt = streamTime;
    }
    this.currentStreamTime = streamTime;
    const stale: StaleEntry<K, V>[] = [];
    for (const [key, cell] of this.cells) {
      if (cell.updatedAt + this.staleAfter > streamTime) break;
      stale.push({ key, value: cell.value, updatedAt: cell.updatedAt });
    }
    for (const entry of stale) this.delete(entry.key);
    this.evicted += stale.length;
    return stale;
  }

  restore(key: K, value: V | null): void {
    if (value === null) this.cells.delete(key);
    else this.write(key, value);
  }

  drainChanges(): KeyValueChange<K, V>[] {
    const changes: KeyValueChange<K, V>[] = [];
    for (const key of this.dirty) {
      const cell = this.cells.get(key);
      changes.push({ key, value: cell === undefined ? null : cell.value });
    }
    this.dirty.clear();
    return changes;
  }

  drainChangelog(): ChangelogRecord[] {
    const { keySerde, valueSerde } = this.serdes();
    return this.drainChanges().map((change) => ({
      key: keySerde.serialize(change.key),
      value: change.value === null ? null : valueSerde.serialize(change.value),
    }));
  }

  snapshotChangelog(): ChangelogRecord[] {
    const { keySerde, valueSerde } = this.serdes();
    const out: ChangelogRecord[] = [];
    for (const [key, cell] of this.cells) out.push({ key: keySerde.serialize(key), value: valueSerde.serialize(cell.value) });
    return out;
  }

  restoreRecord(record: ChangelogRecord): void {
    const { keySerde, valueSerde } = this.serdes();
    this.restore(keySerde.deserialize(record.key), record.value === null ? null : valueSerde.deserialize(record.value));
  }

  private write(key: K, value: V): void {
    this.cells.delete(key);
    this.cells.set(key, { value, updatedAt: this.currentStreamTime });
  }

  private markDirty(key: K): void {
    if (this.logged) this.dirty.add(key);
  }

  private serdes(): { keySerde: Serde<K>; valueSerde: Serde<V> } {
    if (!this.keySerde || !this.valueSerde) {
      throw new Error(`store ${this.name}: keySerde and valueSerde are needed for changelog records`);
    }
    return { keySerde: this.keySerde, valueSerde: this.valueSerde };
  }
}
