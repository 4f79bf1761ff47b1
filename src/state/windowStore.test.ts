import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChangelogRecord } from './changelog.ts';
import { float64Serde } from './serde.ts';
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
});

function plain(entry: WindowEntry<string, number>): WindowEntry<string, number> {
  return { key: entry.key, start: entry.start, end: entry.end, aggregate: entry.aggregate };
}
