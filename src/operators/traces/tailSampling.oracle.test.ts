// Oracle test of tail sampling: for generated traces (with late fragments) and generated policy sets, the spans on
// the sampled topic are exactly those of the traces brute force keeps — every span of each, none twice — across
// commits, crashes and restores (the decisions and rate budgets come back from their changelogs).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assembled,
  BASE,
  emissionOrder,
  oracle,
  policySets,
  testTraces,
  type FragmentEvent,
  type TestTrace,
} from '../../../test/fixtures/tailSampling.ts';
import { decodeTraces } from '../../otlp/index.ts';
import { topology } from '../../runtime/dsl.ts';
import { TopologyTestDriver } from '../../runtime/testing.ts';
import type { AssembledTrace } from './model.ts';
import { tailSampling, type Policy } from './tailSampling.ts';

const SAMPLED = 'otlp_spans.sampled';
const TTL = 3_600_000;

/** The processor alone, over a source whose record value is the index of an assembled fragment. */
function tailTopology(policies: readonly Policy[], items: readonly AssembledTrace[], ttl = TTL) {
  return topology('tail')
    .stream<AssembledTrace>({
      topic: 'assembled',
      decode: (m) => {
        const item = items[Number(m.value!.toString())];
        return [{ key: item.key, timestamp: m.timestamp, value: item }];
      },
    })
    .process(tailSampling({ policies, topic: SAMPLED, store: 'decisions', decisionTtlMs: ttl }))
    .to('kept', { value: (t) => `${t.key}#${t.fragment}` })
    .build();
}

const NOW = BASE + 86_400_000;

type Action = 'commit' | 'crash' | 'none';

/** Runs the events through a driver, acting after each one; returns the driver after a final commit. */
function run(policies: readonly Policy[], events: readonly FragmentEvent[], actions: readonly Action[] = [], ttl = TTL): TopologyTestDriver {
  const items = events.map((e) => assembled(e.trace, e.fragment));
  const driver = new TopologyTestDriver(tailTopology(policies, items, ttl), { now: () => NOW });
  for (const [i, e] of events.entries()) {
    driver.pipe([{ key: items[i].traceId, value: String(i), timestamp: e.at }]);
    const action = actions[i % Math.max(1, actions.length)];
    if (action === 'commit') driver.commit();
    else if (action === 'crash') driver.crash();
  }
  driver.commit();
  return driver;
}

/** The spans on the sampled topic as `<trace id>/<span id>`, checking each record's key and tenant header. */
function sampledSpans(driver: TopologyTestDriver, traces: readonly TestTrace[]): string[] {
  const tenants = new Map(traces.map((t) => [t.traceId, t.tenant]));
  const out: string[] = [];
  for (const record of driver.records(SAMPLED)) {
    const spans = decodeTraces(record.value as Buffer);
    for (const span of spans) {
      expect(span.traceId).toBe(record.key);
      out.push(`${span.traceId}/${span.spanId}`);
    }
    const tenant = tenants.get(String(record.key));
    expect(record.headers?.tenant).toBe(tenant);
  }
  return out;
}

describe('tail sampling (oracle)', () => {
  it('keeps exactly the traces brute force keeps, every span of them, across commits, crashes and restores', () => {
    fc.assert(
      fc.property(policySets, testTraces, fc.array(fc.constantFrom<Action>('none', 'none', 'commit', 'crash'), { maxLength: 12 }), (policies, traces, actions) => {
        const events = emissionOrder(traces);
        const expected = oracle(policies, events);
        const driver = run(policies, events, actions);
        expect(sampledSpans(driver, traces).sort()).toEqual([...expected.keptSpans].sort());
        // Kept fragments are forwarded once each, in emission order.
        const keptFragments = events.filter((e) => expected.kept.get(assembled(e.trace, e.fragment).key)).map((e) => `${assembled(e.trace, e.fragment).key}#${e.fragment}`);
        expect(driver.records('kept').map((r) => r.value)).toEqual(keptFragments);
      }),
      { numRuns: 300 },
    );
  });

  it('decides the same with and without crashes (replays and restored tasks agree)', () => {
    fc.assert(
      fc.property(policySets, testTraces, fc.array(fc.constantFrom<Action>('commit', 'crash'), { minLength: 1, maxLength: 6 }), (policies, traces, actions) => {
        const events = emissionOrder(traces);
        const calm = run(policies, events);
        const stormy = run(policies, events, actions);
        expect(stormy.records(SAMPLED).map((r) => [r.key, r.value])).toEqual(calm.records(SAMPLED).map((r) => [r.key, r.value]));
      }),
      { numRuns: 100 },
    );
  });
});

