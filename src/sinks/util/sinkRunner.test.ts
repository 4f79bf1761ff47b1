import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { ExternalSink, SinkBatch, SinkFailure } from './contract.ts';
import type { RequestOutcome } from './managedSink.ts';
import { SinkRunner, SinkWriteCancelled, type SinkRunnerOptions, type WriteHooks } from './sinkRunner.ts';
import { VirtualClock } from './virtualClock.ts';

interface Row {
  id: number;
  v?: string;
}

class Failure extends Error {
  readonly kind: SinkFailure['kind'];
  constructor(kind: SinkFailure['kind'], answer: string) {
    super(answer);
    this.kind = kind;
  }
}

/** A sink whose `respond` decides, per call, how a write ends; records calls, their times and the rows it holds. */
function fakeSink(clock: VirtualClock, respond: (rows: Row[], call: number) => Promise<void> | void, extra: Partial<ExternalSink<Row>> = {}) {
  const calls: Array<{ at: number; rows: Row[] }> = [];
  const stored = new Map<number, Row>();
  let inFlight = 0;
  let maxInFlight = 0;
  const sink: ExternalSink<Row> = {
    name: 'fake',
    async write(rows) {
      calls.push({ at: clock.now(), rows });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await respond(rows, calls.length);
        for (const r of rows) stored.set(r.id, r);
      } finally {
        inFlight--;
      }
    },
    classify: (err) => (err instanceof Failure ? { kind: err.kind, answer: err.message } : { kind: 'retryable', answer: String(err) }),
    key: (r) => String(r.id),
    close: async () => {},
    ...extra,
  };
  return { sink: sink as ExternalSink, calls, stored, maxInFlight: () => maxInFlight };
}

function hooks(extra: Partial<WriteHooks> = {}) {
  const events: string[] = [];
  const h: WriteHooks = {
    pause: () => events.push('pause'),
    resume: () => events.push('resume'),
    heartbeat: async () => void events.push('heartbeat'),
    ...extra,
  };
  return { h, events };
}

function runner(clock: VirtualClock, options: SinkRunnerOptions = {}) {
  const requests: Array<[RequestOutcome, number]> = [];
  const dead: number[] = [];
  const r = new SinkRunner({
    clock,
    random: () => 0.5,
    log: pino({ level: 'silent' }),
    observer: { request: (_, outcome, __, rows) => requests.push([outcome, rows]), deadLetters: (_, n) => dead.push(n) },
    ...options,
  });
  return { r, requests, dead };
}

const rows = (n: number, from = 0): Row[] => Array.from({ length: n }, (_, i) => ({ id: from + i }));

