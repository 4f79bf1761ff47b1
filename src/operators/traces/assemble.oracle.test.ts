// Oracle test of trace assembly: random traces, spans in random arrival order (with stragglers far behind), through
// the processor in the topology test driver with commits, crashes and restores, against a brute-force model of the
// rules; every span comes out exactly once (in a fragment or on the late topic) and every summary equals brute force.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTraces, encodeTraces, tenantKey, type Span } from '../../otlp/index.ts';
import { topology } from '../../runtime/dsl.ts';
import { TopologyTestDriver } from '../../runtime/testing.ts';
import { otlpSpans } from '../../sources/otlp.ts';
import { flushWindows } from '../taskEvent.ts';
import { assemble } from './assemble.ts';
import type { AssembledTrace, TraceSummary } from './model.ts';
import { bruteSummary, traces } from './testing.ts';

const GAP = 100;
const MAX_DURATION = 500;
const HORIZON = 1_500;
const MAX_SPANS = 6;
const CHECK = Math.min(GAP, MAX_DURATION, 1_000);

interface Out {
  key: string;
  fragment: number;
  spanIds: string[];
  summary: TraceSummary;
}

function assembleTopology() {
  return topology('asm')
    .stream(otlpSpans('in'))
    .process(assemble({ store: 'traces', gapMs: GAP, maxDurationMs: MAX_DURATION, lateHorizonMs: HORIZON, maxSpansPerTrace: MAX_SPANS, lateTopic: 'late' }))
    .to('out', { value: (t: AssembledTrace) => JSON.stringify({ ...t, spans: t.spans.map((s) => s.spanId), summary: { ...t.summary, startUnixNano: String(t.summary.startUnixNano) } }) })
    .build();
}

function outputs(driver: TopologyTestDriver): Out[] {
  return driver.records('out').map((r) => {
    const v = JSON.parse(String(r.value)) as Out & { spans: string[] };
    return { key: v.key, fragment: v.fragment, spanIds: [...v.spans].sort(), summary: { ...v.summary, startUnixNano: BigInt(v.summary.startUnixNano as unknown as string) } };
  });
}

/** Brute force: the rules of assemble.ts over the arrival sequence, with plain maps. */
function model(arrivals: Array<{ key: string; span: Span }>): { out: Array<{ key: string; fragment: number; spanIds: string[] }>; late: string[] } {
  const open = new Map<string, { fragment: number; first: number; last: number; spans: Span[] }>();
  const emitted = new Map<string, { fragments: number; at: number }>();
  const out: Array<{ key: string; fragment: number; spanIds: string[] }> = [];
  const late: string[] = [];
  let now = -Infinity;
  let next: number | undefined;
  const emit = (key: string) => {
    const t = open.get(key)!;
    open.delete(key);
    emitted.set(key, { fragments: t.fragment + 1, at: now });
    out.push({ key, fragment: t.fragment, spanIds: t.spans.map((s) => s.spanId).sort() });
  };
  const close = (time: number) => {
    const closing = [...open.entries()].filter(([, t]) => t.last + GAP <= time || t.first + MAX_DURATION <= time);
    closing.sort((a, b) => a[1].first - b[1].first || (a[0] < b[0] ? -1 : 1));
    for (const [key] of closing) emit(key);
  };
  for (const { key, span } of arrivals) {
    now = Math.max(now, span.endTimeMs);
    let t = open.get(key);
    if (!t) {
      const done = emitted.get(key);
      const remembered = done !== undefined && done.at + HORIZON > now;
      if (!remembered && span.endTimeMs + HORIZON <= now) late.push(span.spanId);
      else open.set(key, (t = { fragment: remembered ? done.fragments : 0, first: now, last: now, spans: [] }));
    }
    if (t) {
      t.spans.push(span);
      t.last = now;
      if (t.spans.length >= MAX_SPANS) emit(key);
    }
    if (next === undefined) next = Math.floor(now / CHECK) * CHECK + CHECK;
    else if (now >= next) {
      next = Math.floor(now / CHECK) * CHECK + CHECK;
      close(now);
    }
  }
  close(Infinity);
  return { out, late };
}

type Step = { kind: 'records'; n: number } | { kind: 'commit' } | { kind: 'crash' };

const input = fc.record({
  list: traces(8, 10),
  // Arrival order: by end time, plus a random delay for some spans (some far behind: late fragments, late spans).
  delays: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 4_000 })), { minLength: 80, maxLength: 80 }),
  steps: fc.array(fc.oneof({ weight: 4, arbitrary: fc.record({ kind: fc.constant('records' as const), n: fc.integer({ min: 1, max: 8 }) }) }, fc.constant({ kind: 'commit' as const }), fc.constant({ kind: 'crash' as const })), { maxLength: 30 }),
});

