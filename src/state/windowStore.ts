import { changelogKeyHash } from './changelog.ts';
import type { ChangeCapture, ChangelogRecord } from './changelog.ts';
import { decodeWindowKey, encodeWindowKey, readUvarint, uvarintLength, writeUvarint } from './serde.ts';
import type { Serde } from './serde.ts';
import { DIRTY, EndHeap, LIVE, WindowSlot, compareSlots } from './windowStoreInternals.ts';

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
 * Entries returned by `get` and `windowsOf` are live views: read them before the next write.
 */
export interface WindowStore<K extends string, A> extends ChangeCapture<WindowChange<K, A>> {
  readonly name: string;
  /** Number of windows in the store. */
  readonly size: number;
  get(key: K, start: number): WindowEntry<K, A> | undefined;
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

type Slots<K extends string, A> = WindowSlot<K, A> | WindowSlot<K, A>[];

class InMemoryWindowStore<K extends string, A> implements WindowStore<K, A> {
  readonly name: string;
  readonly logged: boolean;
  private readonly aggregateSerde: Serde<A> | undefined;
  // Most keys have one open window, so a key maps to a bare slot and only to an array (sorted
  // by start) when it has several; this saves an array per key.
  private readonly byKey = new Map<K, Slots<K, A>>();
  private readonly byEnd = new EndHeap<K, A>();
  // Slots changed since the last drain, in order of first change; removed slots stay as tombstones.
  private changed: WindowSlot<K, A>[] = [];
  private count = 0;
  // The slot `find` returned last (checked to be live before it is used again).
  private lastFound: WindowSlot<K, A> | undefined;

  constructor(options: WindowStoreOptions<A>) {
    this.name = options.name;
    this.aggregateSerde = options.aggregateSerde;
    this.logged = options.logged ?? true;
  }

  get size(): number {
    return this.count;
  }

  get pendingChanges(): number {
    return this.changed.length;
  }

  get(key: K, start: number): WindowEntry<K, A> | undefined {
    return this.find(key, start);
  }

  windowsOf(key: K): WindowEntry<K, A>[] {
    const slots = this.byKey.get(key);
    if (slots === undefined) return [];
    return Array.isArray(slots) ? slots.slice() : [slots];
  }

  put(key: K, start: number, end: number, aggregate: A): void {
    this.markChanged(this.write(key, start, end, aggregate));
  }

  delete(key: K, start: number): boolean {
    const slot = this.find(key, start);
    if (slot === undefined) return false;
    this.remove(slot);
    this.markChanged(slot);
    this.compactHeapIfStale();
    return true;
  }

  earliestEnd(): number {
    return this.byEnd.peekEnd();
  }

  takeEndedBy(maxEnd: number): WindowEntry<K, A>[] {
    const ended: WindowSlot<K, A>[] = [];
    for (let slot = this.byEnd.popIfEndedBy(maxEnd); slot; slot = this.byEnd.popIfEndedBy(maxEnd)) {
      this.remove(slot);
      this.markChanged(slot);
      ended.push(slot);
    }
    // The heap breaks ties arbitrarily; sort so equal inputs close in the same order after a restore.
    return ended.sort(compareSlots);
  }

  entries(): WindowEntry<K, A>[] {
    return [...this.liveSlots()].sort(compareSlots);
  }

  restore(change: WindowChange<K, A>): void {
    if (change.value !== null) {
      this.write(change.key, change.start, change.value.end, change.value.aggregate);
      return;
    }
    const slot = this.find(change.key, change.start);
    if (slot !== undefined) this.remove(slot);
  }

  drainChanges(): WindowChange<K, A>[] {
    const changes = this.changed.map((slot): WindowChange<K, A> => {
      slot.flags &= ~DIRTY;
      const value = (slot.flags & LIVE) !== 0 ? { end: slot.end, aggregate: slot.aggregate } : null;
      return { key: slot.key, start: slot.start, value };
    });
    this.changed = [];
    return changes;
  }

  snapshotChangelog(): ChangelogRecord[] {
    const serde = this.serde();
    const out: ChangelogRecord[] = [];
    for (const slot of this.liveSlots()) out.push({ key: encodeWindowKey(slot.key, slot.start), value: encodeWindowValue(slot.start, slot, serde) });
    return out;
  }

  drainChangelog(): ChangelogRecord[] {
    const serde = this.serde();
    return this.drainChanges().map((change) => ({
      key: encodeWindowKey(change.key, change.start),
      value: change.value === null ? null : encodeWindowValue(change.start, change.value, serde),
    }));
  }

  drainChangedKeyHashes(): number[] {
    const hashes = new Array<number>(this.changed.length);
    for (let i = 0; i < this.changed.length; i++) {
      const slot = this.changed[i];
      slot.flags &= ~DIRTY;
      hashes[i] = windowKeyHash(slot.key, slot.start);
    }
    this.changed = [];
    return hashes;
  }