/** A trace of `spans` spans lasting `durationMs`, emitted at `at`; later fragments at `late` times. */
function trace(id: number, o: { at: number; durationMs?: number; status?: number; service?: string; spans?: number; late?: number[]; tenant?: string }): TestTrace {
  const traceId = id.toString(16).padStart(32, '0');
  const span = (n: number, start: number, end: number) => ({
    spanId: n.toString(16).padStart(16, '0'),
    parentSpanId: n === 0 ? '' : (0).toString(16).padStart(16, '0'),
    service: o.service ?? 'cart',
    name: 'GET',
    status: o.status ?? 0,
    startMs: start,
    endMs: end,
    route: '/api/cart',
    httpStatus: 200,
    forced: false,
  });
  const start = o.at - (o.durationMs ?? 10);
  const first = Array.from({ length: o.spans ?? 1 }, (_, n) => span(n, start, o.at));
  const late = (o.late ?? []).map((at, i) => ({ at, spans: [span(100 + i, at - 5, at)] }));
  return { traceId, tenant: o.tenant, fragments: [{ at: o.at, spans: first }, ...late] };
}

const keptTraceIds = (driver: TopologyTestDriver) => [...new Set(driver.records(SAMPLED).map((r) => String(r.key)))];

describe('tail sampling', () => {
  it('keeps errors and slow traces, and late fragments follow their trace', () => {
    const policies: Policy[] = [
      { name: 'errors', type: 'status_code', statusCodes: ['ERROR'] },
      { name: 'slow', type: 'latency', thresholdMs: 2_000 },
    ];
    const traces = [
      trace(1, { at: BASE + 100, status: 2, late: [BASE + 5_000] }),
      trace(2, { at: BASE + 200, durationMs: 2_500, late: [BASE + 6_000] }),
      trace(3, { at: BASE + 300, late: [BASE + 7_000] }),
    ];
    const driver = run(policies, emissionOrder(traces));
    expect(keptTraceIds(driver)).toEqual([traces[0].traceId, traces[1].traceId]);
    // The late fragments of kept traces came out too (its span 100), the dropped trace's did not.
    expect(sampledSpans(driver, traces).filter((s) => s.endsWith('/0000000000000064'))).toHaveLength(2);
    const gauges = driver.task.ctx.gauges;
    expect(gauges.get('tail_sampling_policy_decisions_total{store="decisions",policy="errors",decision="sampled"}')?.()).toBe(1);
    expect(gauges.get('tail_sampling_policy_decisions_total{store="decisions",policy="slow",decision="not_sampled"}')?.()).toBe(2);
    expect(gauges.get('tail_sampling_traces_total{store="decisions",decision="kept"}')?.()).toBe(2);
    expect(gauges.get('tail_sampling_late_fragments_total{store="decisions",decision="dropped"}')?.()).toBe(1);
  });

  it('a drop policy wins over sampling policies', () => {
    const policies: Policy[] = [
      { name: 'all', type: 'always_sample' },
      { name: 'no-cart', type: 'drop', policies: [{ name: 'cart', type: 'string_attribute', key: 'service.name', values: ['cart'] }] },
    ];
    const driver = run(policies, emissionOrder([trace(1, { at: BASE, service: 'cart' }), trace(2, { at: BASE + 1, service: 'checkout' })]));
    expect(keptTraceIds(driver)).toEqual([(2).toString(16).padStart(32, '0')]);
  });

  it('rate limits per second of stream time, per tenant and root service, and a crash mid-second decides the same', () => {
    const policies: Policy[] = [{ name: 'cap', type: 'rate_limiting', limit: 2, unit: 'traces', per: 'root_service' }];
    // Second 0: five cart traces (two kept) and two checkout traces (both kept); a tenant's cart has its own budget;
    // second 1: the cart budget is new.
    const traces = [
      ...[1, 2, 3, 4, 5].map((i) => trace(i, { at: BASE + i * 10, service: 'cart' })),
      trace(6, { at: BASE + 60, service: 'checkout' }),
      trace(7, { at: BASE + 70, service: 'checkout' }),
      trace(8, { at: BASE + 80, service: 'cart', tenant: 'acme' }),
      trace(9, { at: BASE + 1_000, service: 'cart' }),
    ];
    const events = emissionOrder(traces);
    const expected = [1, 2, 6, 7, 8, 9].map((i) => i.toString(16).padStart(32, '0'));
    expect(keptTraceIds(run(policies, events)).sort()).toEqual(expected);
    // Committed after the first trace, crashed after the third: the budget spent by trace 1 comes back from the changelog.
    expect(keptTraceIds(run(policies, events, ['commit', 'none', 'crash', 'none', 'none', 'none', 'none', 'none', 'none'])).sort()).toEqual(expected);
  });

  it('spans_per_second counts a trace by its spans; a trace larger than the budget is never sampled by it', () => {
    const policies: Policy[] = [{ name: 'spans', type: 'rate_limiting', limit: 3, unit: 'spans', per: 'task' }];
    const traces = [trace(1, { at: BASE, spans: 2 }), trace(2, { at: BASE + 1, spans: 2 }), trace(3, { at: BASE + 2, spans: 1 }), trace(4, { at: BASE + 1_000, spans: 4 })];
    expect(keptTraceIds(run(policies, emissionOrder(traces)))).toEqual([1, 3].map((i) => i.toString(16).padStart(32, '0')));
  });

  it('probabilistic sampling keeps about its share, the same traces every time, and a salt picks others', () => {
    const traces = Array.from({ length: 2_000 }, (_, i) => trace(i + 1, { at: BASE + i }));
    const events = emissionOrder(traces);
    const ten: Policy[] = [{ name: 'ten', type: 'probabilistic', percentage: 10 }];
    const first = keptTraceIds(run(ten, events));
    expect(first.length).toBeGreaterThan(150);
    expect(first.length).toBeLessThan(250);
    expect(keptTraceIds(run(ten, events))).toEqual(first);
    const salted = keptTraceIds(run([{ name: 'ten', type: 'probabilistic', percentage: 10, salt: 'other' }], events));
    expect(salted).not.toEqual(first);
    expect(keptTraceIds(run([{ name: 'none', type: 'probabilistic', percentage: 0 }], events))).toEqual([]);
    expect(keptTraceIds(run([{ name: 'all', type: 'probabilistic', percentage: 100 }], events))).toHaveLength(2_000);
  });

  it('forgets a decision after its TTL: a later fragment is then decided on its own', () => {
    const policies: Policy[] = [{ name: 'checkout', type: 'string_attribute', key: 'service.name', values: ['checkout'] }];
    // Trace 1 (cart) is dropped; its fragment 1 comes within the TTL and is dropped too; fragment 2 comes after the
    // TTL (with the same cart spans) and is decided alone — dropped again, and counted as undecided.
    const traces = [trace(1, { at: BASE, late: [BASE + 500, BASE + 5_000] })];
    const driver = run(policies, emissionOrder(traces), [], 1_000);
    expect(driver.records(SAMPLED)).toEqual([]);
    expect(driver.task.ctx.gauges.get('tail_sampling_undecided_fragments_total{store="decisions"}')?.()).toBe(1);
    expect(driver.task.ctx.gauges.get('tail_sampling_late_fragments_total{store="decisions",decision="dropped"}')?.()).toBe(1);
  });

  it('splits a fragment over the record limit into several records with the same key', () => {
    const many = trace(1, { at: BASE, spans: 200 });
    const item = assembled(many, 0);
    const driver = new TopologyTestDriver(
      topology('tail')
        .stream<AssembledTrace>({ topic: 'assembled', decode: (m) => [{ key: item.key, timestamp: m.timestamp, value: item }] })
        .process(tailSampling({ policies: [{ name: 'all', type: 'always_sample' }], topic: SAMPLED, store: 'decisions', decisionTtlMs: TTL, maxRecordBytes: 4_000 }))
        .build(),
      { now: () => NOW },
    );
    driver.pipe([{ key: item.traceId, value: '0', timestamp: BASE }]);
    driver.commit();
    const records = driver.records(SAMPLED);
    expect(records.length).toBeGreaterThan(1);
    for (const r of records) expect((r.value as Buffer).length).toBeLessThanOrEqual(4_000);
    expect(records.flatMap((r) => decodeTraces(r.value as Buffer).map((s) => s.spanId)).sort()).toEqual(item.spans.map((s) => s.spanId).sort());
  });

  it('refuses bad options', () => {
    const base = { topic: SAMPLED, store: 'd', decisionTtlMs: 1 };
    expect(() => tailSampling({ ...base, policies: [] })).toThrow(/at least one policy/);
    expect(() => tailSampling({ ...base, policies: [{ name: 'a', type: 'always_sample' }, { name: 'a', type: 'always_sample' }] })).toThrow(/"a" is used twice/);
    expect(() => tailSampling({ ...base, decisionTtlMs: 0, policies: [{ name: 'a', type: 'always_sample' }] })).toThrow(/TTL/);
  });
});
