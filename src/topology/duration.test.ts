import { describe, expect, it } from 'vitest';
import { duration, formatDuration, parseDuration } from './duration.ts';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
    ['0', 0],
    [' 2m ', 120_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'fast', '10', '1x', 'm1', '1m fast', '-1s', '1.5m'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats back to the shortest form', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(86_400_500)).toBe('1d500ms');
  });

  it('refuses numbers, naming what it got', () => {
    const result = duration.safeParse(60);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe('expected a duration like "1m", got 60');
  });
});