describe('SinkRunner', () => {
  it('splits rows into bounded batches, keeps the last row per key, and does not pause a healthy sink', async () => {
    const clock = new VirtualClock();
    const s = fakeSink(clock, () => {});
    const { r, requests } = runner(clock, { limits: { maxRows: 3 } });
    r.add(s.sink);
    const { h, events } = hooks();
    const input = [...rows(7), { id: 2, v: 'later' }];
    expect(await clock.run(r.write(new Map([['fake', input]]), h))).toEqual([]);
    expect(s.calls.map((c) => c.rows.length)).toEqual([3, 3, 1]);
    expect([...s.stored.values()].sort((a, b) => a.id - b.id)).toEqual(rows(7).map((x) => (x.id === 2 ? { id: 2, v: 'later' } : x)));
    expect(events).toEqual([]);
    expect(requests).toEqual([['ok', 3], ['ok', 3], ['ok', 1]]);
  });

  it('retries a retryable failure with full-jitter backoff and no attempt cap; pauses once, resumes once', async () => {
    const clock = new VirtualClock();
    const failures = 30;
    const s = fakeSink(clock, (_, call) => {
      if (call <= failures) throw new Failure('retryable', 'connection refused');
    });
    const { r, requests } = runner(clock, { breaker: { failureThreshold: 1_000 }, retry: { baseMs: 100, maxMs: 5_000 } });
    r.add(s.sink);
    const { h, events } = hooks();
    expect(await clock.run(r.write(new Map([['fake', rows(5)]]), h))).toEqual([]);
    expect(s.calls).toHaveLength(failures + 1);
    // random() = 0.5: half of min(5000, 100·2^(attempt−1)) between attempts
    const gaps = s.calls.slice(1).map((c, i) => c.at - s.calls[i].at);
    expect(gaps).toEqual(Array.from({ length: failures }, (_, i) => Math.floor(0.5 * Math.min(5_000, 100 * 2 ** i))));
    expect(events.filter((e) => e !== 'heartbeat')).toEqual(['pause', 'resume']);
    expect(events.filter((e) => e === 'heartbeat')).toHaveLength(failures);
    expect(requests.filter(([o]) => o === 'retryable')).toHaveLength(failures);
    expect(s.stored.size).toBe(5);
  });

  it('does not retry a permanent rejection: halves the batch until the rejected rows are found, and returns them as dead letters', async () => {
    const clock = new VirtualClock();
    const bad = new Set([3, 12]);
    const s = fakeSink(clock, (batch) => {
      const hit = batch.find((row) => bad.has(row.id));
      if (hit) throw new Failure('permanent', `22P02 invalid input for row ${hit.id}`);
    });
    const { r, dead } = runner(clock);
    r.add(s.sink);
    const { h, events } = hooks();
    const letters = await clock.run(r.write(new Map([['fake', rows(16)]]), h));
    expect(letters).toEqual([
      { sink: 'fake', row: { id: 3 }, answer: '22P02 invalid input for row 3' },
      { sink: 'fake', row: { id: 12 }, answer: '22P02 invalid input for row 12' },
    ]);
    expect([...s.stored.keys()].sort((a, b) => a - b)).toEqual(rows(16).map((x) => x.id).filter((id) => !bad.has(id)));
    expect(dead).toEqual([1, 1]);
    expect(events).toEqual([]); // nothing retryable: no pause
    expect(clock.now()).toBe(0); // and no waiting
  });

  it('tells each request, retries and halves included, its checkpoint and the index of its first row', async () => {
    const clock = new VirtualClock();
    const seen: Array<[number[], SinkBatch | undefined]> = [];
    const s = fakeSink(clock, () => {}, {
      key: undefined,
      async write(batch, _signal, where) {
        seen.push([batch.map((row) => row.id), where]);
        if (batch.some((row) => row.id === 4) && batch.length > 1) throw new Failure('permanent', 'refused');
        if (batch[0].id === 0 && seen.length === 1) throw new Failure('retryable', 'busy');
      },
    });
    const { r } = runner(clock, { limits: { maxRows: 3 } });
    r.add(s.sink);
    const source = { topic: 'in', partition: 2, fromOffset: 10n, toOffset: 17n };
    await clock.run(r.write(new Map([['fake', rows(7)]]), hooks().h, source));
    const at = (firstRow: number) => ({ ...source, firstRow });
    expect(seen).toEqual([
      [[0, 1, 2], at(0)],
      [[0, 1, 2], at(0)], // the retry: the same request
      [[3, 4, 5], at(3)], // refused: halved
      [[3], at(3)],
      [[4, 5], at(4)],
      [[4], at(4)],
      [[5], at(5)],
      [[6], at(6)],
    ]);
    // Without a source (a caller outside the worker), requests get none.
    seen.length = 0;
    await clock.run(r.write(new Map([['fake', rows(1, 7)]]), hooks().h));
    expect(seen).toEqual([[[7], undefined]]);
  });

  it('without isolation, the whole rejected batch is dead', async () => {
    const clock = new VirtualClock();
    const s = fakeSink(clock, (batch) => {
      if (batch.some((row) => row.id === 1)) throw new Failure('permanent', 'no');
    });
    const { r } = runner(clock, { isolate: false, limits: { maxRows: 2 } });
    r.add(s.sink);
    const letters = await clock.run(r.write(new Map([['fake', rows(4)]]), hooks().h));
    expect(letters.map((d) => d.row)).toEqual([{ id: 0 }, { id: 1 }]);
    expect([...s.stored.keys()]).toEqual([2, 3]);
  });

  it('times out a call that does not answer and retries it', async () => {
    const clock = new VirtualClock();
    const s = fakeSink(clock, async (_, call) => {
      if (call === 1) await clock.sleep(60_000);
    });
    const { r, requests } = runner(clock, { timeoutMs: 1_000 });
    r.add(s.sink);
    expect(await clock.run(r.write(new Map([['fake', rows(2)]]), hooks().h))).toEqual([]);
    expect(requests.map(([o]) => o)).toEqual(['timeout', 'ok']);
    expect(s.calls[1].at).toBe(1_000 + 50); // the timeout, then the first backoff
  });

  it('opens the breaker after N failures: no writes while open, health probes every openMs, then writes resume', async () => {
    const clock = new VirtualClock();
    const upAt = 10_000;
    const probes: number[] = [];
    const s = fakeSink(
      clock,
      () => {
        if (clock.now() < upAt) throw new Failure('retryable', 'ECONNREFUSED');
      },
      {
        async health() {
          probes.push(clock.now());
          if (clock.now() < upAt) throw new Failure('retryable', 'ECONNREFUSED');
        },
      },
    );
    const { r } = runner(clock, { breaker: { failureThreshold: 3, openMs: 1_000 }, retry: { baseMs: 100, maxMs: 100 } });
    r.add(s.sink);
    const states: string[] = [];
    const { h } = hooks({ heartbeat: async () => void states.push(r.status()[0].state) });
    const write = r.write(new Map([['fake', rows(1)]]), h);
    await clock.advance(5_000);
    expect(r.healthy()).toBe(false);
    expect(r.status()[0]).toMatchObject({ state: 'open', lastError: 'ECONNREFUSED' });
    expect(s.calls).toHaveLength(3); // only the failures that opened it
    await clock.run(write);
    expect(s.calls).toHaveLength(4);
    expect(s.calls[3].at).toBeGreaterThanOrEqual(upAt);
    const openedAt = s.calls[2].at;
    expect(probes[0]).toBe(openedAt + 1_000);
    expect(probes.slice(1).map((p, i) => p - probes[i])).toEqual(probes.slice(1).map(() => 1_000));
    expect(probes.at(-1)).toBeGreaterThanOrEqual(upAt);
    expect(r.healthy()).toBe(true);
    expect(states).toContain('open');
  });

  it('bounds the requests in flight per sink, over concurrent writes; unkeyed rows go one batch at a time', async () => {
    const clock = new VirtualClock();
    const keyed = fakeSink(clock, () => clock.sleep(10));
    const { r } = runner(clock, { concurrency: 3, limits: { maxRows: 1 } });
    r.add(keyed.sink);
    await clock.run(Promise.all([r.write(new Map([['fake', rows(10)]]), hooks().h), r.write(new Map([['fake', rows(10, 100)]]), hooks().h)]));
    expect(keyed.maxInFlight()).toBe(3);
    expect(keyed.stored.size).toBe(20);

    const clock2 = new VirtualClock();
    const unkeyed = fakeSink(clock2, () => clock2.sleep(10), { key: undefined });
    const { r: r2 } = runner(clock2, { concurrency: 3, limits: { maxRows: 1 } });
    r2.add(unkeyed.sink);
    await clock2.run(r2.write(new Map([['fake', rows(5)]]), hooks().h));
    expect(unkeyed.maxInFlight()).toBe(1);
    expect(unkeyed.calls.map((c) => c.rows[0].id)).toEqual([0, 1, 2, 3, 4]);
  });

  it('stops retrying when the caller cancels, and resumes what it paused', async () => {
    const clock = new VirtualClock();
    const s = fakeSink(clock, () => {
      throw new Failure('retryable', 'down');
    });
    const { r } = runner(clock);
    r.add(s.sink);
    const { h, events } = hooks({ cancelled: () => s.calls.length >= 4 });
    await expect(clock.run(r.write(new Map([['fake', rows(1)]]), h))).rejects.toBeInstanceOf(SinkWriteCancelled);
    expect(s.calls).toHaveLength(4);
    expect(events.at(0)).toBe('pause');
    expect(events.at(-1)).toBe('resume');
  });

  it('stopRetrying ends a write that is waiting to retry', async () => {
    const clock = new VirtualClock();
    const s = fakeSink(clock, () => {
      throw new Failure('retryable', 'down');
    });
    const { r } = runner(clock, { retry: { baseMs: 60_000, maxMs: 60_000 } });
    r.add(s.sink);
    const write = r.write(new Map([['fake', rows(1)]]), hooks().h);
    write.catch(() => {});
    await clock.advance(10);
    expect(clock.pending).toBeGreaterThan(0);
    r.stopRetrying();
    await expect(write).rejects.toBeInstanceOf(SinkWriteCancelled);
    expect(clock.now()).toBe(10);
  });

  it('treats an error the classifier throws on as retryable', async () => {
    const clock = new VirtualClock();
    const s = fakeSink(clock, (_, call) => {
      if (call === 1) throw new Error('odd');
    }, {
      classify: () => {
        throw new Error('classifier bug');
      },
    });
    const { r, requests } = runner(clock);
    r.add(s.sink);
    expect(await clock.run(r.write(new Map([['fake', rows(1)]]), hooks().h))).toEqual([]);
    expect(requests.map(([o]) => o)).toEqual(['retryable', 'ok']);
  });

  it('refuses rows for an unknown sink before writing anything', async () => {
    const clock = new VirtualClock();
    const s = fakeSink(clock, () => {});
    const { r } = runner(clock);
    r.add(s.sink);
    await expect(r.write(new Map([['fake', rows(1)], ['other', rows(1)]]), hooks().h)).rejects.toThrow('no sink named other');
    expect(s.calls).toHaveLength(0);
  });
});
