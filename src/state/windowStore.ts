import { changelogKeyHash } from './changelog.ts';
import type { ChangeCapture, ChangelogRecord } from './changelog.ts';
import { decodeWindowKey, encodeWindowKey, readUvarint, uvarintLength, writeUvarint } from './serde.ts';
import type { Float64Layout, Serde } from './serde.ts';
import { DIRTY, LIVE, NONE, SlotColumns, compareEntries, grown } from './windowStoreInternals.ts';

/** One open window of one group key: `[start, end)` in ms and its aggregate. */
export interface WindowEntry<K extends string, A> {
  readonly key: K;
  readonly start: number;
  readonly end: number;
  readonly aggregate: A;
}

/** A window's state since the last checkpoint; `value: null` means the window was removed. */
export interface WindowChange<K extends string, A> {
  readonly key: K;
  readonly start: number;
  readonly value: { readonly end: number; readonly aggregate: A } | null;
}

/**
 * A named store of windows keyed by (group key, window start). Windows are found by key for
 * updates and by end for closing, so closing costs O(log n) per closed window, not a scan.
 * Entries returned by `get`, `windowsOf`, `entries` and `takeEndedBy` are copies, not views of the store.
 */
export interface WindowStore<K extends string, A> extends ChangeCapture<WindowChange<K, A>> {
  readonly name: string;
  /** Number of windows in the store. */
  readonly size: number;
  get(key: K, start: number): WindowEntry<K, A> | undefined;
  /** The aggregate of `get(key, start)`, without building the entry (an aggregation's read per record). */
  aggregateOf(key: K, start: number): A | undefined;
  /** The key's windows ordered by start. */
  windowsOf(key: K): WindowEntry<K, A>[];
  /** Inserts or replaces the window of `key` starting at `start`; its end may change (sessions). */
  put(key: K, start: number, end: number, aggregate: A): void;
  delete(key: K, start: number): boolean;
  /** Smallest window end in the store, Infinity when empty. */
  earliestEnd(): number;
  /** Removes and returns every window with end ≤ maxEnd, ordered by end, key, start. */
  takeEndedBy(maxEnd: number): WindowEntry<K, A>[];
  /** Every window, ordered by end, key, start. */
  entries(): WindowEntry<K, A>[];
  /** Applies a changelog entry without recording it as a change. */
  restore(change: WindowChange<K, A>): void;
}

/** Options of an in-memory window store. */
export interface WindowStoreOptions<A> {
  name: string;
  /** Needed for `drainChangelog` and `restoreRecord`. */
  aggregateSerde?: Serde<A>;
  /** Record changes for a changelog (default true). Off for scratch stores nobody drains. */
  logged?: boolean;
}

/** Creates an in-memory window store with change capture. */
export function inMemoryWindowStore<K extends string, A>(options: WindowStoreOptions<A>): WindowStore<K, A> {
  return new InMemoryWindowStore<K, A>(options);
}

class InMemoryWindowStore<K extends string, A> implements WindowStore<K, A> {
  readonly name: string;
  readonly logged: boolean;
  private readonly aggregateSerde: Serde<A> | undefined;
  // Windows live in columns indexed by slot (see SlotColumns); a key maps to its first slot (smallest start),
  // and further windows of the key chain on through `next`. A Map value that is a slot number costs no object.
  private readonly byKey = new Map<K, number>();
  private readonly slots: SlotColumns<K>;
  // Aggregates: `lanes` doubles per slot when the serde has a Float64 layout, else one reference per slot.
  private readonly layout: Float64Layout<A> | undefined;
  private readonly lanes: number;
  private packed: Float64Array;
  private readonly objects: (A | undefined)[] = [];
  // Slots changed since the last drain, in order of first change. A removed slot stays as a tombstone and is
  // released for reuse only when drained.
  private changed: number[] = [];
  private count = 0;
  // The slot `find` returned last (checked to be the same live window before it is used again).
  private lastFound = NONE;

  constructor(options: WindowStoreOptions<A>) {
    this.name = options.name;
    this.aggregateSerde = options.aggregateSerde;
    this.logged = options.logged ?? true;
    this.layout = options.aggregateSerde?.float64Layout;
    this.lanes = this.layout?.lanes ?? 0;
    this.slots = new SlotColumns<K>((capacity) => {
      if (this.layout !== undefined) this.packed = grown(this.packed, new Float64Array(capacity * this.lanes));
    });
    this.packed = new Float64Array(this.slots.starts.length * this.lanes);
  }

