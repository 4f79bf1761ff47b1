// Summaries against brute force over random traces; merging fragments; the changelog encoding, with hostile bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../metrics/bytes.ts';
import { mergeSummaries, readSummary, summarize, writeSummary } from './summary.ts';
import { bruteSummary, traces } from './testing.ts';

describe('summarize', () => {
  it('equals brute force for random traces, whatever the span order', () => {
    fc.assert(
      fc.property(traces(3, 12), fc.integer(), (list, seed) => {
        for (const t of list) {
          const shuffled = [...t.spans].sort((a, b) => ((a.spanId.charCodeAt(15) * seed) % 7) - ((b.spanId.charCodeAt(15) * seed) % 7));
          expect(summarize(shuffled)).toEqual(bruteSummary(t.spans));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('merges disjoint parts exactly except for edges across them and a second root', () => {
    fc.assert(
      fc.property(traces(1, 12), fc.nat(), (list, cut) => {
        const spans = list[0].spans;
        const at = 1 + (cut % spans.length);
        if (at >= spans.length) return;
        const merged = mergeSummaries(summarize(spans.slice(0, at)), summarize(spans.slice(at)));
        const whole = bruteSummary(spans);
        const { edges, rootService, rootName, ...exact } = merged;
        const { edges: wholeEdges, rootService: _rs, rootName: _rn, ...wholeExact } = whole;
        expect(exact).toEqual(wholeExact);
        for (const e of edges) expect(e.calls).toBeLessThanOrEqual(wholeEdges.find((w) => w.parent === e.parent && w.child === e.child)!.calls);
        const first = summarize(spans.slice(0, at));
        expect([rootService, rootName]).toEqual(first.rootService !== '' ? [first.rootService, first.rootName] : [summarize(spans.slice(at)).rootService, summarize(spans.slice(at)).rootName]);
      }),
      { numRuns: 300 },
    );
  });

  it('has no root without a parentless span, and never a negative duration', () => {
    const [t] = fc.sample(traces(1, 4), { seed: 7, numRuns: 1 })[0];
    const orphans = t.spans.map((s) => ({ ...s, parentSpanId: 'ffffffffffffffff', endTimeMs: s.startTimeMs - 5 }));
    const s = summarize(orphans);
    expect([s.rootService, s.rootName]).toEqual(['', '']);
    expect(s.durationNanos).toBeGreaterThanOrEqual(0);
    expect(() => summarize([])).toThrow(/at least one span/);
  });
});

describe('summary encoding', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(traces(2, 8), (list) => {
        for (const t of list) {
          const s = summarize(t.spans);
          const out = new ByteWriter();
          writeSummary(out, s);
          const input = new ByteReader(out.finish(), 'summary');
          expect(readSummary(input)).toEqual(s);
          input.end();
        }
      }),
    );
  });

  it('refuses truncated or random bytes with a RangeError naming the value', () => {
    const [t] = fc.sample(traces(1, 6), { seed: 3, numRuns: 1 })[0];
    const out = new ByteWriter();
    writeSummary(out, summarize(t.spans));
    const bytes = out.finish();
    for (let n = 0; n < bytes.length; n++) expect(() => readSummary(new ByteReader(bytes.subarray(0, n), 'summary'))).toThrow(/summary/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (random) => {
        try {
          readSummary(new ByteReader(random, 'summary'));
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
      }),
    );
  });
});
