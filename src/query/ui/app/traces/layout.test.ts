import { describe, expect, it } from 'vitest';
import { ancestorsOf, layoutTrace, timeTicks, visibleRows, type LayoutSpan } from './layout.ts';

const T0 = 1_764_000_000_000_000_000n;
const span = (spanId: string, parentSpanId: string, start: number, duration: number): LayoutSpan => ({
  spanId, parentSpanId, startUnixNano: (T0 + BigInt(start)).toString(), durationNanos: String(duration),
});
const ids = (l: ReturnType<typeof layoutTrace>) => l.rows.map((r) => r.span.spanId);

describe('layoutTrace', () => {
  it('orders depth-first with children by start time, and gives depths and bar fractions', () => {
    const l = layoutTrace([span('c2', 'root', 600, 300), span('root', '', 0, 1000), span('c1', 'root', 100, 400), span('g1', 'c1', 200, 100)]);
    expect(ids(l)).toEqual(['root', 'c1', 'g1', 'c2']);
    expect(l.rows.map((r) => r.depth)).toEqual([0, 1, 2, 1]);
    expect(l.durationNanos).toBe(1000);
    expect(l.startUnixNano).toBe(T0);
    expect(l.rows[1]).toMatchObject({ offset: 0.1, width: 0.4, startNanos: 100, parent: 0, size: 2 });
    expect(l.rows[0].size).toBe(4);
    expect(l.rows[3]).toMatchObject({ offset: 0.6, width: 0.3, parent: 0, size: 1 });
    expect(l.index.get('g1')).toBe(2);
  });

  it('puts spans whose parent was not received at the top level, by start time', () => {
    const l = layoutTrace([span('orphan', 'missing', 50, 10), span('root', '', 0, 100), span('kid', 'orphan', 55, 2)]);
    expect(ids(l)).toEqual(['root', 'orphan', 'kid']);
    expect(l.rows.map((r) => r.depth)).toEqual([0, 0, 1]);
    expect(l.rows[1].parent).toBe(-1);
  });

  it('cuts a parent chain that loops, keeping every span once', () => {
    const l = layoutTrace([span('a', 'b', 0, 10), span('b', 'a', 1, 5), span('c', 'c', 2, 1)]);
    expect(l.rows).toHaveLength(3);
    expect(new Set(ids(l))).toEqual(new Set(['a', 'b', 'c']));
    expect(l.rows.filter((r) => r.depth === 0).length).toBe(2);
  });

  it('flags the critical path spans as the analysis lists them, with their pieces', () => {
    const spans = [span('root', '', 0, 1000), span('a', 'root', 0, 400), span('b', 'root', 300, 600)];
    const path = [
      { spanId: 'a', startUnixNano: String(T0), endUnixNano: String(T0 + 300n) },
      { spanId: 'b', startUnixNano: String(T0 + 300n), endUnixNano: String(T0 + 900n) },
      { spanId: 'root', startUnixNano: String(T0 + 900n), endUnixNano: String(T0 + 1000n) },
    ];
    const l = layoutTrace(spans, path);
    expect(l.rows.filter((r) => r.critical).map((r) => r.span.spanId)).toEqual(['root', 'a', 'b']);
    expect(l.rows[l.index.get('a')!].criticalPieces).toEqual([{ offset: 0, width: 0.3 }]);
    expect(l.rows[l.index.get('b')!].criticalPieces).toEqual([{ offset: 0.3, width: 0.6 }]);
    const notOnPath = layoutTrace([...spans, span('d', 'root', 10, 5)], path);
    expect(notOnPath.rows[notOnPath.index.get('d')!].critical).toBe(false);
  });

  it('lays out a 10,000-span trace: every span once, parents before children, subtree sizes adding up', () => {
    const spans: LayoutSpan[] = [span('s0', '', 0, 10_000_000)];
    for (let i = 1; i < 10_000; i++) {
      const parent = i < 100 ? 0 : Math.floor(i / 100); // a wide first level, then groups under each
      spans.push(span(`s${i}`, `s${parent}`, i * 100, 1_000));
    }
    // A deep chain as well (deeper than a recursive walk would survive in some engines is not needed: 2,000 levels).
    const deep: LayoutSpan[] = Array.from({ length: 2_000 }, (_, i) => span(`d${i}`, i === 0 ? 's0' : `d${i - 1}`, i, 10));
    const l = layoutTrace([...spans.slice().reverse(), ...deep]);
    expect(l.rows).toHaveLength(12_000);
    expect(new Set(ids(l)).size).toBe(12_000);
    expect(l.rows[0].span.spanId).toBe('s0');
    expect(l.rows[0].size).toBe(12_000);
    for (let i = 0; i < l.rows.length; i++) {
      const r = l.rows[i];
      if (r.parent !== -1) {
        expect(r.parent).toBeLessThan(i);
        expect(r.depth).toBe(l.rows[r.parent].depth + 1);
        expect(i + r.size).toBeLessThanOrEqual(r.parent + l.rows[r.parent].size);
      }
    }
    expect(l.rows[l.index.get('d1999')!].depth).toBe(2_000);
    const s5 = l.index.get('s5')!;
    expect(l.rows[s5].size).toBe(101); // s5 and s500…s599
    expect(ids(l).slice(s5, s5 + 3)).toEqual(['s5', 's500', 's501']);
  });
});

describe('visibleRows', () => {
  it('hides the subtree of a collapsed span but shows the span', () => {
    const l = layoutTrace([span('root', '', 0, 1000), span('c1', 'root', 100, 400), span('g1', 'c1', 200, 100), span('c2', 'root', 600, 300)]);
    expect(visibleRows(l, new Set())).toEqual([0, 1, 2, 3]);
    expect(visibleRows(l, new Set(['c1']))).toEqual([0, 1, 3]);
    expect(visibleRows(l, new Set(['root']))).toEqual([0]);
    expect(ancestorsOf(l, 2)).toEqual(['c1', 'root']);
  });
});

describe('timeTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten', () => {
    expect(timeTicks(1000, 5)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(timeTicks(0)).toEqual([0]);
  });
});
