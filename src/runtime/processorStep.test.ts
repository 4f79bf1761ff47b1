import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { summary, summarySerde, tumblingWindows } from '../operators/index.ts';
import { topology } from './dsl.ts';
import type { Processor, ProcessorDefinition } from './processor.ts';
import { nextPunctuation } from './processorStep.ts';
import { TopologyTestDriver } from './testing.ts';
import type { SourceSpec } from './topology.ts';

const numbers: SourceSpec<number> = {
  topic: 'in',
  decode: (m) => [{ key: m.key?.toString() ?? null, timestamp: m.timestamp, value: Number(m.value!.toString()) }],
};

const at = (timestamp: number, value = 0, key = 'k') => ({ key, value: String(value), timestamp });

/** A processor that forwards records and reports each punctuation as a record on the output `ticks`. */
function ticking(type: 'stream-time' | 'wall-clock', interval: number): ProcessorDefinition<number, number> {
  return {
    name: 'ticking',
    outputs: { ticks: { topic: 'ticks' } },
    create(): Processor<number, number> {
      return {
        init(ctx) {
          ctx.schedule(interval, type, (time) => ctx.emit('ticks', { key: null, timestamp: time, value: time, headers: {} }));
        },
        process() {},
      };
    },
  };
}

const NOW = () => 10_000_000;

describe('stream-time punctuations', () => {
  it('fire at multiples of the interval, once per advance past one, after the record that moved stream time', () => {
    const driver = new TopologyTestDriver(topology('p').stream(numbers).process(ticking('stream-time', 100)).build(), { now: NOW });
    driver.pipe([at(1_050), at(1_099), at(1_100), at(1_080), at(1_420), at(1_500), at(1_501)]);
    driver.commit();
    expect(driver.records('ticks').map((r) => r.value)).toEqual(['1100', '1420', '1500']);
  });

  it('resume after a restore where the earlier owner would have fired next', () => {
    const build = () => topology('p').stream(numbers).process(ticking('stream-time', 100)).to('out', { value: String }).build();
    const live = new TopologyTestDriver(build(), { now: NOW });
    const input = [at(1_050), at(1_130), at(1_190), at(1_260), at(1_310), at(1_480)];
    live.pipe(input);
    live.commit();
    const crashed = new TopologyTestDriver(build(), { now: NOW });
    crashed.pipe(input.slice(0, 3));
    crashed.commit();
    crashed.pipe(input.slice(3, 4));
    crashed.crash();
    crashed.pipe(input.slice(4));
    crashed.commit();
    expect(crashed.records('ticks').map((r) => r.value)).toEqual(live.records('ticks').map((r) => r.value));
  });

  it('next multiple of the interval', () => {
    expect(nextPunctuation(0, 100)).toBe(100);
    expect(nextPunctuation(99, 100)).toBe(100);
    expect(nextPunctuation(100, 100)).toBe(200);
    expect(nextPunctuation(-1, 100)).toBe(0);
  });
});

describe('wall-clock punctuations', () => {
  it('run on the task clock when enabled', () => {
    const scheduler = new VirtualTimeScheduler();
    const driver = new TopologyTestDriver(topology('p').stream(numbers).process(ticking('wall-clock', 1_000)).build(), { now: NOW, scheduler, wallClockPunctuations: true });
    scheduler.maxFrames = 3_500;
    scheduler.flush();
    driver.commit();
    expect(driver.records('ticks').map((r) => r.value)).toEqual(['1000', '2000', '3000']);
  });

  it('never run when not enabled (backfills)', () => {
    const scheduler = new VirtualTimeScheduler();
    const driver = new TopologyTestDriver(topology('p').stream(numbers).process(ticking('wall-clock', 1_000)).build(), { now: NOW, scheduler, wallClockPunctuations: false });
    scheduler.maxFrames = 10_000;
    scheduler.flush();
    driver.commit();
    expect(driver.records('ticks')).toEqual([]);
  });
});

