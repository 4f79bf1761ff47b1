import { describe, expect, it } from 'vitest';
import { parseSearch } from '../../../../logs/search/parse.ts';
import { groupPatterns, hitMs, levelColorVar, msToNanosText, selectedRange, sortedEntries, sparkPoints, stackHistogram, templateQuery, type Pattern } from './transform.ts';

const bucket = (startMs: number, levels: Record<string, number>) => ({ startMs, count: Object.values(levels).reduce((t, n) => t + n, 0), levels, services: {} });

describe('stackHistogram', () => {
  it('stacks the present levels bottom to top in severity order and sums every bar', () => {
    const h = stackHistogram([bucket(60_000, { error: 2, info: 5 }), bucket(120_000, {}), bucket(180_000, { info: 1, warn: 3, debug: 0 })]);
    expect(h.xs).toEqual([60, 120, 180]);
    expect(h.levels).toEqual(['info', 'warn', 'error']);
    expect(h.counts).toEqual([
      [5, 0, 1],
      [0, 0, 3],
      [2, 0, 0],
    ]);
    expect(h.stacked).toEqual([
      [5, 0, 1],
      [5, 0, 4],
      [7, 0, 4],
    ]);
    expect(h.total).toBe(11);
  });

  it('is empty without buckets or counts', () => {
    expect(stackHistogram([])).toEqual({ xs: [], levels: [], counts: [], stacked: [], total: 0 });
    expect(stackHistogram([bucket(0, {})]).total).toBe(0);
  });

  it('puts a level it does not know on top', () => {
    expect(stackHistogram([bucket(0, { zzz: 1, fatal: 1, unknown: 2 })]).levels).toEqual(['fatal', 'unknown', 'zzz']);
  });
});

describe('small conversions', () => {
  it('ms to the API ns text and back', () => {
    expect(msToNanosText(1_700_000_000_123)).toBe('1700000000123000000');
    expect(hitMs({ time: '1700000000123456789' })).toBe(1_700_000_000_123);
  });

  it('colours of levels', () => {
    expect(levelColorVar('warn')).toBe('--sev-warn');
    expect(levelColorVar('unknown')).toBe('--fg-muted');
    expect(levelColorVar('other')).toBe('--fg-muted');
  });

  it('sorts attributes by key', () => {
    expect(sortedEntries({ b: '1', a: '2' })).toEqual([
      ['a', '2'],
      ['b', '1'],
    ]);
    expect(sortedEntries(undefined)).toEqual([]);
  });
});

describe('selectedRange', () => {
  it('maps a drag over the plot to ms, either direction, clamped', () => {
    expect(selectedRange(0.25, 0.5, 0, 400_000)).toEqual({ startMs: 100_000, endMs: 200_000 });
    expect(selectedRange(0.5, 0.25, 0, 400_000)).toEqual({ startMs: 100_000, endMs: 200_000 });
    expect(selectedRange(-1, 2, 1000, 5000)).toEqual({ startMs: 1000, endMs: 5000 });
  });

  it('ignores a selection under a second', () => {
    expect(selectedRange(0.5, 0.5001, 0, 400_000)).toBeUndefined();
  });
});

const pattern = (service: string, template: string, total: number, jump = false): Pattern => ({
  service,
  template,
  total,
  counts: [total],
  jump,
  verdict: { jump, current: total, baseline: 0, threshold: 10, reason: jump ? 'new' : 'steady' },
});

describe('groupPatterns', () => {
  it('groups by service, flagged templates and services first, then by count', () => {
    const groups = groupPatterns([pattern('api', 'a <*>', 5), pattern('api', 'b', 50), pattern('db', 'c', 1), pattern('db', 'd', 20, true), pattern('web', 'e', 1000)]);
    expect(groups.map((g) => [g.service, g.total, g.flagged])).toEqual([
      ['db', 21, 1],
      ['web', 1000, 0],
      ['api', 55, 0],
    ]);
    expect(groups[0].patterns.map((p) => p.template)).toEqual(['d', 'c']);
    expect(groups[2].patterns.map((p) => p.template)).toEqual(['b', 'a <*>']);
  });
});

describe('templateQuery', () => {
  it('makes phrases of the fixed text between variables, with the service', () => {
    expect(templateQuery('checkout', 'order <*> paid in <*> ms')).toBe('service:"checkout" "order" "paid in" "ms"');
    expect(templateQuery('', '<*> <*>')).toBe('');
    expect(templateQuery('a"b', 'say "hi" \\ <*>')).toBe('service:"ab" "say  hi"');
  });

  it('is a query the search parser takes', () => {
    for (const q of [templateQuery('checkout', 'order <*> paid in <*> ms: "x" (y) -z OR'), templateQuery('s p', 'GET /api/v1/users/<*> 200 NOT'), templateQuery('x', '<*>')]) {
      expect(() => parseSearch(q)).not.toThrow();
    }
  });
});

describe('sparkPoints', () => {
  it('scales counts into the box, 0 at the bottom', () => {
    expect(sparkPoints([0, 5, 10], 100, 22)).toBe('0,21 50,11 100,1');
    expect(sparkPoints([], 100, 20)).toBe('');
    expect(sparkPoints([0], 100, 20)).toBe('0,19');
  });
});
