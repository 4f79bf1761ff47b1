// Bucketed changelogs: a store's entries are grouped into a fixed number of buckets by a hash of their key, and
// each checkpoint rewrites every bucket that changed as one record keyed by bucket. Compaction keeps the latest
// record per bucket, which holds the whole bucket, so the topic stays a complete, compact image of the store,
// while a checkpoint costs a few large records instead of one record per changed key.
//
// A bucket grows with the store (about 1 MiB at 3.5 M windows in 256 buckets), and a broker refuses records over
// the topic's max.message.bytes. So a bucket's bytes are cut into parts of at most `partBytes`: part 0 keeps the
// bucket's own key (a small bucket is written exactly as before, and topics written before parts existed restore
// as they are), part i > 0 is keyed by bucket and i. A checkpoint writes every part of a changed bucket and a
// tombstone for each part it no longer needs, all in the task's transaction, so the latest record of every part
// key comes from the same checkpoint and compaction still keeps a complete image.
import type { ChangeCapture, ChangelogRecord } from '../state/index.ts';

export const DEFAULT_BUCKETS = 256;
/** Largest changelog record by default: half the broker's default max.message.bytes (1 MiB + 12). */
export const DEFAULT_PART_BYTES = 512 * 1024;
const BUCKET = 1;
const STREAM_TIME = 2;

/** Changelog topic of a store, as the architecture names it. */
export function changelogTopic(application: string, store: string): string {
  return `${application}-${store}-changelog`;
}

/** FNV-1a over the key bytes: stable across processes and versions, which the bucket layout depends on. */
export function bucketOf(key: Uint8Array, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i], 0x01000193);
  return (h >>> 0) % buckets;
}

/** Key of part `part` of a bucket: the bucket's own 3-byte key for part 0, bucket and part (5 bytes) after it. */
export function bucketPartKey(bucket: number, part = 0): Buffer {
  const key = Buffer.alloc(part === 0 ? 3 : 5);
  key[0] = BUCKET;
  key.writeUInt16BE(bucket, 1);
  if (part > 0) key.writeUInt16BE(part, 3);
  return key;
}

// Parts are numbered in 16 bits: 64 Ki parts of partBytes each per bucket.
const MAX_PARTS = 0xffff;

const STREAM_TIME_KEY = Buffer.from([STREAM_TIME]);

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    len++;
  }
  return len;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[pos++] = n;
  return pos;
}

function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let n = 0;
  let mul = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('changelog bucket: truncated varint');
    const b = buf[pos++];
    n += (b & 0x7f) * mul;
    if (b < 0x80) return [n, pos];
    mul *= 0x80;
    if (mul > 2 ** 49) throw new Error('changelog bucket: varint too long');
  }
}

/** Packs entries as: count, then (key length, key, value length, value) each. */
export function encodeBucket(entries: ChangelogRecord[]): Buffer {
  let size = varintLength(entries.length);
  for (const e of entries) size += varintLength(e.key.length) + e.key.length + varintLength(e.value!.length) + e.value!.length;
  const buf = Buffer.allocUnsafe(size);
  let pos = writeVarint(buf, 0, entries.length);
  for (const e of entries) {
    pos = writeVarint(buf, pos, e.key.length);
    buf.set(e.key, pos);
    pos += e.key.length;
    pos = writeVarint(buf, pos, e.value!.length);
    buf.set(e.value!, pos);
    pos += e.value!.length;
  }
  return buf;
}

/** The entries of a bucket record. */
export function decodeBucket(buf: Uint8Array): ChangelogRecord[] {
  let [count, pos] = readVarint(buf, 0);
  const out: ChangelogRecord[] = [];
  while (count-- > 0) {
    let len: number;
    [len, pos] = readVarint(buf, pos);
    if (pos + len > buf.length) throw new Error('changelog bucket: key runs past the end');
    const key = buf.subarray(pos, pos + len);
    pos += len;
    [len, pos] = readVarint(buf, pos);
    if (pos + len > buf.length) throw new Error('changelog bucket: value runs past the end');
    out.push({ key, value: buf.subarray(pos, pos + len) });
    pos += len;
  }
  if (pos !== buf.length) throw new Error('changelog bucket: trailing bytes');
  return out;
}

// Room for the entry count in front of a bucket's entries: a varint of up to 2^35.
const COUNT_ROOM = 5;