function arrivalsOf(list: Array<{ tenant?: string; traceId: string; spans: Span[] }>, delays: number[]) {
  const all = list.flatMap((t) => t.spans.map((span) => ({ key: tenantKey(t.tenant, t.traceId), tenant: t.tenant, span })));
  return all
    .map((a, i) => ({ ...a, at: a.span.endTimeMs + delays[i % delays.length] }))
    .sort((a, b) => a.at - b.at || (a.span.spanId < b.span.spanId ? -1 : 1))
    // A delayed span arrives later but keeps its end time as event time.
    .map(({ key, tenant, span }) => ({ key, tenant, span }));
}

function run(arrivals: ReturnType<typeof arrivalsOf>, steps: Step[]): TopologyTestDriver {
  const driver = new TopologyTestDriver(assembleTopology(), { now: () => 1_800_000_000_000 });
  const records = arrivals.map((a) => ({ value: encodeTraces([a.span]), headers: (a.tenant ? { tenant: a.tenant } : {}) as Record<string, string> }));
  let at = 0;
  for (const step of steps) {
    if (step.kind === 'commit') driver.commit();
    else if (step.kind === 'crash') driver.crash();
    else {
      driver.pipe(records.slice(at, at + step.n));
      at += step.n;
    }
  }
  driver.pipe(records.slice(at));
  driver.task.control(flushWindows);
  driver.commit();
  return driver;
}

describe('assemble (oracle)', () => {
  it('emits the fragments brute force emits, each span exactly once, with brute-force summaries, across crashes', () => {
    const seen = { lateFragments: 0, lateSpans: 0, crashes: 0 };
    fc.assert(
      fc.property(input, ({ list, delays, steps }) => {
        const arrivals = arrivalsOf(list, delays);
        const expected = model(arrivals);
        seen.lateFragments += expected.out.filter((o) => o.fragment > 0).length;
        seen.lateSpans += expected.late.length;
        const straight = run(arrivals, []);
        const crashing = run(arrivals, steps);
        for (const driver of [straight, crashing]) {
          const got = outputs(driver);
          expect(got.map(({ key, fragment, spanIds }) => ({ key, fragment, spanIds }))).toEqual(expected.out);
          const late = driver.records('late').flatMap((r) => decodeTraces(r.value as Buffer).map((s) => s.spanId));
          expect(late).toEqual(expected.late);
          // Every span once: in a fragment or on the late topic.
          expect([...got.flatMap((o) => o.spanIds), ...late].sort()).toEqual(arrivals.map((a) => a.span.spanId).sort());
          // Summaries: of every span of the trace emitted so far (since its last fragment 0).
          const sofar = new Map<string, Span[]>();
          const byId = new Map(arrivals.map((a) => [a.span.spanId, a.span]));
          for (const o of got) {
            const spans = [...(o.fragment === 0 ? [] : sofar.get(o.key)!), ...o.spanIds.map((id) => byId.get(id)!)];
            sofar.set(o.key, spans);
            const brute = bruteSummary(spans);
            const { edges, rootService, rootName, ...exact } = o.summary;
            const { edges: bruteEdges, rootService: bs, rootName: bn, ...bruteExact } = brute;
            expect(exact).toEqual(bruteExact);
            if (o.fragment === 0) expect({ edges, rootService, rootName }).toEqual({ edges: bruteEdges, rootService: bs, rootName: bn });
          }
        }
        expect(crashing.records('out').map((r) => r.key)).toEqual(straight.records('out').map((r) => r.key));
        seen.crashes += crashing.generations - 1;
      }),
      { numRuns: 200 },
    );
    // The runs did exercise late fragments, late spans and restores.
    expect(Math.min(seen.lateFragments, seen.lateSpans, seen.crashes)).toBeGreaterThan(10);
  });

  it('writes an open trace to its changelog as an OTLP request, once per commit, and forgets emitted traces after the horizon', () => {
    const [list] = fc.sample(traces(1, 4), { seed: 11, numRuns: 1 });
    const spans = list[0].spans;
    const driver = new TopologyTestDriver(assembleTopology(), { now: () => 1_800_000_000_000 });
    driver.pipe([{ value: encodeTraces(spans) }]);
    driver.commit();
    const changelog = driver.records('asm-traces-changelog').filter((r) => String(r.key).includes(list[0].traceId));
    expect(changelog).toHaveLength(1);
    // The value holds the spans as protobuf (no JSON): a few hundred bytes a span, resource included.
    expect((changelog[0].value as Buffer).length).toBeLessThan(400 * spans.length);
    const last = Math.max(...spans.map((s) => s.endTimeMs));
    const later = { ...spans[0], traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), endTimeMs: last + GAP + HORIZON + 10, startTimeMs: last + GAP + HORIZON };
    driver.pipe([{ value: encodeTraces([{ ...later, endTimeMs: last + GAP + 1, startTimeMs: last + GAP }]) }]);
    driver.pipe([{ value: encodeTraces([later]) }]);
    driver.commit();
    const emitted = driver.records('asm-traces-emitted-changelog');
    expect(emitted.some((r) => r.value === null)).toBe(true);
  });
});
