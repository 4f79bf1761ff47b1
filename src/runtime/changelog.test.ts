import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summarySerde, type Summary } from '../operators/index.ts';
import { inMemoryWindowStore } from '../state/index.ts';
import { BucketedChangelog, bucketOf, bucketPartKey, decodeBucket, encodeBucket, joinBucketParts, type ChangelogMessage } from './changelog.ts';
import { LatestByKey } from './restore.ts';

const agg = (n: number): Summary => ({ count: n, sum: n * 2, min: 0, max: n });

type Op = { kind: 'put'; key: string; start: number; n: number } | { kind: 'delete'; key: string; start: number } | { kind: 'checkpoint' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), start: fc.integer({ min: 0, max: 5 }).map((i) => i * 1000), n: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom('a', 'b', 'c', 'd'), start: fc.integer({ min: 0, max: 5 }).map((i) => i * 1000) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'checkpoint' as const }) },
);

describe('bucketed changelog', () => {
  it('encodes and decodes bucket contents', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.uint8Array({ maxLength: 40 }), value: fc.uint8Array({ maxLength: 300 }) })), (entries) => {
        const decoded = decodeBucket(encodeBucket(entries)).map((e) => ({ key: Uint8Array.from(e.key), value: Uint8Array.from(e.value!) }));
        expect(decoded).toEqual(entries);
      }),
    );
  });

  it('rejects corrupt bucket bytes with a clear error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeBucket(bytes);
        } catch (err) {
          expect((err as Error).message).toMatch(/^changelog bucket: /);
        }
      }),
    );
  });

  it('keeps buckets stable: the same key always lands in the same bucket', () => {
    expect(bucketOf(Buffer.from('series-1'), 256)).toBe(bucketOf(Buffer.from('series-1'), 256));
    expect(bucketOf(new Uint8Array(0), 256)).toBe(0x811c9dc5 % 256);
  });

  it('restores, from the latest record per bucket, exactly the store that was checkpointed (oracle: the live store)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: 1, max: 8 }), (ops, buckets) => {
        const live = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
        const changelog = new BucketedChangelog(live, buckets);
        const topic: ChangelogMessage[] = [];
        let streamTime = 0;
        // Stream time is written with a checkpoint that has changes: the one of the last such checkpoint comes back.
        let lastWritten: number | undefined;
        const checkpoint = () => {
          const records = changelog.checkpoint(++streamTime);
          if (records.length > 0) lastWritten = streamTime;
          topic.push(...records);
        };
        for (const o of ops) {
          if (o.kind === 'put') live.put(o.key, o.start, o.start + 1000, agg(o.n));
          else if (o.kind === 'delete') live.delete(o.key, o.start);
          else checkpoint();
        }
        checkpoint();
        const restored = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
        const result = new BucketedChangelog(restored, buckets).restore(topic);
        expect(restored.entries()).toEqual(live.entries());
        expect(result.entries).toBe(live.size);
        expect(result.streamTime).toBe(lastWritten);
      }),
    );
  });

  it("writes the same records through the window store's fast path as through drainChangelog/snapshotChangelog", () => {
    const keyArb = fc.oneof(fc.constantFrom('a', 'b', 'c', '0123456789abcdef0123456789abcdef'), fc.string({ unit: 'binary', maxLength: 4 }));
    const startArb = fc.oneof(fc.integer({ min: 0, max: 5 }).map((i) => i * 1000), fc.constantFrom(-1000, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER - 10_000));
    const anyOp: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, start: startArb, n: fc.nat(50) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb, start: startArb }) },
      { weight: 2, arbitrary: fc.constant({ kind: 'checkpoint' as const }) },
    );
    fc.assert(
      fc.property(fc.array(anyOp, { maxLength: 80 }), fc.integer({ min: 1, max: 300 }), (ops, buckets) => {
        const fast = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
        const plain = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
        // The generic path: the same store without the optional fast-path methods.
        const generic = {
          logged: true,
          get pendingChanges() { return plain.pendingChanges; },
          drainChanges: () => plain.drainChanges(),
          drainChangelog: () => plain.drainChangelog(),
          restoreRecord: (r: Parameters<typeof plain.restoreRecord>[0]) => plain.restoreRecord(r),
          snapshotChangelog: () => plain.snapshotChangelog(),
        };
        const a = new BucketedChangelog(fast, buckets);
        const b = new BucketedChangelog(generic, buckets);
        let t = 0;
        for (const o of [...ops, { kind: 'checkpoint' as const }]) {
          if (o.kind === 'put') for (const s of [fast, plain]) s.put(o.key, o.start, o.start + 1000, agg(o.n));
          else if (o.kind === 'delete') for (const s of [fast, plain]) s.delete(o.key, o.start);
          else {
            t++;
            expect(a.checkpoint(t)).toEqual(b.checkpoint(t));
          }
        }
      }),
    );
  });

  it('writes nothing when nothing changed, and a tombstone when a bucket empties', () => {
    const store = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
    const changelog = new BucketedChangelog(store, 4);
    expect(changelog.checkpoint(1)).toEqual([]);
    store.put('a', 0, 1000, agg(1));
    const first = changelog.checkpoint(2);
    expect(first.filter((m) => m.key[0] === 1)).toHaveLength(1);
    store.delete('a', 0);
    const second = changelog.checkpoint(3);
    expect(second.filter((m) => m.key[0] === 1)).toEqual([{ key: first[0].key, value: null }]);
  });
});