describe('a process step', () => {
  it('forwards, writes named outputs with the input headers, and dead-letters what it cannot handle', () => {
    const definition: ProcessorDefinition<number, number> = {
      name: 'odd',
      outputs: { evens: { topic: 'evens' } },
      create: () => {
        let ctx: Parameters<NonNullable<Processor<number, number>['init']>>[0];
        return {
          init: (c) => (ctx = c),
          process(r) {
            if (Number.isNaN(r.value)) ctx.deadLetter(r, new Error('not a number'));
            else if (r.value % 2 === 0) ctx.emit('evens', r);
            else ctx.forward({ ...r, value: r.value * 10 });
          },
        };
      },
    };
    const driver = new TopologyTestDriver(topology('p').stream(numbers).process(definition).to('out', { value: String }).build(), { now: NOW });
    driver.pipe([
      { key: 'a', value: '1', timestamp: 5, headers: { tenant: 't1' } },
      { key: 'b', value: '2', timestamp: 6, headers: { tenant: 't2' } },
      { key: 'c', value: 'x', timestamp: 7 },
    ]);
    driver.commit();
    expect(driver.records('out')).toEqual([{ kind: 'emit', topic: 'out', key: 'a', value: '10', headers: { tenant: 't1' }, timestamp: 5 }]);
    expect(driver.records('evens')).toEqual([{ kind: 'emit', topic: 'evens', key: 'b', value: '2', headers: { tenant: 't2' }, timestamp: 6 }]);
    const [dead] = driver.records('otlp.dlq');
    expect(dead.headers).toMatchObject({ 'dlq.error': expect.stringContaining('not a number') as string, 'dlq.source.offset': '2' });
  });

  it('fails the task with the record position when the processor throws', () => {
    const definition: ProcessorDefinition<number, number> = {
      name: 'thrower',
      create: () => ({
        process(r) {
          if (r.value === 13) throw new Error('unlucky');
        },
      }),
    };
    const driver = new TopologyTestDriver(topology('p').stream(numbers).process(definition).build(), { now: NOW });
    expect(() => driver.pipe([at(1, 1), at(2, 13)])).toThrow('processor thrower at in-0@1: unlucky');
  });

  it('refuses a store name declared twice in a topology', () => {
    const window = () => topology('p').stream(numbers).windowedBy(tumblingWindows(10)).aggregate(summary((v: number) => v), { store: 's', serde: summarySerde });
    expect(() => window().windowedBy(tumblingWindows(10)).aggregate(summary((r) => r.aggregate.count), { store: 's', serde: summarySerde })).toThrow('store "s"');
  });
});

describe('event-time bounds', () => {
  it('send an item far ahead of the wall clock to the late topic without moving stream time', () => {
    const topo = topology('b').stream(numbers).windowedBy(tumblingWindows(1_000)).aggregate(summary((v: number) => v), { store: 'w', serde: summarySerde }).to('out', { value: (r) => String(r.aggregate.count) }).build();
    const driver = new TopologyTestDriver(topo, { now: () => 100_000, maxEventTimeLeadMs: 60_000 });
    driver.pipe([at(1_000, 1), at(10_000_000_000, 2), at(1_500, 3), at(2_100, 4)]);
    driver.commit();
    // The year-2286 point closed nothing: the window [1000, 2000) holds both points and closes at 2100.
    expect(driver.records('out').map((r) => [r.key, r.value])).toEqual([['k', '2']]);
    const late = driver.records('b.late');
    expect(late).toHaveLength(1);
    expect(late[0].headers?.['late.reason']).toContain('leads the wall clock');
    expect(driver.task.ctx.streamTime.current).toBe(2_100);
  });

  it('send an item lagging stream time beyond the bound to the late topic', () => {
    const topo = topology('b').stream(numbers).to('out', { value: String }).build();
    const driver = new TopologyTestDriver(topo, { now: () => 100_000, maxEventTimeLagMs: 500 });
    driver.pipe([at(5_000, 1), at(4_600, 2), at(4_400, 3)]);
    driver.commit();
    expect(driver.records('out').map((r) => r.value)).toEqual(['1', '2']);
    expect(driver.records('b.late')[0].headers?.['late.reason']).toContain('lags stream time 5000');
  });
});

