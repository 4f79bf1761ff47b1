import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inMemoryKeyValueStore } from './keyValueStore.ts';
import { float64Serde, stringSerde } from './serde.ts';

const options = { name: 'last-values', keySerde: stringSerde, valueSerde: float64Serde };

describe('inMemoryKeyValueStore', () => {
  it('gets, puts and deletes', () => {
    const store = inMemoryKeyValueStore<string, number>(options);
    store.put('a', 1);
    store.put('b', 2);
    store.put('a', 3);
    expect(store.get('a')).toBe(3);
    expect(store.delete('b')).toBe(true);
    expect(store.delete('b')).toBe(false);
    expect(store.has('b')).toBe(false);
    expect(store.size).toBe(1);
  });

  it('captures the latest value per changed key, with tombstones for deletes', () => {
    const store = inMemoryKeyValueStore<string, number>(options);
    store.put('a', 1);
    store.put('b', 2);
    store.put('a', 3);
    store.delete('b');
    expect(store.pendingChanges).toBe(2);
    expect(store.drainChanges()).toEqual([
      { key: 'a', value: 3 },
      { key: 'b', value: null },
    ]);
    expect(store.drainChanges()).toEqual([]);
  });

  it('restores without recording changes', () => {
    const store = inMemoryKeyValueStore<string, number>(options);
    store.restore('a', 1);
    store.restore('b', 2);
    store.restore('b', null);
    expect([...store.entries()]).toEqual([['a', 1]]);
    expect(store.pendingChanges).toBe(0);
  });

  it('records nothing when not logged', () => {
    const store = inMemoryKeyValueStore<string, number>({ ...options, logged: false });
    store.put('a', 1);
    expect(store.drainChanges()).toEqual([]);
  });

  it('drops keys not updated for staleAfter ms of stream time, and logs tombstones for them', () => {
    const store = inMemoryKeyValueStore<string, number>({ ...options, staleAfter: 100 });
    store.put('early', 0); // before any stream time: counts as updated at the first one
    store.advanceStreamTime(1_000);
    store.put('a', 1);
    store.advanceStreamTime(1_050);
    store.put('b', 2);
    store.drainChanges();
    expect(store.advanceStreamTime(1_099)).toEqual([]);
    expect(store.advanceStreamTime(1_100)).toEqual([
      { key: 'early', value: 0, updatedAt: 1_000 },
      { key: 'a', value: 1, updatedAt: 1_000 },
    ]);
    expect(store.staleEvictions).toBe(2);
    expect([...store.entries()]).toEqual([['b', 2]]);
    expect(store.drainChanges()).toEqual([
      { key: 'early', value: null },
      { key: 'a', value: null },
    ]);
    store.put('b', 3); // refreshing a key keeps it
    expect(store.advanceStreamTime(1_160)).toEqual([]);
    expect(store.advanceStreamTime(1_000)).toEqual([]); // stream time never goes back
    expect(store.streamTime).toBe(1_160);
  });

  it('rebuilds the same contents from its drained changelog (property)', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('put' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'é', ''), value: fc.double({ noNaN: true }) }),
      fc.record({ op: fc.constant('delete' as const), key: fc.constantFrom('a', 'b', 'c', 'd', 'é', '') }),
      fc.record({ op: fc.constant('checkpoint' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const store = inMemoryKeyValueStore<string, number>(options);
        const changelog = [];
        for (const step of ops) {
          if (step.op === 'put') store.put(step.key, step.value);
          else if (step.op === 'delete') store.delete(step.key);
          else changelog.push(...store.drainChangelog());
        }
        changelog.push(...store.drainChangelog());
        const restored = inMemoryKeyValueStore<string, number>(options);
        for (const record of changelog) restored.restoreRecord(record);
        expect(new Map(restored.entries())).toEqual(new Map(store.entries()));
        expect(restored.pendingChanges).toBe(0);
      }),
    );
  });
});