/** What compaction leaves of a topic: the latest record per key, some tombstones already gone (delete.retention.ms). */
function compacted(topic: ChangelogMessage[], dropTombstone: (i: number) => boolean): ChangelogMessage[] {
  const latest = new LatestByKey();
  for (const r of topic) latest.add(r.key, r.value);
  return latest.values().filter((r, i) => r.value !== null || !dropTombstone(i)) as ChangelogMessage[];
}

describe('bucket parts', () => {
  it('keep every record under the part size, and restore the store exactly, from the whole topic or from what compaction leaves of it', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 120 }), fc.func(fc.boolean()), (ops, buckets, partBytes, dropTombstone) => {
        const live = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
        const changelog = new BucketedChangelog(live, buckets, partBytes);
        const topic: ChangelogMessage[] = [];
        let t = 0;
        for (const o of [...ops, { kind: 'checkpoint' as const }]) {
          if (o.kind === 'put') live.put(o.key, o.start, o.start + 1000, agg(o.n));
          else if (o.kind === 'delete') live.delete(o.key, o.start);
          else topic.push(...changelog.checkpoint(++t));
        }
        for (const r of topic) if (r.key[0] === 1) expect(r.value === null || r.value.length <= partBytes).toBe(true);
        for (const image of [topic, compacted(topic, dropTombstone)]) {
          const restored = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
          const result = new BucketedChangelog(restored, buckets, partBytes).restore(image);
          expect(restored.entries()).toEqual(live.entries());
          expect(result.entries).toBe(live.size);
        }
      }),
    );
  });

  it('go on from a restored task: parts it no longer needs get tombstones (part counts survive a restore)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.array(op, { maxLength: 80 }), fc.integer({ min: 8, max: 80 }), (before, after, partBytes) => {
        const live = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
        const topic: ChangelogMessage[] = [];
        const apply = (store: typeof live, changelog: BucketedChangelog, ops: Op[]) => {
          for (const o of [...ops, { kind: 'checkpoint' as const }]) {
            if (o.kind === 'put') store.put(o.key, o.start, o.start + 1000, agg(o.n));
            else if (o.kind === 'delete') store.delete(o.key, o.start);
            else topic.push(...changelog.checkpoint(1));
          }
        };
        apply(live, new BucketedChangelog(live, 2, partBytes), before);
        // A new owner restores, then changes the store (often shrinking it) and checkpoints.
        const second = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
        const secondLog = new BucketedChangelog(second, 2, partBytes);
        secondLog.restore(topic);
        const oracle = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
        for (const e of second.entries()) oracle.put(e.key, e.start, e.end, e.aggregate);
        for (const o of after) {
          if (o.kind === 'put') oracle.put(o.key, o.start, o.start + 1000, agg(o.n));
          else if (o.kind === 'delete') oracle.delete(o.key, o.start);
        }
        apply(second, secondLog, after);
        const restored = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
        new BucketedChangelog(restored, 2, partBytes).restore(compacted(topic, () => true));
        expect(restored.entries()).toEqual(oracle.entries());
      }),
    );
  });

  it('write a small bucket as one record under its own key, the layout of topics written before parts existed', () => {
    const store = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
    store.put('a', 0, 1000, agg(1));
    const records = new BucketedChangelog(store, 1).checkpoint(undefined);
    expect(records).toEqual([{ key: Buffer.from([1, 0, 0]), value: expect.any(Buffer) }]);
    // An old-layout record restores with today's code.
    const restored = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
    new BucketedChangelog(restored, 1).restore([{ key: Buffer.from([1, 0, 0]), value: encodeBucket(store.snapshotChangelog()) }]);
    expect(restored.entries()).toEqual(store.entries());
  });

  it('cut a large bucket into parts and tombstone the parts a smaller one leaves', () => {
    const store = inMemoryWindowStore<string, Summary>({ name: 's', aggregateSerde: summarySerde });
    for (let i = 0; i < 100; i++) store.put(`key-${i}`, 0, 1000, agg(i));
    const changelog = new BucketedChangelog(store, 1, 1024);
    const first = changelog.checkpoint(undefined);
    expect(first.length).toBeGreaterThan(2);
    expect(first.map((r) => r.key)).toEqual(first.map((_, i) => bucketPartKey(0, i)));
    for (let i = 1; i < 100; i++) store.delete(`key-${i}`, 0);
    const second = changelog.checkpoint(undefined);
    expect(second[0].value!.length).toBeLessThanOrEqual(1024);
    expect(second.slice(1)).toEqual(first.slice(1).map((r) => ({ key: r.key, value: null })));
  });

  it('refuse to join parts with a gap', () => {
    expect(() => joinBucketParts(7, [Buffer.from([0]), null, Buffer.from([1])])).toThrow('changelog bucket 7: part 1 of 3 is missing');
    expect(joinBucketParts(7, [null, null])).toEqual({ value: null, parts: 0 });
    expect(joinBucketParts(7, [Buffer.from([1]), Buffer.from([2]), null])).toEqual({ value: Buffer.from([1, 2]), parts: 2 });
  });
});

