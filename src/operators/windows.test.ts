import { describe, expect, it } from 'vitest';
import { assignWindows, hoppingWindows, sessionWindowOf, sessionWindows, tumblingWindows, validateWindowSpec, windowsOverlap } from './windows.ts';

describe('tumblingWindows', () => {
  const spec = tumblingWindows(10);

  it('puts the start in the window and the end in the next one', () => {
    expect(assignWindows(spec, 10)).toEqual([{ start: 10, end: 20 }]);
    expect(assignWindows(spec, 19)).toEqual([{ start: 10, end: 20 }]);
    expect(assignWindows(spec, 20)).toEqual([{ start: 20, end: 30 }]);
  });

  it('aligns to the epoch, including zero and negative timestamps', () => {
    expect(assignWindows(spec, 0)).toEqual([{ start: 0, end: 10 }]);
    expect(assignWindows(spec, -1)).toEqual([{ start: -10, end: 0 }]);
    expect(assignWindows(spec, -10)).toEqual([{ start: -10, end: 0 }]);
    expect(assignWindows(spec, -11)).toEqual([{ start: -20, end: -10 }]);
  });

  it('aligns minute windows of real timestamps', () => {
    const t = Date.UTC(2024, 0, 1, 12, 34, 56, 789);
    expect(assignWindows(tumblingWindows(60_000), t)).toEqual([
      { start: Date.UTC(2024, 0, 1, 12, 34), end: Date.UTC(2024, 0, 1, 12, 35) },
    ]);
  });

  it('rejects sizes that are not positive integers', () => {
    expect(() => tumblingWindows(0)).toThrow(RangeError);
    expect(() => tumblingWindows(-5)).toThrow(RangeError);
    expect(() => tumblingWindows(1.5)).toThrow(RangeError);
  });
});

describe('hoppingWindows', () => {
  it('assigns every window covering the timestamp, ordered by start', () => {
    const spec = hoppingWindows(10, 5);
    expect(assignWindows(spec, 7)).toEqual([{ start: 0, end: 10 }, { start: 5, end: 15 }]);
    expect(assignWindows(spec, 5)).toEqual([{ start: 0, end: 10 }, { start: 5, end: 15 }]);
    expect(assignWindows(spec, 4)).toEqual([{ start: -5, end: 5 }, { start: 0, end: 10 }]);
    expect(assignWindows(spec, 0)).toEqual([{ start: -5, end: 5 }, { start: 0, end: 10 }]);
  });

  it('handles an advance that does not divide the size', () => {
    const spec = hoppingWindows(10, 3);
    expect(assignWindows(spec, 9)).toEqual([
      { start: 0, end: 10 },
      { start: 3, end: 13 },
      { start: 6, end: 16 },
      { start: 9, end: 19 },
    ]);
    expect(assignWindows(spec, 10)).toEqual([
      { start: 3, end: 13 },
      { start: 6, end: 16 },
      { start: 9, end: 19 },
    ]);
  });

  it('equals tumbling windows when advance = size', () => {
    for (const t of [-21, -1, 0, 1, 9, 10, 123]) {
      expect(assignWindows(hoppingWindows(10, 10), t)).toEqual(assignWindows(tumblingWindows(10), t));
    }
  });

  it('rejects an advance larger than the size', () => {
    expect(() => hoppingWindows(5, 10)).toThrow(/advance 10 is larger than size 5/);
    expect(() => hoppingWindows(10, 0)).toThrow(RangeError);
  });
});

describe('sessionWindows', () => {
  it('opens [t, t + gap) per record', () => {
    expect(sessionWindowOf(sessionWindows(30), 100)).toEqual({ start: 100, end: 130 });
  });

  it('records exactly one gap apart do not overlap', () => {
    const spec = sessionWindows(30);
    expect(windowsOverlap(sessionWindowOf(spec, 100), sessionWindowOf(spec, 130))).toBe(false);
    expect(windowsOverlap(sessionWindowOf(spec, 100), sessionWindowOf(spec, 129))).toBe(true);
  });

  it('validates specs written by hand', () => {
    expect(() => validateWindowSpec({ kind: 'session', gap: -1 })).toThrow(/session gap/);
    expect(validateWindowSpec({ kind: 'hopping', size: 10, advance: 5 })).toEqual(hoppingWindows(10, 5));
  });
});