/** Writes one bucket record (encodeBucket's layout) entry by entry, the count filled in at the end. */
class BucketWriter {
  private buf: Buffer;
  private length = COUNT_ROOM;
  private count = 0;

  constructor(expected: number) {
    this.buf = Buffer.allocUnsafe(Math.max(256, COUNT_ROOM + expected + (expected >> 3)));
  }

  add(bytes: Uint8Array, keyLength: number, valueLength: number): void {
    const need = this.length + keyLength + valueLength + 20;
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(need, 2 * this.buf.length));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const buf = this.buf;
    let pos = writeVarint(buf, this.length, keyLength);
    buf.set(bytes.subarray(0, keyLength), pos);
    pos += keyLength;
    pos = writeVarint(buf, pos, valueLength);
    buf.set(bytes.subarray(keyLength, keyLength + valueLength), pos);
    this.length = pos + valueLength;
    this.count++;
  }

  finish(): Buffer {
    const start = COUNT_ROOM - varintLength(this.count);
    writeVarint(this.buf, start, this.count);
    return this.buf.subarray(start, this.length);
  }
}

export interface ChangelogMessage {
  key: Buffer;
  value: Buffer | null;
}

/** Number of parts a bucket's bytes take (0 for an empty bucket). */
function partCount(value: Buffer | null, partBytes: number): number {
  return value === null ? 0 : Math.max(1, Math.ceil(value.length / partBytes));
}

/**
 * The records of one bucket's bytes (null: the bucket is empty) cut into parts of at most `partBytes`, then
 * tombstones for parts `previousParts` had that it no longer needs. Parts are views of `value`, not copies.
 */
export function bucketParts(bucket: number, value: Buffer | null, partBytes: number, previousParts: number): ChangelogMessage[] {
  const out: ChangelogMessage[] = [];
  const parts = partCount(value, partBytes);
  if (parts > MAX_PARTS) throw new Error(`changelog bucket ${bucket}: ${value!.length} bytes need more than ${MAX_PARTS} parts of ${partBytes} bytes`);
  for (let i = 0; i < parts; i++) out.push({ key: bucketPartKey(bucket, i), value: value!.subarray(i * partBytes, (i + 1) * partBytes) });
  for (let i = parts; i < previousParts; i++) out.push({ key: bucketPartKey(bucket, i), value: null });
  return out;
}

/**
 * A bucket's bytes from the latest record of each of its part keys (index = part; null or missing: no record or a
 * tombstone). Parts 0 … n-1 must all be there; a gap means the topic does not hold one checkpoint's image.
 */
export function joinBucketParts(bucket: number, parts: Array<Buffer | null | undefined>): { value: Buffer | null; parts: number } {
  let n = parts.length;
  while (n > 0 && parts[n - 1] == null) n--;
  if (n === 0) return { value: null, parts: 0 };
  for (let i = 0; i < n; i++) if (parts[i] == null) throw new Error(`changelog bucket ${bucket}: part ${i} of ${n} is missing`);
  return { value: n === 1 ? parts[0]! : Buffer.concat(parts.slice(0, n) as Buffer[]), parts: n };
}

/** Checkpoints one store of one task into bucket records, and restores it from them. */
export class BucketedChangelog {
  /** Parts each bucket has in the topic, so parts a bucket no longer needs (or an emptied bucket) get tombstones. */
  private readonly filled = new Map<number, number>();
  /** Size of each bucket's last record: the first guess for its next buffer. */
  private readonly lastSizes = new Map<number, number>();
  private readonly store: ChangeCapture<unknown>;
  private readonly buckets: number;
  private readonly partBytes: number;

  /** `partBytes`: the largest record to write (keep it under the changelog topic's max.message.bytes). */
  constructor(store: ChangeCapture<unknown>, buckets = DEFAULT_BUCKETS, partBytes = DEFAULT_PART_BYTES) {
    if (!(Number.isSafeInteger(partBytes) && partBytes >= 1)) throw new RangeError(`changelog part size must be a positive number of bytes, got ${partBytes}`);
    this.store = store;
    this.buckets = buckets;
    this.partBytes = partBytes;
  }

