import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { inMemoryWindowStore } from '../state/index.ts';
import { count, sum, summary } from './aggregators.ts';
import { lateRecords } from './lateRecords.ts';
import { flushWindows, streamTimeTick, taskRecord } from './taskEvent.ts';
import type { TaskEvent } from './taskEvent.ts';
import { windowedAggregate } from './windowedAggregate.ts';
import type { WindowedAggregateOptions } from './windowedAggregate.ts';
import { windowCounters } from './windowOutput.ts';
import type { WindowOutput } from './windowOutput.ts';
import { windowResults } from './windowResults.ts';
import { hoppingWindows, sessionWindows, tumblingWindows } from './windows.ts';

const total = sum((value: number) => value);

function run<A>(events: TaskEvent<number>[], options: WindowedAggregateOptions<number, string, A>): WindowOutput<string, A, number>[] {
  const outputs: WindowOutput<string, A, number>[] = [];
  from(events).pipe(windowedAggregate(options)).subscribe((output) => outputs.push(output));
  return outputs;
}

/** Compact view of outputs for assertions: final results, updates, late records, retractions. */
function summarize<A>(outputs: WindowOutput<string, A, number>[]): string[] {
  return outputs.map((output) => {
    switch (output.kind) {
      case 'window':
        return `${output.final ? 'final' : 'update'} ${output.key} [${output.window.start},${output.window.end}) ${JSON.stringify(output.aggregate)}`;
      case 'late':
        return `late ${output.key}@${output.eventTime}: ${output.reason}`;
      case 'retract':
        return `retract ${output.key} [${output.window.start},${output.window.end})`;
      case 'invalid':
        return `invalid: ${output.reason}`;
      case 'commit':
        return `commit ${output.position?.offset ?? ''}`;
    }
  });
}

const r = (key: string, timestamp: number, value = 1) => taskRecord(key, timestamp, value);

