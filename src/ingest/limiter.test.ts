import { describe, expect, it } from 'vitest';
import { InflightLimiter, Reservation } from './limiter.ts';

describe('InflightLimiter', () => {
  it('refuses what does not fit and frees a request share at once on release', () => {
    const limiter = new InflightLimiter(100);
    const a = new Reservation(limiter);
    const b = new Reservation(limiter);
    expect(a.add(60)).toBe(true);
    expect(b.add(50)).toBe(false);
    expect(b.add(40)).toBe(true);
    expect(limiter.inUse).toBe(100);
    a.release();
    a.release(); // a second release frees nothing more
    expect(limiter.inUse).toBe(40);
    expect(b.add(60)).toBe(true);
    b.release();
    expect(limiter.inUse).toBe(0);
  });
});
