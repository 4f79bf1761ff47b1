// Property tests: the operator against a brute-force oracle that applies the same stream-time
// rule in the most direct way (enumerate candidate starts, compare every pair of records).
import fc from 'fast-check';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { inMemoryWindowStore, jsonSerde } from '../state/index.ts';
import type { Aggregator } from './aggregators.ts';
import { flushWindows, streamTimeTick, taskRecord } from './taskEvent.ts';
import type { TaskEvent } from './taskEvent.ts';
import { windowedAggregate } from './windowedAggregate.ts';
import type { WindowedAggregateOptions } from './windowedAggregate.ts';
import { windowCounters } from './windowOutput.ts';
import type { WindowOutput } from './windowOutput.ts';
import { hoppingWindows, sessionWindows, tumblingWindows } from './windows.ts';
import type { WindowSpec } from './windows.ts';

/** Normalized output: a final window result or a late record (identified by its value, a unique id). */
type Observed =
  | { final: string; start: number; end: number; ids: number[]; streamTime: number }
  | { late: number; missed: Array<[number, number]>; streamTime: number };

// Aggregate = ids of the records in the window, sorted, so merge order does not matter.
const ids: Aggregator<number, number[]> = {
  init: () => [],
  add: (acc, id) => [...acc, id].sort((a, b) => a - b),
  merge: (left, right) => [...left, ...right].sort((a, b) => a - b),
  serde: jsonSerde<number[]>(),
};

interface Scenario {
  spec: WindowSpec;
  grace: number;
  events: TaskEvent<number>[];
}

function eventsArbitrary(): fc.Arbitrary<TaskEvent<number>[]> {
  // Time drifts forward; each record lags behind the drift by a random amount, which gives
  // in-order, out-of-order-within-grace and late records. Ticks jump ahead of the drift.
  const step = fc.oneof(
    { weight: 10, arbitrary: fc.record({ kind: fc.constant('record' as const), key: fc.constantFrom('a', 'b', 'c'), drift: fc.nat(12), lag: fc.oneof(fc.constant(0), fc.nat(10), fc.nat(60)) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), drift: fc.nat(12), ahead: fc.nat(30) }) },
  );
  return fc
    .tuple(fc.integer({ min: -100, max: 100 }), fc.constantFrom(2, 5, 12), fc.array(step, { maxLength: 60 }), fc.boolean())
    .map(([origin, pace, steps, flush]) => {
      // A slow pace packs records densely, so sessions merge often.
      let now = origin;
      let id = 0;
      const events: TaskEvent<number>[] = steps.map((s) => {
        now += s.drift % (pace + 1);
        return s.kind === 'record' ? taskRecord(s.key, now - s.lag, id++) : streamTimeTick(now + s.ahead);
      });
      if (flush) events.push(flushWindows);
      return events;
    });
}

const fixedSpec = fc.oneof(
  fc.integer({ min: 1, max: 30 }).map((size) => tumblingWindows(size)),
  fc.integer({ min: 1, max: 30 }).chain((size) => fc.integer({ min: 1, max: size }).map((advance) => hoppingWindows(size, advance))),
);
const sessionSpec = fc.integer({ min: 1, max: 20 }).map((gap) => sessionWindows(gap));

function scenario(spec: fc.Arbitrary<WindowSpec>): fc.Arbitrary<Scenario> {
  return fc.record({ spec, grace: fc.oneof(fc.constant(0), fc.nat(25)), events: eventsArbitrary() });
}

function runOperator(s: Scenario, extra: Partial<WindowedAggregateOptions<number, string, number[]>> = {}): WindowOutput<string, number[], number>[] {
  const outputs: WindowOutput<string, number[], number>[] = [];
  from(s.events)
    .pipe(windowedAggregate({ windows: s.spec, aggregator: ids, grace: s.grace, ...extra }))
    .subscribe({ next: (o) => outputs.push(o), error: (e: unknown) => { throw e; } });
  return outputs;
}

function observe(outputs: WindowOutput<string, number[], number>[]): Observed[] {
  const observed: Observed[] = [];
  for (const o of outputs) {
    if (o.kind === 'window' && o.final) {
      observed.push({ final: o.key, start: o.window.start, end: o.window.end, ids: o.aggregate, streamTime: o.streamTime });
    } else if (o.kind === 'late') {
      observed.push({ late: o.record.value, missed: o.missed.map((w) => [w.start, w.end]), streamTime: o.streamTime });
    }
  }
  return observed;
}

const byEndKeyStart = (x: { end: number; key: string; start: number }, y: { end: number; key: string; start: number }) =>
  x.end - y.end || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0) || x.start - y.start;

/** Oracle for tumbling and hopping windows. */
function fixedOracle(s: Scenario): Observed[] {
  if (s.spec.kind === 'session') throw new Error('fixed windows only');
  const size = s.spec.size;
  const advance = s.spec.kind === 'tumbling' ? s.spec.size : s.spec.advance;
  const windows = new Map<string, { key: string; start: number; end: number; ids: number[]; emitted: boolean }>();
  const out: Observed[] = [];
  let streamTime = -Infinity;
  const emit = (closeAll: boolean) => {
    const closing = [...windows.values()].filter((w) => !w.emitted && (closeAll || w.end + s.grace <= streamTime)).sort(byEndKeyStart);
    for (const w of closing) {
      w.emitted = true;
      if (closeAll) streamTime = Math.max(streamTime, w.end + s.grace);
    }
    for (const w of closing) out.push({ final: w.key, start: w.start, end: w.end, ids: [...w.ids].sort((a, b) => a - b), streamTime });
  };
  for (const event of s.events) {
    if (event.kind === 'tick') {
      if (event.streamTime > streamTime) { streamTime = event.streamTime; emit(false); }
    } else if (event.kind === 'flush') {
      emit(true);
    } else if (event.kind === 'record') {
      const t = event.timestamp;
      if (t > streamTime) { streamTime = t; emit(false); }
      const missed: Array<[number, number]> = [];
      for (let start = t - size + 1; start <= t; start++) {
        if (((start % advance) + advance) % advance !== 0) continue;
        const end = start + size;
        if (end + s.grace <= streamTime) { missed.push([start, end]); continue; }
        const id = `${event.key}@${start}`;
        const w = windows.get(id) ?? { key: event.key ?? '', start, end, ids: [], emitted: false };
        expect(w.emitted).toBe(false);
        w.ids.push(event.value);
        windows.set(id, w);
      }
      if (missed.length > 0) out.push({ late: event.value, missed, streamTime });
    }
  }
  return out;
}