  /** Records for everything that changed since the last checkpoint (empty if nothing did). */
  checkpoint(streamTime: number | undefined): ChangelogMessage[] {
    const fast = this.store.drainChangedKeyHashes !== undefined && this.store.forEachLiveRecord !== undefined;
    const dirty = new Set<number>();
    if (fast) {
      const hashes = this.store.drainChangedKeyHashes!();
      if (hashes.length === 0) return [];
      for (const h of hashes) dirty.add(h % this.buckets);
    } else {
      const changes = this.store.drainChangelog();
      if (changes.length === 0) return [];
      for (const change of changes) dirty.add(bucketOf(change.key, this.buckets));
    }
    const contents = fast ? this.encodeDirtyFast(dirty) : this.encodeDirty(dirty);
    const out: ChangelogMessage[] = [];
    for (const bucket of dirty) {
      const value = contents.get(bucket) ?? null;
      const previous = this.filled.get(bucket) ?? 0;
      if (value === null && previous === 0) continue;
      for (const r of bucketParts(bucket, value, this.partBytes, previous)) out.push(r);
      if (value === null) this.filled.delete(bucket);
      else this.filled.set(bucket, partCount(value, this.partBytes));
    }
    if (streamTime !== undefined && Number.isFinite(streamTime)) {
      const value = Buffer.alloc(8);
      value.writeDoubleBE(streamTime);
      out.push({ key: STREAM_TIME_KEY, value });
    }
    return out;
  }

  /** The bucket records of the dirty buckets that hold entries, from the store's serialized snapshot. */
  private encodeDirty(dirty: Set<number>): Map<number, Buffer> {
    const contents = new Map<number, ChangelogRecord[]>();
    for (const entry of this.store.snapshotChangelog()) {
      const bucket = bucketOf(entry.key, this.buckets);
      if (!dirty.has(bucket)) continue;
      const list = contents.get(bucket);
      if (list) list.push(entry);
      else contents.set(bucket, [entry]);
    }
    const encoded = new Map<number, Buffer>();
    for (const [bucket, entries] of contents) encoded.set(bucket, encodeBucket(entries));
    return encoded;
  }

  /**
   * The same bytes as `encodeDirty`, written straight into one buffer per bucket: the store serializes only the
   * entries of dirty buckets, with no object per entry. Each buffer keeps room for the count in front.
   */
  private encodeDirtyFast(dirty: Set<number>): Map<number, Buffer> {
    const buckets = this.buckets;
    const writers = new Map<number, BucketWriter>();
    let current: BucketWriter | undefined;
    this.store.forEachLiveRecord!(
      (hash) => {
        const bucket = hash % buckets;
        if (!dirty.has(bucket)) return false;
        current = writers.get(bucket);
        if (current === undefined) {
          current = new BucketWriter(this.lastSizes.get(bucket) ?? 0);
          writers.set(bucket, current);
        }
        return true;
      },
      (bytes, keyLength, valueLength) => current!.add(bytes, keyLength, valueLength),
    );
    const encoded = new Map<number, Buffer>();
    for (const [bucket, writer] of writers) {
      const value = writer.finish();
      this.lastSizes.set(bucket, value.length);
      encoded.set(bucket, value);
    }
    return encoded;
  }

  /**
   * Restores from the changelog records of this task's partition, read in offset order; only the latest
   * record per bucket part counts. Returns the stream time recorded with the last checkpoint, if any.
   */
  restore(records: Iterable<{ key: Buffer | null; value: Buffer | null }>): { entries: number; streamTime?: number } {
    const latest = new Map<number, Array<Buffer | null>>();
    let streamTime: number | undefined;
    for (const r of records) {
      if (!r.key || r.key.length === 0) continue;
      if (r.key[0] === BUCKET && (r.key.length === 3 || r.key.length === 5)) {
        const bucket = r.key.readUInt16BE(1);
        const parts = latest.get(bucket) ?? [];
        parts[r.key.length === 3 ? 0 : r.key.readUInt16BE(3)] = r.value;
        latest.set(bucket, parts);
      } else if (r.key[0] === STREAM_TIME && r.value) streamTime = r.value.readDoubleBE(0);
    }
    let entries = 0;
    for (const [bucket, parts] of latest) {
      const { value, parts: n } = joinBucketParts(bucket, parts);
      if (value === null) continue;
      this.filled.set(bucket, n);
      for (const entry of decodeBucket(value)) {
        this.store.restoreRecord(entry);
        entries++;
      }
    }
    return { entries, streamTime };
  }
}