describe('windowedAggregate: tumbling windows', () => {
  it('emits one final result per window when stream time reaches its end', () => {
    const outputs = run([r('a', 0, 1), r('a', 9, 2), r('b', 5, 10), r('a', 10, 4), r('a', 25, 8)], {
      windows: tumblingWindows(10),
      aggregator: total,
    });
    expect(summarize(outputs)).toEqual(['final a [0,10) 3', 'final b [0,10) 10', 'final a [10,20) 4']);
  });

  it('keeps a window open during grace and adds out-of-order records to it', () => {
    const outputs = run([r('a', 5, 1), r('a', 12, 2), r('a', 7, 3), r('a', 14, 4), r('a', 15, 5), r('a', 8, 6)], {
      windows: tumblingWindows(10),
      aggregator: total,
      grace: 5,
    });
    expect(summarize(outputs)).toEqual([
      'final a [0,10) 4',
      'late a@8: window [0,10) closed at stream time 15, grace 5',
    ]);
  });

  it('counts late records and passes the record through', () => {
    const counters = windowCounters();
    const late = r('a', 3, 7);
    const outputs: unknown[] = [];
    from([r('a', 10), late])
      .pipe(windowedAggregate({ windows: tumblingWindows(10), aggregator: total, counters }), lateRecords())
      .subscribe((output) => outputs.push(output));
    expect(outputs).toEqual([
      {
        kind: 'late',
        key: 'a',
        record: late,
        eventTime: 3,
        missed: [{ start: 0, end: 10 }],
        streamTime: 10,
        grace: 0,
        reason: 'window [0,10) closed at stream time 10, grace 0',
      },
    ]);
    expect(counters).toMatchObject({ records: 2, lateRecords: 1, streamTime: 10, windowsClosed: 0 });
  });

  it('handles negative and zero timestamps', () => {
    const outputs = run([r('a', -10, 1), r('a', -1, 2), r('a', 0, 4), flushWindows], {
      windows: tumblingWindows(10),
      aggregator: total,
    });
    expect(summarize(outputs)).toEqual(['final a [-10,0) 3', 'final a [0,10) 4']);
  });

  it('emits updates and then the final result in update emission', () => {
    const outputs = run([r('a', 1, 1), r('a', 2, 2), r('a', 11, 4)], {
      windows: tumblingWindows(10),
      aggregator: total,
      emit: 'update',
    });
    expect(summarize(outputs)).toEqual([
      'update a [0,10) 1',
      'update a [0,10) 3',
      'final a [0,10) 3',
      'update a [10,20) 4',
    ]);
  });

  it('moves stream time with ticks and never back', () => {
    const counters = windowCounters();
    const outputs = run([r('a', 1), streamTimeTick(9), streamTimeTick(10), streamTimeTick(3), r('a', 5)], {
      windows: tumblingWindows(10),
      aggregator: count(),
      counters,
    });
    expect(summarize(outputs)).toEqual(['final a [0,10) 1', 'late a@5: window [0,10) closed at stream time 10, grace 0']);
    expect(counters.streamTime).toBe(10);
  });

  it('flushes every open window and moves stream time past them', () => {
    const counters = windowCounters();
    const outputs = run([r('b', 15), r('a', 1), flushWindows, r('a', 19)], {
      windows: tumblingWindows(10),
      aggregator: count(),
      grace: 6,
      counters,
    });
    expect(summarize(outputs)).toEqual([
      'final a [0,10) 1',
      'final b [10,20) 1',
      'late a@19: window [10,20) closed at stream time 26, grace 6',
    ]);
    expect(counters.streamTime).toBe(26);
  });

  it('keeps open windows at end of input by default and flushes them when asked', async () => {
    const events = [r('a', 1), r('a', 12)];
    const store = inMemoryWindowStore<string, number>({ name: 'counts' });
    const kept = await lastValueFrom(from(events).pipe(windowedAggregate({ windows: tumblingWindows(10), aggregator: count(), store }), toArray()));
    expect(summarize(kept)).toEqual(['final a [0,10) 1']);
    expect(store.entries().map((w) => [w.key, w.start, w.aggregate])).toEqual([['a', 10, 1]]);
    const flushed = await lastValueFrom(
      from(events).pipe(windowedAggregate({ windows: tumblingWindows(10), aggregator: count(), endOfInput: 'flush' }), toArray()),
    );
    expect(summarize(flushed)).toEqual(['final a [0,10) 1', 'final a [10,20) 1']);
  });

  it('passes commit markers through after the outputs of earlier events', () => {
    const position = { topic: 'otlp_metrics', partition: 0, offset: '41' };
    const outputs = run([r('a', 1), r('a', 10), { kind: 'commit', position }, r('a', 20)], {
      windows: tumblingWindows(10),
      aggregator: count(),
    });
    expect(summarize(outputs)).toEqual(['final a [0,10) 1', 'commit 41', 'final a [10,20) 1']);
  });

  it('reports records without a usable event time as invalid', () => {
    const counters = windowCounters();
    const outputs = run([r('a', NaN), r('a', 1.7)], { windows: tumblingWindows(10), aggregator: count(), counters, endOfInput: 'flush' });
    expect(summarize(outputs)).toEqual(['invalid: event time NaN is not a finite ms timestamp', 'final a [0,10) 1']);
    expect(counters.invalidRecords).toBe(1);
  });

  it('uses key and event time extractors and narrows the output type', () => {
    type Point = { series: string; at: number; value: number };
    const point = (series: string, at: number, value: number) => taskRecord<Point>(null, 0, { series, at, value });
    const results: Array<{ key: 'cpu' | 'mem'; count: number }> = [];
    from([point('cpu', 1, 2), point('mem', 2, 3), point('cpu', 3, 5), point('cpu', 12, 0)])
      .pipe(
        windowedAggregate({
          windows: tumblingWindows(10),
          aggregator: summary((p: Point) => p.value),
          key: (record) => record.value.series as 'cpu' | 'mem',
          eventTime: (record) => record.value.at,
        }),
        windowResults(),
      )
      .subscribe((result) => results.push({ key: result.key, count: result.aggregate.count }));
    expect(results).toEqual([
      { key: 'cpu', count: 2 },
      { key: 'mem', count: 1 },
    ]);
  });

  it('validates its options', () => {
    expect(() => windowedAggregate({ windows: tumblingWindows(10), aggregator: count(), grace: -1 })).toThrow(/grace/);
    expect(() => windowedAggregate({ windows: sessionWindows(10), aggregator: { init: () => 0, add: (a: number) => a + 1 } })).toThrow(/merge/);
    expect(() => windowedAggregate({ windows: tumblingWindows(10), aggregator: count(), idleFlush: { after: 0 } })).toThrow(/idleFlush/);
  });

  it('propagates aggregator errors as stream errors', () => {
    const failing = { init: () => 0, add: () => { throw new Error('boom'); } };
    let error: unknown;
    from([r('a', 1)]).pipe(windowedAggregate({ windows: tumblingWindows(10), aggregator: failing })).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toEqual(new Error('boom'));
  });
});

