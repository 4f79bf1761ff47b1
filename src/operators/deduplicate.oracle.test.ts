// Oracle test of the dedup processor: its key-value store across checkpoint → crash → restore → resume, against
// brute force over the same input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topology } from '../runtime/dsl.ts';
import { TopologyTestDriver, type DriverRecord } from '../runtime/testing.ts';
import { deduplicate } from './deduplicate.ts';

const HORIZON = 100;

function dedupTopology() {
  return topology('dedup')
    .stream<string>({ topic: 'in', decode: (m) => [{ key: m.key!.toString(), timestamp: m.timestamp, value: m.value!.toString() }] })
    .process(deduplicate<string>({ store: 'ids', horizon: HORIZON }))
    .to('out', { value: (v) => v })
    .build();
}

/** Brute force: stream time is the running max; a record is forwarded unless its id was forwarded within the horizon. */
function oracle(records: DriverRecord[]): string[] {
  const forwardedAt = new Map<string, number>();
  let streamTime = -Infinity;
  const out: string[] = [];
  for (const r of records) {
    streamTime = Math.max(streamTime, r.timestamp!);
    const id = String(r.key);
    const at = forwardedAt.get(id);
    if (at !== undefined && at + HORIZON > streamTime) continue;
    forwardedAt.set(id, streamTime);
    out.push(String(r.value));
  }
  return out;
}

type Action = { kind: 'records'; steps: Array<{ id: number; dt: number }> } | { kind: 'commit' } | { kind: 'crash' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('records' as const), steps: fc.array(fc.record({ id: fc.integer({ min: 0, max: 6 }), dt: fc.integer({ min: -60, max: 80 }) }), { maxLength: 12 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
);

describe('deduplicate (oracle)', () => {
  it('forwards exactly what brute force forwards, across commits, crashes and restores', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 30 }), (actions) => {
        const driver = new TopologyTestDriver(dedupTopology(), { now: () => 10_000_000 });
        const all: DriverRecord[] = [];
        let time = 1_000_000;
        for (const a of actions) {
          if (a.kind === 'commit') driver.commit();
          else if (a.kind === 'crash') driver.crash();
          else {
            const batch = a.steps.map((s) => {
              time = Math.max(0, time + s.dt);
              return { key: `id${s.id}`, value: `${all.length + a.steps.indexOf(s)}`, timestamp: time };
            });
            all.push(...batch);
            driver.pipe(batch);
          }
        }
        driver.commit();
        expect(driver.records('out').map((r) => String(r.value))).toEqual(oracle(all));
      }),
      { numRuns: 300 },
    );
  });

  it('expires ids by stream time: the store holds only ids within the horizon', () => {
    const driver = new TopologyTestDriver(dedupTopology(), { now: () => 10_000_000 });
    driver.pipe(Array.from({ length: 50 }, (_, i) => ({ key: `id${i}`, value: String(i), timestamp: 1_000 + i })));
    driver.pipe([{ key: 'late-comer', value: 'x', timestamp: 1_000 + 49 + HORIZON }]);
    const store = driver.task.stores.get('ids') as unknown as { size: number };
    expect(store.size).toBeLessThan(HORIZON);
    driver.commit();
    // the expired ids' changelog records are tombstones
    expect(driver.records('dedup-ids-changelog').some((r) => r.value === null)).toBe(true);
  });
});
