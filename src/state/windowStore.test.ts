import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChangelogRecord } from './changelog.ts';
import { float64Serde, jsonSerde } from './serde.ts';
import { inMemoryWindowStore } from './windowStore.ts';
import type { WindowEntry } from './windowStore.ts';

const options = { name: 'sums', aggregateSerde: float64Serde };

describe('inMemoryWindowStore', () => {
  it('keeps windows per key ordered by start', () => {
    const store = inMemoryWindowStore<string, number>(options);
    store.put('a', 20, 30, 2);
    store.put('a', 0, 10, 0);
    store.put('a', 10, 20, 1);
    store.put('b', 0, 10, 5);
    expect(store.windowsOf('a').map((w) => w.start)).toEqual([0, 10, 20]);
    expect(plain(store.get('b', 0)!)).toEqual({ key: 'b', start: 0, end: 10, aggregate: 5 });
    expect(store.get('b', 10)).toBeUndefined();
    expect(store.size).toBe(4);
    expect(store.delete('a', 10)).toBe(true);
    expect(store.windowsOf('a').map((w) => w.start)).toEqual([0, 20]);
    expect(store.delete('a', 10)).toBe(false);
  });

  it('takes ended windows ordered by end, key, start and leaves the rest', () => {
    const store = inMemoryWindowStore<string, number>(options);
    store.put('b', 0, 10, 1);
    store.put('a', 0, 10, 2);
    store.put('a', 10, 20, 3);
    store.put('c', -5, 5, 4);
    expect(store.earliestEnd()).toBe(5);
    expect(store.takeEndedBy(10).map((w) => [w.key, w.end])).toEqual([
      ['c', 5],
      ['a', 10],
      ['b', 10],
    ]);
    expect(store.size).toBe(1);
    expect(store.earliestEnd()).toBe(20);
    expect(store.takeEndedBy(19)).toEqual([]);
  });

  it('finds a window by its new end after the end moves (session growth)', () => {
    const store = inMemoryWindowStore<string, number>(options);
    store.put('a', 0, 10, 1);
    store.put('a', 0, 25, 2);
    expect(store.takeEndedBy(10)).toEqual([]);
    expect(store.takeEndedBy(25).map(plain)).toEqual([{ key: 'a', start: 0, end: 25, aggregate: 2 }]);
    expect(store.earliestEnd()).toBe(Infinity);
  });

  it('keeps closing correct while many windows grow and are removed (heap compaction)', () => {
    const store = inMemoryWindowStore<string, number>({ ...options, logged: false });
    for (let i = 0; i < 1_000; i++) {
      store.put('grows', 0, 10 + i, i);
      store.put(`k${i % 7}`, 1_000 + i, 2_000 + i, i);
      if (i % 3 === 0) store.delete(`k${i % 7}`, 1_000 + i);
    }
    expect(store.earliestEnd()).toBe(1_009);
    const ended = store.takeEndedBy(2_100);
    expect(ended[0]).toMatchObject({ key: 'grows', start: 0, end: 1_009 });
    expect(ended.map((w) => w.end)).toEqual([...ended.map((w) => w.end)].sort((a, b) => a - b));
    expect(store.size + ended.length).toBe(1 + 1_000 - 334);
  });

  it('captures changes with tombstones for removed windows, and restores them', () => {
    const store = inMemoryWindowStore<string, number>(options);
    store.put('a', 0, 10, 1);
    store.put('a', 0, 10, 2);
    store.put('b', 0, 10, 3);
    store.takeEndedBy(10);
    store.put('a', 10, 20, 4);
    expect(store.drainChanges()).toEqual([
      { key: 'a', start: 0, value: null },
      { key: 'b', start: 0, value: null },
      { key: 'a', start: 10, value: { end: 20, aggregate: 4 } },
    ]);
    expect(store.pendingChanges).toBe(0);
  });

  it('writes compact changelog records: key bytes + int64 start, varint length + aggregate', () => {
    const store = inMemoryWindowStore<string, number>(options);
    store.put('k', 60_000, 120_000, 1.5);
    const [record] = store.drainChangelog();
    expect(record.key.length).toBe(1 + 8);
    expect(record.value?.length).toBe(3 + 8);
    const restored = inMemoryWindowStore<string, number>(options);
    restored.restoreRecord(record);
    expect(restored.entries().map(plain)).toEqual([{ key: 'k', start: 60_000, end: 120_000, aggregate: 1.5 }]);
  });

  it('rebuilds the same windows from its drained changelog (property)', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'séries');
    const start = fc.integer({ min: -3, max: 6 }).map((n) => n * 10);
    const op = fc.oneof(
      fc.record({ op: fc.constant('put' as const), key, start, length: fc.integer({ min: 0, max: 40 }), value: fc.integer() }),
      fc.record({ op: fc.constant('delete' as const), key, start }),
      fc.record({ op: fc.constant('take' as const), maxEnd: fc.integer({ min: -30, max: 110 }) }),
      fc.record({ op: fc.constant('checkpoint' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const store = inMemoryWindowStore<string, number>(options);
        const model = new Map<string, WindowEntry<string, number>>();
        const changelog: ChangelogRecord[] = [];
        for (const step of ops) {
          if (step.op === 'put') {
            store.put(step.key, step.start, step.start + step.length, step.value);
            model.set(`${step.key}@${step.start}`, { key: step.key, start: step.start, end: step.start + step.length, aggregate: step.value });
          } else if (step.op === 'delete') {
            expect(store.delete(step.key, step.start)).toBe(model.delete(`${step.key}@${step.start}`));
          } else if (step.op === 'take') {
            const expected = [...model.values()]
              .filter((w) => w.end <= step.maxEnd)
              .sort((x, y) => x.end - y.end || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0) || x.start - y.start);
            for (const w of expected) model.delete(`${w.key}@${w.start}`);
            expect(store.takeEndedBy(step.maxEnd).map(plain)).toEqual(expected);
          } else {
            changelog.push(...store.drainChangelog());
          }
          expect(store.size).toBe(model.size);
        }
        changelog.push(...store.drainChangelog());
        const restored = inMemoryWindowStore<string, number>(options);
        for (const record of changelog) restored.restoreRecord(record);
        expect(restored.entries().map(plain)).toEqual(store.entries().map(plain));
        expect(restored.pendingChanges).toBe(0);
        const earliest = Math.min(...[...model.values()].map((w) => w.end));
        expect(restored.earliestEnd()).toBe(earliest);
      }),
      { numRuns: 300 },
    );
  });

  it('behaves the same with aggregates packed in a Float64Array and kept as objects (property)', () => {
    // float64Serde has a float64Layout (packed); the JSON serde has none (one reference per window).
    const key = fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `k${i}`), 'séries');
    const start = fc.integer({ min: -3, max: 8 }).map((n) => n * 10);
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.record({ op: fc.constant('put' as const), key, start, length: fc.integer({ min: 0, max: 40 }), value: fc.double() }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key, start }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('take' as const), maxEnd: fc.integer({ min: -30, max: 130 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('checkpoint' as const) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('read' as const), key, start }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const packed = inMemoryWindowStore<string, number>(options);
        const objects = inMemoryWindowStore<string, number>({ name: 'sums', aggregateSerde: jsonSerde<number>() });
        for (const step of ops) {
          if (step.op === 'put') for (const s of [packed, objects]) s.put(step.key, step.start, step.start + step.length, step.value);
          else if (step.op === 'delete') expect(packed.delete(step.key, step.start)).toBe(objects.delete(step.key, step.start));
          else if (step.op === 'take') expect(packed.takeEndedBy(step.maxEnd)).toEqual(objects.takeEndedBy(step.maxEnd));
          else if (step.op === 'checkpoint') expect(packed.drainChanges()).toEqual(objects.drainChanges());
          else {
            expect(packed.get(step.key, step.start)).toEqual(objects.get(step.key, step.start));
            expect(packed.aggregateOf(step.key, step.start)).toEqual(objects.get(step.key, step.start)?.aggregate);
            expect(packed.windowsOf(step.key)).toEqual(objects.windowsOf(step.key));
          }
          expect(packed.size).toBe(objects.size);
          expect(packed.pendingChanges).toBe(objects.pendingChanges);
          expect(packed.earliestEnd()).toBe(objects.earliestEnd());
        }
        expect(packed.entries()).toEqual(objects.entries());
        expect(packed.drainChanges()).toEqual(objects.drainChanges());
      }),
      { numRuns: 300 },
    );
  });

  it('reuses the slots of removed windows only once their tombstones are drained', () => {
    const store = inMemoryWindowStore<string, number>(options);
    for (let i = 0; i < 100; i++) store.put(`k${i}`, 0, 10, i);
    store.drainChanges();
    expect(store.takeEndedBy(10)).toHaveLength(100);
    // The tombstones are pending: new windows must not overwrite what they will drain as.
    for (let i = 0; i < 100; i++) store.put(`n${i}`, 10, 20, -i);
    store.put('k0', 0, 10, 7);
    const changes = store.drainChanges();
    expect(changes).toHaveLength(201);
    // Tombstones come in heap order (ties broken arbitrarily), so compare them as a set.
    const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    expect(changes.slice(0, 100).sort(byKey)).toEqual(Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, start: 0, value: null })).sort(byKey));
    expect(changes.slice(100, 200)).toEqual(Array.from({ length: 100 }, (_, i) => ({ key: `n${i}`, start: 10, value: { end: 20, aggregate: -i } })));
    expect(changes[200]).toEqual({ key: 'k0', start: 0, value: { end: 10, aggregate: 7 } });
    // Now released: the next windows reuse them and everything reads back.
    for (let i = 0; i < 99; i++) store.put(`r${i}`, 20, 30, i);
    expect(store.size).toBe(200);
    expect(store.get('n5', 10)).toEqual({ key: 'n5', start: 10, end: 20, aggregate: -5 });
    expect(store.get('r98', 20)).toEqual({ key: 'r98', start: 20, end: 30, aggregate: 98 });
    expect(store.takeEndedBy(10)).toEqual([{ key: 'k0', start: 0, end: 10, aggregate: 7 }]);
    expect(store.takeEndedBy(20).map((w) => w.key)).toEqual(Array.from({ length: 100 }, (_, i) => `n${i}`).sort());
    expect(store.earliestEnd()).toBe(30);
  });
});

function plain(entry: WindowEntry<string, number>): WindowEntry<string, number> {
  return { key: entry.key, start: entry.start, end: entry.end, aggregate: entry.aggregate };
}