describe('windowedAggregate: hopping windows', () => {
  it('adds a record to every window covering it', () => {
    const outputs = run([r('a', 7, 1), r('a', 12, 2), flushWindows], { windows: hoppingWindows(10, 5), aggregator: total });
    expect(summarize(outputs)).toEqual(['final a [0,10) 1', 'final a [5,15) 3', 'final a [10,20) 2']);
  });

  it('counts a partly late record in its open windows and names the windows it missed', () => {
    const counters = windowCounters();
    const outputs = run([r('a', 1, 1), r('a', 10, 2), r('a', 7, 4), flushWindows], {
      windows: hoppingWindows(10, 5),
      aggregator: total,
      counters,
    });
    expect(summarize(outputs)).toEqual([
      'final a [-5,5) 1',
      'final a [0,10) 1',
      'late a@7: window [0,10) closed at stream time 10, grace 0',
      'final a [5,15) 6',
      'final a [10,20) 2',
    ]);
    expect(counters.lateRecords).toBe(1);
  });
});

describe('windowedAggregate: session windows', () => {
  const sessions = { windows: sessionWindows(10), aggregator: total };

  it('closes a session at last record + gap + grace', () => {
    const outputs = run([r('a', 0, 1), r('a', 9, 2), r('a', 18, 4), r('a', 28, 8), r('a', 29, 16)], { ...sessions, grace: 1 });
    expect(summarize(outputs)).toEqual(['final a [0,28) 7']);
  });

  it('starts a new session when records are exactly one gap apart', () => {
    const outputs = run([r('a', 0, 1), r('a', 10, 2), flushWindows], sessions);
    expect(summarize(outputs)).toEqual(['final a [0,10) 1', 'final a [10,20) 2']);
  });

  it('merges two sessions when a record bridges them, retracting the later one in update emission', () => {
    const outputs = run([r('a', 0, 1), r('a', 15, 2), r('a', 8, 4), r('a', 100, 0)], { ...sessions, grace: 20, emit: 'update' });
    expect(summarize(outputs)).toEqual([
      'update a [0,10) 1',
      'update a [15,25) 2',
      'retract a [15,25)',
      'update a [0,25) 7',
      'final a [0,25) 7',
      'update a [100,110) 0',
    ]);
  });

  it('retracts a session whose start moves earlier', () => {
    const outputs = run([r('a', 10, 1), r('a', 5, 2)], { ...sessions, emit: 'update' });
    expect(summarize(outputs)).toEqual(['update a [10,20) 1', 'retract a [10,20)', 'update a [5,20) 3']);
  });

  it('accepts a record whose own window closed if it joins an open session', () => {
    const outputs = run([r('a', 0, 1), r('a', 25, 2), r('b', 40, 0), r('a', 20, 4), r('a', 2, 8), flushWindows], {
      ...sessions,
      grace: 10,
    });
    // At stream time 40: a's [25,35) session is open until 45; the record at 20 ([20,30) closed at 40)
    // joins it. The record at 2 overlaps no open session and [2,12) closed, so it is late.
    expect(summarize(outputs)).toEqual([
      'final a [0,10) 1',
      'late a@2: window [2,12) closed at stream time 40, grace 10',
      'final a [20,35) 6',
      'final b [40,50) 0',
    ]);
  });

  it('keeps sessions of different keys apart', () => {
    const outputs = run([r('a', 0, 1), r('b', 5, 2), r('a', 6, 4), flushWindows], sessions);
    expect(summarize(outputs)).toEqual(['final b [5,15) 2', 'final a [0,16) 5']);
  });
});