describe('idle flush', () => {
  it('closes windows restored into a partition that stays quiet', () => {
    const scheduler = new VirtualTimeScheduler();
    const topo = topology('i').stream(numbers).windowedBy(tumblingWindows(1_000)).aggregate(summary((v: number) => v), { store: 'w', serde: summarySerde }).to('out', { value: (r) => String(r.aggregate.sum) }).build();
    const driver = new TopologyTestDriver(topo, { now: () => 100_000, scheduler, idleFlushMs: 5_000 });
    driver.pipe([at(1_000, 1), at(1_200, 2)]);
    driver.commit();
    // restarted during a quiet period: no record arrives after the restore
    driver.crash();
    scheduler.maxFrames = 12_000;
    scheduler.flush();
    driver.commit();
    expect(driver.records('out').map((r) => r.value)).toEqual(['3']);
  });
});

describe('stream time reaches steps no record reaches', () => {
  it('a window after a filter that drops every later record still closes as stream time passes it', () => {
    const onlyFirst = topology('w')
      .stream(numbers)
      .filter((v) => v < 100)
      .windowedBy(tumblingWindows(1_000))
      .aggregate(summary((v: number) => v), { store: 'w', serde: summarySerde })
      .to('out', { value: (r) => String(r.aggregate.count) })
      .build();
    const driver = new TopologyTestDriver(onlyFirst, { now: NOW });
    // Only the first record passes the filter; the later ones move the task's stream time past the window's end.
    driver.pipe([at(1_100, 1), at(2_500, 500)]);
    driver.commit();
    expect(driver.records('out').map((r) => r.value)).toEqual(['1']);
  });
});

describe('the commit hook', () => {
  /** Sums records in memory and writes the sum when the task commits. */
  const summing: ProcessorDefinition<number, number> = {
    name: 'summing',
    outputs: { sums: { topic: 'sums' } },
    create: () => {
      let ctx: Parameters<NonNullable<Processor<number, number>['init']>>[0];
      let sum = 0;
      return {
        init: (c) => (ctx = c),
        process(r) {
          sum += r.value;
        },
        commit() {
          if (sum !== 0) ctx.emit('sums', { key: null, timestamp: 0, value: String(sum), headers: {} });
          sum = 0;
        },
      };
    },
  };

  it('writes what a processor holds in memory into the commit that moves the offsets past it', () => {
    const driver = new TopologyTestDriver(topology('p').stream(numbers).process(summing).build(), { now: NOW });
    driver.pipe([at(1, 1), at(2, 2)]);
    driver.commit();
    driver.pipe([at(3, 4)]);
    // A crash loses the uncommitted record with the memory that held it; the replay counts it once.
    driver.crash();
    driver.pipe([at(4, 8)]);
    driver.commit();
    expect(driver.records('sums').map((r) => r.value)).toEqual(['3', '12']);
  });
});

describe('topic outputs', () => {
  it('write a null value as a tombstone', () => {
    const definition: ProcessorDefinition<number, number> = {
      name: 'deleting',
      outputs: { table: { topic: 'table', compacted: true } },
      create: () => {
        let ctx: Parameters<NonNullable<Processor<number, number>['init']>>[0];
        return {
          init: (c) => (ctx = c),
          process(r) {
            ctx.emit('table', { key: String(r.value), timestamp: r.timestamp, value: r.value % 2 === 0 ? null : { n: r.value }, headers: {} });
          },
        };
      },
    };
    const driver = new TopologyTestDriver(topology('p').stream(numbers).process(definition).build(), { now: NOW });
    driver.pipe([at(1, 1), at(2, 2)]);
    driver.commit();
    expect(driver.records('table').map((r) => r.value)).toEqual(['{"n":1}', null]);
  });
});