  get size(): number {
    return this.count;
  }

  get pendingChanges(): number {
    return this.changed.length;
  }

  get(key: K, start: number): WindowEntry<K, A> | undefined {
    const slot = this.find(key, start);
    return slot === NONE ? undefined : this.entryAt(slot);
  }

  aggregateOf(key: K, start: number): A | undefined {
    const slot = this.find(key, start);
    return slot === NONE ? undefined : this.aggregateAt(slot);
  }

  windowsOf(key: K): WindowEntry<K, A>[] {
    const out: WindowEntry<K, A>[] = [];
    const head = this.byKey.get(key);
    if (head === undefined) return out;
    const next = this.slots.next;
    for (let slot = head; slot !== NONE; slot = next[slot]) out.push(this.entryAt(slot));
    return out;
  }

  put(key: K, start: number, end: number, aggregate: A): void {
    this.markChanged(this.write(key, start, end, aggregate));
  }

  delete(key: K, start: number): boolean {
    const slot = this.find(key, start);
    if (slot === NONE) return false;
    this.remove(slot);
    this.markChanged(slot);
    this.releaseIfClean(slot);
    return true;
  }

  earliestEnd(): number {
    const top = this.slots.heapTop();
    return top === NONE ? Infinity : this.slots.ends[top];
  }

  takeEndedBy(maxEnd: number): WindowEntry<K, A>[] {
    const ended: WindowEntry<K, A>[] = [];
    for (let slot = this.slots.heapTop(); slot !== NONE && this.slots.ends[slot] <= maxEnd; slot = this.slots.heapTop()) {
      ended.push(this.entryAt(slot));
      this.remove(slot);
      this.markChanged(slot);
      this.releaseIfClean(slot);
    }
    // The heap breaks ties arbitrarily; sort so equal inputs close in the same order after a restore.
    return ended.sort(compareEntries);
  }

  entries(): WindowEntry<K, A>[] {
    const out: WindowEntry<K, A>[] = [];
    const next = this.slots.next;
    for (const head of this.byKey.values()) for (let slot = head; slot !== NONE; slot = next[slot]) out.push(this.entryAt(slot));
    return out.sort(compareEntries);
  }

  restore(change: WindowChange<K, A>): void {
    if (change.value !== null) {
      this.write(change.key, change.start, change.value.end, change.value.aggregate);
      return;
    }
    const slot = this.find(change.key, change.start);
    if (slot === NONE) return;
    this.remove(slot);
    this.releaseIfClean(slot);
  }

  drainChanges(): WindowChange<K, A>[] {
    const { keys, starts, ends, flags } = this.slots;
    const changes = this.changed.map((slot): WindowChange<K, A> => {
      const value = (flags[slot] & LIVE) !== 0 ? { end: ends[slot], aggregate: this.aggregateAt(slot) } : null;
      return { key: keys[slot] as K, start: starts[slot], value };
    });
    this.releaseChanged();
    return changes;
  }

  snapshotChangelog(): ChangelogRecord[] {
    const serde = this.serde();
    const out: ChangelogRecord[] = [];
    const { keys, starts, ends, next } = this.slots;
    for (const head of this.byKey.values()) {
      for (let slot = head; slot !== NONE; slot = next[slot]) {
        out.push({ key: encodeWindowKey(keys[slot] as K, starts[slot]), value: encodeWindowValue(starts[slot], ends[slot], this.aggregateAt(slot), serde) });
      }
    }
    return out;
  }

  drainChangelog(): ChangelogRecord[] {
    const serde = this.serde();
    return this.drainChanges().map((change) => ({
      key: encodeWindowKey(change.key, change.start),
      value: change.value === null ? null : encodeWindowValue(change.start, change.value.end, change.value.aggregate, serde),
    }));
  }

  drainChangedKeyHashes(): number[] {
    const { keys, starts } = this.slots;
    const changed = this.changed;
    const hashes = new Array<number>(changed.length);
    for (let i = 0; i < changed.length; i++) hashes[i] = windowKeyHash(keys[changed[i]] as K, starts[changed[i]]);
    this.releaseChanged();
    return hashes;
  }

