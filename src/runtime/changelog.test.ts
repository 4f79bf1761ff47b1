import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summarySerde, type Summary } from '../operators/index.ts';
import { inMemoryWindowStore } from '../state/index.ts';
import { BucketedChangelog, bucketOf, decodeBucket, encodeBucket, type ChangelogMessage } from './changelog.ts';

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