/** Oracle for session windows: records within `gap` of any member of an open session join it. */
function sessionOracle(s: Scenario): Observed[] {
  if (s.spec.kind !== 'session') throw new Error('sessions only');
  const gap = s.spec.gap;
  let sessions: Array<{ key: string; members: Array<{ t: number; id: number }> }> = [];
  const out: Observed[] = [];
  let streamTime = -Infinity;
  const bounds = (session: { key: string; members: Array<{ t: number }> }) => ({
    key: session.key,
    start: Math.min(...session.members.map((m) => m.t)),
    end: Math.max(...session.members.map((m) => m.t)) + gap,
  });
  const emit = (closeAll: boolean) => {
    const closing = sessions.filter((x) => closeAll || bounds(x).end + s.grace <= streamTime);
    sessions = sessions.filter((x) => !closing.includes(x));
    const results = closing.map((x) => ({ ...bounds(x), ids: x.members.map((m) => m.id).sort((a, b) => a - b) })).sort(byEndKeyStart);
    if (closeAll) for (const r of results) streamTime = Math.max(streamTime, r.end + s.grace);
    for (const r of results) out.push({ final: r.key, start: r.start, end: r.end, ids: r.ids, streamTime });
  };
  for (const event of s.events) {
    if (event.kind === 'tick') {
      if (event.streamTime > streamTime) { streamTime = event.streamTime; emit(false); }
    } else if (event.kind === 'flush') {
      emit(true);
    } else if (event.kind === 'record') {
      const t = event.timestamp;
      const key = event.key ?? '';
      if (t > streamTime) { streamTime = t; emit(false); }
      const joined = sessions.filter((x) => x.key === key && x.members.some((m) => Math.abs(m.t - t) < gap));
      if (joined.length === 0 && t + gap + s.grace <= streamTime) {
        out.push({ late: event.value, missed: [[t, t + gap]], streamTime });
        continue;
      }
      sessions = sessions.filter((x) => !joined.includes(x));
      sessions.push({ key, members: [...joined.flatMap((x) => x.members), { t, id: event.value }] });
    }
  }
  return out;
}

/** Replays update emission into a table and checks every final result against it. */
function checkUpdateStream(outputs: WindowOutput<string, number[], number>[]): void {
  const table = new Map<string, { end: number; aggregate: number[] }>();
  for (const o of outputs) {
    if (o.kind === 'window' && !o.final) table.set(`${o.key}@${o.window.start}`, { end: o.window.end, aggregate: o.aggregate });
    else if (o.kind === 'retract') expect(table.delete(`${o.key}@${o.window.start}`)).toBe(true);
    else if (o.kind === 'window') {
      const id = `${o.key}@${o.window.start}`;
      expect(table.get(id)).toEqual({ end: o.window.end, aggregate: o.aggregate });
      table.delete(id);
    }
  }
}

/** Runs the input in two halves with a changelog checkpoint and a restore in between. */
function runWithRestart(s: Scenario, cut: number): Observed[] {
  const storeOptions = { name: 'ids', aggregateSerde: ids.serde };
  const first = inMemoryWindowStore<string, number[]>(storeOptions);
  const counters = windowCounters();
  const before = runOperator({ ...s, events: s.events.slice(0, cut) }, { store: first, counters });
  const second = inMemoryWindowStore<string, number[]>(storeOptions);
  for (const record of first.drainChangelog()) second.restoreRecord(record);
  const after = runOperator({ ...s, events: s.events.slice(cut) }, { store: second, initialStreamTime: counters.streamTime });
  return observe([...before, ...after]);
}

const runs = { numRuns: 400 };

describe('windowedAggregate against a brute-force oracle', () => {
  it('tumbling and hopping windows: same finals, late records and emission points', () => {
    fc.assert(fc.property(scenario(fixedSpec), (s) => { expect(observe(runOperator(s))).toEqual(fixedOracle(s)); }), runs);
  });

  it('session windows: same finals, late records and emission points', () => {
    fc.assert(fc.property(scenario(sessionSpec), (s) => { expect(observe(runOperator(s))).toEqual(sessionOracle(s)); }), runs);
  });

  it('update emission: same finals, and updates plus retractions replay into the finals', () => {
    fc.assert(
      fc.property(scenario(fc.oneof(fixedSpec, sessionSpec)), (s) => {
        const updates = runOperator(s, { emit: 'update' });
        expect(observe(updates)).toEqual(observe(runOperator(s)));
        checkUpdateStream(updates);
      }),
      runs,
    );
  });

  it('a checkpoint, restore from the changelog and resume gives the uninterrupted output', () => {
    fc.assert(
      fc.property(scenario(fc.oneof(fixedSpec, sessionSpec)), fc.nat(), (s, cutSeed) => {
        const cut = s.events.length === 0 ? 0 : cutSeed % (s.events.length + 1);
        expect(runWithRestart(s, cut)).toEqual(observe(runOperator(s)));
      }),
      runs,
    );
  });
});