  forEachLiveRecord(wanted: (keyHash: number) => boolean, visit: (bytes: Uint8Array, keyLength: number, valueLength: number) => void): void {
    const serde = this.serde();
    // visit may not write to the store, so the columns stay in place during the loop.
    const { keys, starts, ends, next } = this.slots;
    for (const head of this.byKey.values()) {
      for (let slot = head; slot !== NONE; slot = next[slot]) {
        const key = keys[slot] as K;
        const start = starts[slot];
        if (!wanted(windowKeyHash(key, start))) continue;
        const aggregate = serde.serialize(this.aggregateAt(slot));
        const length = ends[slot] - start;
        let bytes = scratch;
        const keyLength = writeWindowKey(bytes, key, start);
        const valueLength = uvarintLength(length) + aggregate.length;
        if (bytes.length < keyLength + valueLength) {
          scratch = bytes = growScratch(keyLength + valueLength);
          writeWindowKey(bytes, key, start);
        }
        bytes.set(aggregate, writeUvarint(bytes, keyLength, length));
        visit(bytes, keyLength, valueLength);
      }
    }
  }

  restoreRecord(record: ChangelogRecord): void {
    const serde = this.serde();
    const { key, start } = decodeWindowKey(record.key);
    if (record.value === null) {
      this.restore({ key: key as K, start, value: null });
      return;
    }
    const [length, offset] = readUvarint(record.value, 0);
    this.write(key as K, start, start + length, serde.deserialize(record.value.subarray(offset)));
  }

  private entryAt(slot: number): WindowEntry<K, A> {
    const { keys, starts, ends } = this.slots;
    return { key: keys[slot] as K, start: starts[slot], end: ends[slot], aggregate: this.aggregateAt(slot) };
  }

  private aggregateAt(slot: number): A {
    return this.layout !== undefined ? this.layout.read(this.packed, slot * this.lanes) : (this.objects[slot] as A);
  }

  private setAggregate(slot: number, aggregate: A): void {
    if (this.layout !== undefined) this.layout.write(aggregate, this.packed, slot * this.lanes);
    else this.objects[slot] = aggregate;
  }

  private find(key: K, start: number): number {
    const { keys, starts, flags, next } = this.slots;
    // An aggregation reads a window and then writes it back: the second lookup is the same slot.
    const last = this.lastFound;
    if (last !== NONE && starts[last] === start && keys[last] === key && (flags[last] & LIVE) !== 0) return last;
    const head = this.byKey.get(key);
    if (head === undefined) return NONE;
    for (let slot = head; slot !== NONE; slot = next[slot]) {
      const at = starts[slot];
      if (at === start) {
        this.lastFound = slot;
        return slot;
      }
      if (at > start) break;
    }
    return NONE;
  }

  private write(key: K, start: number, end: number, aggregate: A): number {
    if (!(end >= start)) throw new RangeError(`store ${this.name}: window [${start},${end}) ends before it starts`);
    const existing = this.find(key, start);
    if (existing !== NONE) {
      this.setAggregate(existing, aggregate);
      if (this.slots.ends[existing] !== end) {
        this.slots.ends[existing] = end;
        this.slots.heapUpdate(existing);
      }
      return existing;
    }
    const slot = this.slots.allocate();
    // allocate may have replaced the columns: read them after it.
    const { keys, starts, ends, flags, next } = this.slots;
    try {
      this.setAggregate(slot, aggregate);
    } catch (error) {
      // A value the layout cannot take (not of the store's type): leave the store as it was.
      this.slots.release(slot);
      throw error;
    }
    starts[slot] = start;
    ends[slot] = end;
    flags[slot] = LIVE;
    const head = this.byKey.get(key);
    if (head === undefined) {
      keys[slot] = key;
      next[slot] = NONE;
      this.byKey.set(key, slot);
    } else {
      // Windows of one key share one key string.
      keys[slot] = keys[head];
      if (starts[head] > start) {
        next[slot] = head;
        this.byKey.set(key, slot);
      } else {
        let before = head;
        while (next[before] !== NONE && starts[next[before]] < start) before = next[before];
        next[slot] = next[before];
        next[before] = slot;
      }
    }
    this.slots.heapInsert(slot);
    this.count++;
    this.lastFound = slot;
    return slot;
  }

  /** Takes a live slot out of the key index and the heap; its columns stay readable until it is released. */
  private remove(slot: number): void {
    const { keys, flags, next } = this.slots;
    flags[slot] &= ~LIVE;
    this.count--;
    this.slots.heapRemove(slot);
    const key = keys[slot] as K;
    const head = this.byKey.get(key) as number;
    if (head === slot) {
      if (next[slot] === NONE) this.byKey.delete(key);
      else this.byKey.set(key, next[slot]);
    } else {
      let before = head;
      while (next[before] !== slot) before = next[before];
      next[before] = next[slot];
    }
  }

