import { describe, expect, it } from 'vitest';
import { SinkTimeoutError, withTimeout } from './clock.ts';
import { VirtualClock } from './virtualClock.ts';

describe('withTimeout (virtual time)', () => {
  it('returns the answer of a call that ends in time', async () => {
    const clock = new VirtualClock();
    const result = withTimeout('call', 1_000, clock, async () => {
      await clock.sleep(999);
      return 'answer';
    });
    expect(await clock.run(result)).toBe('answer');
    expect(clock.pending).toBe(0);
  });

  it('fails with SinkTimeoutError at the deadline and aborts the call', async () => {
    const clock = new VirtualClock();
    let aborted = -1;
    const result = withTimeout('call', 1_000, clock, async (signal) => {
      signal.addEventListener('abort', () => (aborted = clock.now()));
      await clock.sleep(5_000, signal);
    });
    await expect(clock.run(result)).rejects.toBeInstanceOf(SinkTimeoutError);
    expect(aborted).toBe(1_000);
    expect(clock.now()).toBe(1_000);
  });

  it('passes a failing call through', async () => {
    const clock = new VirtualClock();
    await expect(clock.run(withTimeout('call', 1_000, clock, () => Promise.reject(new Error('refused'))))).rejects.toThrow('refused');
  });
});