  forEachLiveRecord(wanted: (keyHash: number) => boolean, visit: (bytes: Uint8Array, keyLength: number, valueLength: number) => void): void {
    const serde = this.serde();
    for (const slot of this.liveSlots()) {
      if (!wanted(windowKeyHash(slot.key, slot.start))) continue;
      const aggregate = serde.serialize(slot.aggregate);
      const length = slot.end - slot.start;
      let bytes = scratch;
      const keyLength = writeWindowKey(bytes, slot.key, slot.start);
      const valueLength = uvarintLength(length) + aggregate.length;
      if (bytes.length < keyLength + valueLength) {
        scratch = bytes = growScratch(keyLength + valueLength);
        writeWindowKey(bytes, slot.key, slot.start);
      }
      bytes.set(aggregate, writeUvarint(bytes, keyLength, length));
      visit(bytes, keyLength, valueLength);
    }
  }

  restoreRecord(record: ChangelogRecord): void {
    const serde = this.serde();
    const { key, start } = decodeWindowKey(record.key);
    const value = record.value === null ? null : decodeWindowValue(start, record.value, serde);
    this.restore({ key: key as K, start, value });
  }

  private *liveSlots(): IterableIterator<WindowSlot<K, A>> {
    for (const slots of this.byKey.values()) {
      if (Array.isArray(slots)) yield* slots;
      else yield slots;
    }
  }

  private find(key: K, start: number): WindowSlot<K, A> | undefined {
    // An aggregation reads a window and then writes it back: the second lookup is the same slot.
    const last = this.lastFound;
    if (last !== undefined && last.start === start && last.key === key && (last.flags & LIVE) !== 0) return last;
    const slots = this.byKey.get(key);
    if (slots === undefined) return undefined;
    if (!Array.isArray(slots)) {
      if (slots.start !== start) return undefined;
      this.lastFound = slots;
      return slots;
    }
    for (const slot of slots) {
      if (slot.start === start) {
        this.lastFound = slot;
        return slot;
      }
    }
    return undefined;
  }

  private write(key: K, start: number, end: number, aggregate: A): WindowSlot<K, A> {
    if (!(end >= start)) throw new RangeError(`store ${this.name}: window [${start},${end}) ends before it starts`);
    const existing = this.find(key, start);
    if (existing !== undefined) {
      existing.aggregate = aggregate;
      if (existing.end !== end) {
        existing.end = end;
        this.byEnd.push(existing);
        this.compactHeapIfStale();
      }
      return existing;
    }
    const slot = new WindowSlot(key, start, end, aggregate);
    this.lastFound = slot;
    const slots = this.byKey.get(key);
    if (slots === undefined) this.byKey.set(key, slot);
    else if (!Array.isArray(slots)) this.byKey.set(key, slots.start < start ? [slots, slot] : [slot, slots]);
    else insertByStart(slots, slot);
    this.byEnd.push(slot);
    this.count++;
    return slot;
  }

  private remove(slot: WindowSlot<K, A>): void {
    slot.flags &= ~LIVE;
    this.count--;
    const slots = this.byKey.get(slot.key);
    if (slots === slot) {
      this.byKey.delete(slot.key);
    } else if (Array.isArray(slots)) {
      slots.splice(slots.indexOf(slot), 1);
      if (slots.length === 1) this.byKey.set(slot.key, slots[0]);
    }
  }

  private markChanged(slot: WindowSlot<K, A>): void {
    if (!this.logged || (slot.flags & DIRTY) !== 0) return;
    slot.flags |= DIRTY;
    this.changed.push(slot);
  }

  // Sessions that keep growing leave one stale heap item per growth; rebuild before they pile up.
  private compactHeapIfStale(): void {
    if (this.byEnd.length > 2 * this.count + 64) this.byEnd.rebuild(this.liveSlots());
  }

  private serde(): Serde<A> {
    if (!this.aggregateSerde) throw new Error(`store ${this.name}: aggregateSerde is needed for changelog records`);
    return this.aggregateSerde;
  }
}

function insertByStart<K, A>(slots: WindowSlot<K, A>[], slot: WindowSlot<K, A>): void {
  let index = slots.length;
  while (index > 0 && slots[index - 1].start > slot.start) index--;
  slots.splice(index, 0, slot);
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
function encodeWindowValue<A>(start: number, value: { end: number; aggregate: A }, serde: Serde<A>): Uint8Array {
  const aggregate = serde.serialize(value.aggregate);
  const length = value.end - start;
  const bytes = new Uint8Array(uvarintLength(length) + aggregate.length);
  bytes.set(aggregate, writeUvarint(bytes, 0, length));
  return bytes;
}

function decodeWindowValue<A>(start: number, bytes: Uint8Array, serde: Serde<A>): { end: number; aggregate: A } {
  const [length, offset] = readUvarint(bytes, 0);
  return { end: start + length, aggregate: serde.deserialize(bytes.subarray(offset)) };
}