  private releaseIfClean(slot: number): void {
    if ((this.slots.flags[slot] & DIRTY) !== 0) return;
    if (this.layout === undefined) this.objects[slot] = undefined;
    this.slots.release(slot);
  }

  /** Forgets the change list: clears DIRTY, and releases the removed slots it kept as tombstones. */
  private releaseChanged(): void {
    const flags = this.slots.flags;
    for (const slot of this.changed) {
      flags[slot] &= ~DIRTY;
      if ((flags[slot] & LIVE) === 0) this.releaseIfClean(slot);
    }
    this.changed = [];
  }

  private markChanged(slot: number): void {
    const flags = this.slots.flags;
    if (!this.logged || (flags[slot] & DIRTY) !== 0) return;
    flags[slot] |= DIRTY;
    this.changed.push(slot);
  }

  private serde(): Serde<A> {
    if (!this.aggregateSerde) throw new Error(`store ${this.name}: aggregateSerde is needed for changelog records`);
    return this.aggregateSerde;
  }
}

// Scratch bytes of forEachLiveRecord: one serialized entry at a time.
let scratch: Uint8Array = new Uint8Array(256);

function growScratch(n: number): Uint8Array {
  return new Uint8Array(Math.max(n, 2 * scratch.length));
}

/**
 * `changelogKeyHash(encodeWindowKey(key, start))` without building the bytes when the key is ASCII (series ids,
 * trace ids): FNV-1a over the key's char codes, then over the start as a big-endian int64.
 */
function windowKeyHash(key: string, start: number): number {
  if (!Number.isSafeInteger(start)) return changelogKeyHash(encodeWindowKey(key, start));
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) return changelogKeyHash(encodeWindowKey(key, start));
    h = Math.imul(h ^ c, 0x01000193);
  }
  const high = Math.floor(start / 2 ** 32);
  const low = start - high * 2 ** 32;
  h = Math.imul(h ^ ((high >>> 24) & 0xff), 0x01000193);
  h = Math.imul(h ^ ((high >>> 16) & 0xff), 0x01000193);
  h = Math.imul(h ^ ((high >>> 8) & 0xff), 0x01000193);
  h = Math.imul(h ^ (high & 0xff), 0x01000193);
  h = Math.imul(h ^ ((low >>> 24) & 0xff), 0x01000193);
  h = Math.imul(h ^ ((low >>> 16) & 0xff), 0x01000193);
  h = Math.imul(h ^ ((low >>> 8) & 0xff), 0x01000193);
  h = Math.imul(h ^ (low & 0xff), 0x01000193);
  return h >>> 0;
}

/** Writes `encodeWindowKey(key, start)` at bytes[0…] if it fits; returns its length either way. */
function writeWindowKey(bytes: Uint8Array, key: string, start: number): number {
  let ascii = Number.isSafeInteger(start);
  for (let i = 0; ascii && i < key.length; i++) if (key.charCodeAt(i) >= 0x80) ascii = false;
  if (!ascii) {
    const encoded = encodeWindowKey(key, start);
    if (encoded.length <= bytes.length) bytes.set(encoded, 0);
    return encoded.length;
  }
  const length = key.length + 8;
  if (length > bytes.length) return length;
  for (let i = 0; i < key.length; i++) bytes[i] = key.charCodeAt(i);
  // writeInt64's layout: the high 32 bits as int32, then the low 32 bits, big-endian.
  const high = Math.floor(start / 2 ** 32);
  const low = start - high * 2 ** 32;
  let at = key.length;
  bytes[at++] = high >>> 24;
  bytes[at++] = (high >>> 16) & 0xff;
  bytes[at++] = (high >>> 8) & 0xff;
  bytes[at++] = high & 0xff;
  bytes[at++] = low >>> 24;
  bytes[at++] = (low >>> 16) & 0xff;
  bytes[at++] = (low >>> 8) & 0xff;
  bytes[at] = low & 0xff;
  return length;
}

// Changelog value: window length (end - start) as a varint, then the aggregate's bytes.
function encodeWindowValue<A>(start: number, end: number, aggregate: A, serde: Serde<A>): Uint8Array {
  const bytes = serde.serialize(aggregate);
  const length = end - start;
  const out = new Uint8Array(uvarintLength(length) + bytes.length);
  out.set(bytes, writeUvarint(out, 0, length));
  return out;
}
