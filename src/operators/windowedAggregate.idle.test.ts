import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { sum } from './aggregators.ts';
import { taskRecord } from './taskEvent.ts';
import type { TaskEvent } from './taskEvent.ts';
import { windowedAggregate } from './windowedAggregate.ts';
import { windowCounters } from './windowOutput.ts';
import { tumblingWindows } from './windows.ts';

// Virtual time: one marble frame is 1 ms of scheduler time; event times are independent of it.
const total = sum((value: number) => value);
const r = (timestamp: number, value = 1): TaskEvent<number> => taskRecord('k', timestamp, value);
const final = (start: number, end: number, aggregate: number, streamTime: number) => ({
  kind: 'window',
  key: 'k',
  window: { start, end },
  aggregate,
  final: true,
  streamTime,
});

function newScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('windowedAggregate: idle flush', () => {
  it('is off by default: a quiet partition keeps its windows open', () => {
    const scheduler = newScheduler();
    scheduler.run(({ hot, expectObservable }) => {
      const input = hot<TaskEvent<number>>('a', { a: r(105) });
      expectObservable(input.pipe(windowedAggregate({ windows: tumblingWindows(100), aggregator: total, scheduler })), '^ 10s !').toBe('');
    });
  });

  it('after the idle time, moves stream time with the scheduler clock and closes windows', () => {
    const scheduler = newScheduler();
    const counters = windowCounters();
    scheduler.run(({ hot, expectObservable }) => {
      const input = hot<TaskEvent<number>>('a', { a: r(105, 7) });
      const output = input.pipe(
        windowedAggregate({ windows: tumblingWindows(100), aggregator: total, idleFlush: { after: 50 }, scheduler, counters }),
      );
      // frame 50: stream time 105 + 50 = 155, nothing closes; frame 100: 205 ≥ 200 closes [100,200).
      expectObservable(output).toBe('100ms x', { x: final(100, 200, 7, 205) });
    });
    expect(counters.idleAdvances).toBe(2);
    expect(counters.streamTime).toBe(205);
  });

  it('does not advance while records keep arriving, and measures idleness from the last one', () => {
    const scheduler = newScheduler();
    scheduler.run(({ hot, expectObservable }) => {
      const input = hot<TaskEvent<number>>('a 30ms b 30ms c', { a: r(105), b: r(150), c: r(160) });
      const output = input.pipe(windowedAggregate({ windows: tumblingWindows(100), aggregator: total, idleFlush: { after: 50 }, scheduler }));
      // c arrives at frame 62 with stream time 160; 50 ms later stream time is 210.
      expectObservable(output).toBe('112ms x', { x: final(100, 200, 3, 210) });
    });
  });

  it('treats records for windows closed by an idle flush as late', () => {
    const scheduler = newScheduler();
    const counters = windowCounters();
    scheduler.run(({ hot, expectObservable }) => {
      const input = hot<TaskEvent<number>>('a 199ms b', { a: r(105, 1), b: r(150, 2) });
      const output = input.pipe(
        windowedAggregate({ windows: tumblingWindows(100), aggregator: total, idleFlush: { after: 50 }, scheduler, counters }),
      );
      expectObservable(output).toBe('100ms x 99ms y', {
        x: final(100, 200, 1, 205),
        y: expect.objectContaining({ kind: 'late', reason: 'window [100,200) closed at stream time 205, grace 0' }),
      });
    });
    expect(counters.lateRecords).toBe(1);
  });

  it('stops its timer when the output is unsubscribed', () => {
    const scheduler = newScheduler();
    scheduler.run(({ hot, expectObservable }) => {
      const input = hot<TaskEvent<number>>('a', { a: r(105) });
      const output = input.pipe(windowedAggregate({ windows: tumblingWindows(100), aggregator: total, idleFlush: { after: 50 }, scheduler }));
      expectObservable(output, '^ 60ms !').toBe('');
    });
  });
});
