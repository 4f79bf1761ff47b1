import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Span } from '../otlp/index.ts';
import { analyzeTrace, type SpanNode } from './analysis.ts';

const T0 = 1_700_000_000_000;
const resourceOf = (service: string) => ({ attributes: [{ key: 'service.name', type: 'string' as const, value: service }], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' });
const scope = { name: 's', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

/** A span from `start` to `end` ms after T0. */
function span(id: string, parent: string, service: string, start: number, end: number, extra: Partial<Span> = {}): Span {
  return {
    resource: resourceOf(service), scope, traceId: 'ab'.repeat(16), spanId: id.padStart(16, '0'), traceState: '', parentSpanId: parent === '' ? '' : parent.padStart(16, '0'),
    flags: 0, name: `op-${id}`, kind: 2, startTimeMs: T0 + start, startTimeNanos: 0, endTimeMs: T0 + end, endTimeNanos: 0, attributes: [],
    droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, statusCode: 0, statusMessage: '', ...extra,
  };
}

const ms = (n: number) => String(n * 1_000_000);
const flat = (nodes: SpanNode[]): SpanNode[] => nodes.flatMap((n) => [n, ...flat(n.children)]);

describe('analyzeTrace', () => {
  // root 0–100 (frontend) calls a 10–40 (cart) and b 30–90 (db); b calls c 35–60 (db, error).
  const trace = [
    span('1', '', 'frontend', 0, 100),
    span('2', '1', 'cart', 10, 40),
    span('3', '1', 'db', 30, 90),
    span('4', '3', 'db', 35, 60, { statusCode: 2, statusMessage: 'timeout' }),
  ];

  it('builds the span tree with self times (concurrent children counted once)', () => {
    const a = analyzeTrace(trace);
    expect(a).toMatchObject({ traceId: 'ab'.repeat(16), startUnixNano: String(BigInt(T0) * 1_000_000n), durationNanos: ms(100), spanCount: 4, errorCount: 1 });
    expect(a.tree).toHaveLength(1);
    const root = a.tree[0];
    expect(root.children.map((c) => c.spanId)).toEqual(['0000000000000002', '0000000000000003']);
    // root: 100 − (10–90 covered) = 20; a: 30; b: 60 − 25 = 35; c: 25.
    expect(flat(a.tree).map((n) => [n.spanId.slice(-1), n.selfNanos])).toEqual([['1', ms(20)], ['2', ms(30)], ['3', ms(35)], ['4', ms(25)]]);
    expect(a.services).toEqual([
      { service: 'db', spans: 2, errors: 1, selfNanos: ms(60) },
      { service: 'cart', spans: 1, errors: 0, selfNanos: ms(30) },
      { service: 'frontend', spans: 1, errors: 0, selfNanos: ms(20) },
    ]);
    expect(a.errors).toEqual([{ spanId: '0000000000000004', service: 'db', name: 'op-4', statusMessage: 'timeout', startUnixNano: String(BigInt(T0 + 35) * 1_000_000n) }]);
    expect(root).toMatchObject({ service: 'frontend', name: 'op-1', kind: 'server', status: 'unset', durationNanos: ms(100) });
  });

  it('finds the critical path: the work that finished last at every point', () => {
    const path = analyzeTrace(trace).criticalPath.map((s) => [s.spanId.slice(-1), Number(BigInt(s.startUnixNano) / 1_000_000n) - T0, Number(BigInt(s.endUnixNano) / 1_000_000n) - T0]);
    // root 90–100 waits on nothing; b 60–90; c 35–60; b 30–35; a 10–30 (clipped where b took over); root 0–10.
    expect(path).toEqual([['1', 0, 10], ['2', 10, 30], ['3', 30, 35], ['4', 35, 60], ['3', 60, 90], ['1', 90, 100]]);
  });

  it('takes spans without a received parent as top-level, and cuts parent loops', () => {
    const orphans = analyzeTrace([span('2', '9', 'cart', 10, 40), span('3', '', 'db', 50, 60)]);
    expect(orphans.tree.map((n) => n.spanId.slice(-1))).toEqual(['2', '3']);
    // The gap 40–50 is on no span.
    expect(orphans.criticalPath.map((s) => s.spanId.slice(-1))).toEqual(['2', '3']);
    const loop = analyzeTrace([span('1', '2', 'a', 0, 10), span('2', '1', 'a', 0, 10), span('3', '3', 'a', 0, 5)]);
    expect(flat(loop.tree)).toHaveLength(3);
  });

  it('keeps deep traces off the call stack', () => {
    const deep = Array.from({ length: 20_000 }, (_, i) => span(String(i + 1), i === 0 ? '' : String(i), 'a', i, 40_000 - i));
    const a = analyzeTrace(deep);
    expect(a.spanCount).toBe(20_000);
    expect(a.criticalPath.length).toBeGreaterThan(0);
  });

  it('self times equal a tick-by-tick count; the critical path is ordered, inside its spans and covers a lone root', () => {
    const shape = fc.array(fc.record({ parent: fc.integer({ min: -1, max: 20 }), start: fc.integer({ min: 0, max: 60 }), length: fc.integer({ min: 0, max: 60 }) }), { minLength: 1, maxLength: 15 });
    fc.assert(
      fc.property(shape, (shapes) => {
        const spans = shapes.map((s, i) => span(String(i + 1), i === 0 || s.parent < 0 ? '' : String((s.parent % i) + 1), `svc${i % 3}`, s.start, s.start + s.length));
        const a = analyzeTrace(spans);
        const nodes = flat(a.tree);
        expect(nodes).toHaveLength(spans.length);
        for (const n of nodes) {
          // Brute force: the ms ticks of the span during which none of its children runs.
          const self = spans.find((s) => s.spanId === n.spanId)!;
          const kids = spans.filter((s) => s.parentSpanId === n.spanId && s.spanId !== n.spanId);
          let ticks = 0;
          for (let t = self.startTimeMs; t < self.endTimeMs; t++) if (!kids.some((k) => k.startTimeMs <= t && t < k.endTimeMs)) ticks++;
          expect(n.selfNanos).toBe(ms(ticks));
        }
        let last = BigInt(a.startUnixNano);
        for (const step of a.criticalPath) {
          const s = spans.find((x) => x.spanId === step.spanId)!;
          expect(BigInt(step.startUnixNano)).toBeGreaterThanOrEqual(last);
          expect(BigInt(step.startUnixNano)).toBeGreaterThanOrEqual(BigInt(s.startTimeMs) * 1_000_000n);
          expect(BigInt(step.endUnixNano)).toBeLessThanOrEqual(BigInt(s.endTimeMs) * 1_000_000n);
          last = BigInt(step.endUnixNano);
        }
        if (a.tree.length === 1) {
          const total = a.criticalPath.reduce((n, s) => n + BigInt(s.durationNanos), 0n);
          expect(total.toString()).toBe(a.tree[0].durationNanos);
        }
      }),
    );
  });
});
