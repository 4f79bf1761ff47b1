import { describe, expect, it } from 'vitest';
import { chooseLevel, LEVELS, windowsIn } from './levels.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const now = Date.UTC(2026, 11, 4, 12, 0);

describe('level choice', () => {
  it('counts the windows that overlap a range, partial ones included', () => {
    expect(windowsIn(LEVELS[0], 0, 10 * MIN)).toBe(10);
    expect(windowsIn(LEVELS[0], 30_000, 10 * MIN + 1)).toBe(11);
    expect(windowsIn(LEVELS[0], 5, 5)).toBe(0);
  });

  it('takes the finest level with at most maxPoints windows', () => {
    expect(chooseLevel(now - HOUR, now, now).name).toBe('1m');
    expect(chooseLevel(now - 8 * HOUR, now, now).name).toBe('1m'); // 480 windows
    expect(chooseLevel(now - 9 * HOUR, now, now).name).toBe('5m');
    expect(chooseLevel(now - 2 * DAY, now, now).name).toBe('1h');
    expect(chooseLevel(now - 25 * DAY, now, now).name).toBe('1d');
    expect(chooseLevel(now - HOUR, now, now, { maxPoints: 30 }).name).toBe('5m');
  });

  it('skips levels whose retention no longer covers the range start', () => {
    // Ten minutes, but eight days ago: 1m (7 days) has dropped it, 5m (30 days) has it.
    expect(chooseLevel(now - 8 * DAY, now - 8 * DAY + 10 * MIN, now).name).toBe('5m');
    expect(chooseLevel(now - 40 * DAY, now - 40 * DAY + HOUR, now).name).toBe('1h');
    // Older than every retention: the coarsest.
    expect(chooseLevel(now - 10 * 365 * DAY, now, now).name).toBe('1d');
  });

  it('falls back to the coarsest kept level when every level has too many windows', () => {
    expect(chooseLevel(now - 3 * 365 * DAY, now, now).name).toBe('1d');
    expect(chooseLevel(now - 3 * DAY, now, now, { maxPoints: 2, levels: LEVELS.slice(0, 2) }).name).toBe('5m');
  });
});