describe('restore keeps the latest record per key', () => {
  it('holds one record per key, the last one, in the order of the last offsets (oracle: a scan from the end)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.option(fc.constantFrom('a', 'b', 'c', 'dd', ''), { nil: null }), fc.option(fc.nat(1000), { nil: null }))), (records) => {
        const latest = new LatestByKey();
        for (const [k, v] of records) latest.add(k === null ? null : Buffer.from(k), v === null ? null : Buffer.from(String(v)));
        const seen = new Set<string>();
        const expected: Array<{ key: Buffer; value: Buffer | null }> = [];
        for (let i = records.length - 1; i >= 0; i--) {
          const [k, v] = records[i];
          if (k === null || seen.has(k)) continue;
          seen.add(k);
          expected.unshift({ key: Buffer.from(k), value: v === null ? null : Buffer.from(String(v)) });
        }
        expect(latest.values()).toEqual(expected);
        expect(latest.size).toBe(seen.size);
      }),
    );
  });

  it('copies kept bytes out of the fetched buffer', () => {
    const fetched = Buffer.alloc(64 * 1024);
    fetched.write('kkvvvv');
    const latest = new LatestByKey();
    latest.add(fetched.subarray(0, 2), fetched.subarray(2, 6));
    const [kept] = latest.values();
    expect(kept.value!.buffer.byteLength).toBe(4);
    expect(kept.key!.buffer.byteLength).toBe(2);
    expect(kept.value).toEqual(Buffer.from('vvvv'));
  });
});

describe('checkpoint chunks', () => {
  it('keep every message, in order, within the byte and count bounds', async () => {
    const { chunks } = await import('./task.ts');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 300_000 })), { maxLength: 300 }), (spec) => {
        const messages = new Map<string, Array<{ key: string; value: Buffer }>>();
        spec.forEach(([topic, size], i) => {
          const list = messages.get(topic) ?? [];
          list.push({ key: String(i), value: Buffer.alloc(size) });
          messages.set(topic, list);
        });
        const sent = new Map<string, string[]>();
        for (const chunk of chunks(messages)) {
          const bytes = chunk.reduce((sum, c) => sum + c.messages.reduce((s, m) => s + (m.value as Buffer).length + 64 + String(m.key).length, 0), 0);
          const count = chunk.reduce((sum, c) => sum + c.messages.length, 0);
          expect(count).toBeGreaterThan(0);
          expect(count === 1 || bytes <= 512 * 1024).toBe(true);
          expect(count).toBeLessThanOrEqual(2000);
          for (const c of chunk) sent.set(c.topic, [...(sent.get(c.topic) ?? []), ...c.messages.map((m) => String(m.key))]);
        }
        for (const [topic, list] of messages) expect(sent.get(topic)).toEqual(list.map((m) => m.key));
      }),
    );
  });
});
