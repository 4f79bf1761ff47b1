// Virtual time for the sink machinery's tests: sleeps resolve when the test advances the clock, not on wall time.
import type { SinkClock } from './clock.ts';

interface Sleeper {
  at: number;
  seq: number;
  wake: () => void;
}

/** A SinkClock whose time moves only in `run`/`advance`; deterministic. */
export class VirtualClock implements SinkClock {
  private time: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = { at: this.time + Math.max(0, ms), seq: this.seq++, wake: resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        resolve();
      }, { once: true });
    });
  }

  /** Sleeps still waiting. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Lets every promise chain that can move without time move. */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  }

  /** Moves time forward by `ms`, waking the sleeps that end on the way, in order. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    await this.settle();
    for (;;) {
      const next = this.earliest();
      if (!next || next.at > until) break;
      this.wakeOne(next);
      await this.settle();
    }
    this.time = until;
  }

  /** Runs `work` to completion, jumping from sleep to sleep; fails if it waits on anything but this clock. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const done = work.finally(() => (settled = true));
    done.catch(() => {});
    await this.settle();
    while (!settled) {
      const next = this.earliest();
      if (!next) throw new Error('virtual clock: the work waits on something other than the clock');
      this.wakeOne(next);
      await this.settle();
    }
    return done;
  }

  private earliest(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.sleepers) if (!best || s.at < best.at || (s.at === best.at && s.seq < best.seq)) best = s;
    return best;
  }

  private wakeOne(s: Sleeper): void {
    this.sleepers = this.sleepers.filter((x) => x !== s);
    this.time = Math.max(this.time, s.at);
    s.wake();
  }
}
