// Block pruning in searches against brute force: the real trace-index topology (assemble → trace_index, in memory)
// indexes random traces arriving late, some after their block sealed (the block record is written again with wider
// ranges, a flush after the late segment); the records are applied to a real store in steps, so some checks run in
// between a late segment and its block's new record. At every step a pruned search answers what an unpruned one
// does and what a brute-force scan of the index records gives.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { assemble } from '../operators/traces/assemble.ts';
import { TraceIndexCodec, type TraceIndexEntry } from '../operators/traces/indexRecord.ts';
import type { AssembledTrace, TraceSummary } from '../operators/traces/model.ts';
import { offlineIndexCodec, traces } from '../operators/traces/testing.ts';
import { traceIndex } from '../operators/traces/traceIndex.ts';
import { encodeTraces, type Span } from '../otlp/index.ts';
import { topology } from '../runtime/dsl.ts';
import { TopologyTestDriver } from '../runtime/testing.ts';
import { otlpSpans } from '../sources/otlp.ts';
import { flushWindows } from '../operators/taskEvent.ts';
import { applyIndexRecord, applyTraceRecord } from './apply.ts';
import { openQueryStore, type StoredBlock } from './store.ts';
import type { CandidateFormula } from './traceql/index.ts';
import { blockExcludes, TraceQueries, type TraceSearch } from './traces.ts';

const MS = 1_000_000;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function indexTopology(codec: TraceIndexCodec) {
  return topology('idx')
    .stream(otlpSpans('in'))
    .process(assemble({ store: 'traces', gapMs: 100, maxDurationMs: 500, lateHorizonMs: 1_500, maxSpansPerTrace: 6, lateTopic: 'late' }))
    .process(traceIndex({ store: 'index', tracesTopic: 'traces', indexTopic: 'index', blockMs: 1_000, graceMs: 200, flushIntervalMs: 200, retentionMs: 60_000, maxValueLength: 64, codec }))
    .to('assembled', { value: (t: AssembledTrace) => t.traceId })
    .build();
}

const input = fc.record({
  list: traces(12, 8),
  delays: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 1_400 })), { minLength: 40, maxLength: 40 }),
  steps: fc.integer({ min: 2, max: 6 }),
});

type Records = { key: string; value: Buffer | null }[];

function run(codec: TraceIndexCodec, list: { tenant?: string; spans: Span[] }[], delays: number[]): { traces: Records; index: Records } {
  const arrivals = list
    .flatMap((t) => t.spans.map((span) => ({ tenant: t.tenant, span })))
    .map((a, i) => ({ ...a, at: a.span.endTimeMs + delays[i % delays.length] }))
    .sort((a, b) => a.at - b.at || (a.span.spanId < b.span.spanId ? -1 : 1));
  const driver = new TopologyTestDriver(indexTopology(codec), { now: () => 1_800_000_000_000 });
  // One span at a time, so stream time moves as the spans arrive (blocks seal, late traces reach sealed blocks).
  for (const a of arrivals) driver.pipe([{ value: encodeTraces([a.span]), headers: (a.tenant ? { tenant: a.tenant } : {}) as Record<string, string> }]);
  driver.task.control(flushWindows);
  driver.commit();
  const records = (topic: string) => driver.records(topic).map((r) => ({ key: String(r.key), value: (r.value as Buffer | null) ?? null }));
  return { traces: records('traces'), index: records('index') };
}

// Brute force over the index records applied so far: per trace, the summary with most spans and every posted term.
function bruteForce(codec: TraceIndexCodec, index: Records, tenant: string, q: TraceSearch): string[] {
  const latest = new Map<string, TraceIndexEntry | null>();
  for (const r of index) latest.set(r.key, r.value === null ? null : codec.decode(r.value));
  const byTrace = new Map<string, { best: TraceSummary; terms: Set<string> }>();
  for (const entry of latest.values()) {
    if (entry === null || entry.kind !== 'segment' || entry.tenant !== tenant) continue;
    entry.traces.forEach((s, i) => {
      const t = byTrace.get(s.traceId) ?? { best: s, terms: new Set<string>() };
      if (s.spans > t.best.spans) t.best = s;
      for (const p of entry.postings) if (p.traces.includes(i)) t.terms.add(`${p.field}\0${p.value}`);
      byTrace.set(s.traceId, t);
    });
  }
  const holds = (f: CandidateFormula, terms: Set<string>): boolean =>
    f.op === 'all' ? true : f.op === 'term' ? terms.has(`${f.field}\0${f.value}`) : f.op === 'and' ? f.args.every((a) => holds(a, terms)) : f.args.some((a) => holds(a, terms));
  return [...byTrace.values()]
    .filter(({ best }) => (q.minDurationNanos === undefined || best.durationNanos >= q.minDurationNanos) && (q.maxDurationNanos === undefined || best.durationNanos <= q.maxDurationNanos))
    .filter(({ best }) => (q.startNanos === undefined || best.startUnixNano >= q.startNanos) && (q.endNanos === undefined || best.startUnixNano <= q.endNanos))
    .filter(({ terms }) => holds(q.formula ?? { op: 'all' }, terms))
    .map(({ best }) => best.traceId)
    .sort();
}

const term = (field: string, value: string): CandidateFormula => ({ op: 'term', field, value });
const FORMULAS: (CandidateFormula | undefined)[] = [
  undefined,
  term('resource.service.name', 'frontend'),
  { op: 'or', args: [term('resource.service.name', 'cart'), term('status', 'error')] },
  { op: 'and', args: [term('span.http.route', '/r1'), term('resource.service.name', 'db')] },
];
const BOUNDS = [{}, { minDurationNanos: 200 * MS }, { maxDurationNanos: 150 * MS }, { minDurationNanos: 100 * MS, maxDurationNanos: 450 * MS }, { minDurationNanos: 500 * MS }, { maxDurationNanos: 30 * MS }];

describe('search pruning by block ranges', () => {
  it('a block excludes only with a current record whose duration range is outside the bounds', () => {
    const block = { segments: 2, minDurationNanos: 100, maxDurationNanos: 200 } as StoredBlock;
    const table: [StoredBlock | undefined, number, { minDurationNanos?: number; maxDurationNanos?: number }, boolean, boolean][] = [
      [undefined, 0, { maxDurationNanos: 50 }, true, false], // no block record yet (not sealed)
      [block, 0, { maxDurationNanos: 50 }, false, true], // every trace longer than the maximum
      [block, 0, { maxDurationNanos: 100 }, false, false], // the shortest is at the bound
      [block, 2, { maxDurationNanos: 50 }, true, false], // a segment the record does not count yet: stale ranges
      [{ ...block, segments: undefined }, 0, { maxDurationNanos: 50 }, true, false], // a store from before segments were kept
      [block, 1, { minDurationNanos: 300 }, true, true], // every trace shorter, and every summary has its own key
      [block, 1, { minDurationNanos: 300 }, false, false], // postings: the trace may be long in another block
      [block, 1, { minDurationNanos: 150, maxDurationNanos: 160 }, true, false],
    ];
    for (const [b, seq, bounds, keyed, excluded] of table) expect(blockExcludes(b, seq, bounds, keyed), JSON.stringify({ b, seq, bounds, keyed })).toBe(excluded);
  });

  it('answers as unpruned and as brute force, also between a late segment and its block record', () => {
    const codec = offlineIndexCodec();
    const seen = { pruned: 0, rewrittenBlocks: 0, checks: 0 };
    fc.assert(
      fc.property(input, ({ list, delays, steps }) => {
        const { traces: traceRecords, index } = run(codec, list, delays);
        const dir = mkdtempSync(join(tmpdir(), 'prune-'));
        dirs.push(dir);
        const store = openQueryStore(dir);
        try {
          const queries = new TraceQueries(store);
          store.root.transactionSync(() => {
            for (const r of traceRecords) applyTraceRecord(store, r.key, r.value);
          });
          const blockKeys = index.filter((r) => r.key.endsWith('/block')).map((r) => r.key);
          seen.rewrittenBlocks += blockKeys.length - new Set(blockKeys).size;
          let applied = 0;
          for (let step = 1; step <= steps; step++) {
            const upTo = Math.round((index.length * step) / steps);
            store.root.transactionSync(() => {
              for (const r of index.slice(applied, upTo)) applyIndexRecord(store, codec, r.key, r.value);
            });
            applied = upTo;
            for (const tenant of ['', 'acme', 'globex']) {
              for (const formula of FORMULAS) {
                for (const bounds of BOUNDS) {
                  const q: TraceSearch = { formula, ...bounds, limit: 1_000 };
                  const pruned = queries.search(tenant, q);
                  const unpruned = queries.search(tenant, { ...q, prune: false });
                  seen.pruned += pruned.stats.prunedCandidates;
                  seen.checks++;
                  const ids = pruned.traces.map((t) => t.traceId);
                  expect(ids).toEqual(unpruned.traces.map((t) => t.traceId));
                  expect([...ids].sort()).toEqual(bruteForce(codec, index.slice(0, applied), tenant, q));
                  // With a limit and a time range too, pruning changes nothing.
                  const start = 1_700_000_000_000n * 1_000_000n + 500n * 1_000_000n;
                  const narrow: TraceSearch = { ...q, limit: 3, startNanos: start, endNanos: start + 2_000n * 1_000_000n };
                  expect(queries.search(tenant, narrow).traces).toEqual(queries.search(tenant, { ...narrow, prune: false }).traces);
                  // Time ranges against brute force: a late fragment that starts earlier moves its trace's start.
                  for (let from = 0n; from < 3_500n; from += 700n) {
                    const range: TraceSearch = { ...q, startNanos: 1_700_000_000_000n * 1_000_000n + from * 1_000_000n, endNanos: 1_700_000_000_000n * 1_000_000n + (from + 699n) * 1_000_000n };
                    expect(queries.search(tenant, range).traces.map((t) => t.traceId).sort()).toEqual(bruteForce(codec, index.slice(0, applied), tenant, range));
                  }
                }
              }
            }
          }
        } finally {
          void store.close();
        }
      }),
      { numRuns: 40 },
    );
    // The runs did prune, and did see blocks written again after late traces.
    expect(seen.pruned).toBeGreaterThan(0);
    expect(seen.rewrittenBlocks).toBeGreaterThan(0);
  });
});

describe('search by time range after a late fragment moved a trace start', () => {
  it('finds the trace by a term only its first segment posts, in a range around its new start', () => {
    const codec = offlineIndexCodec();
    const dir = mkdtempSync(join(tmpdir(), 'shift-'));
    dirs.push(dir);
    const store = openQueryStore(dir);
    const s0 = 1_700_000_000_000n * 1_000_000n;
    const summary = (start: bigint, spans: number): TraceSummary => ({
      traceId: 'ab'.repeat(16), rootService: 'frontend', rootName: 'GET', startUnixNano: start, durationNanos: 5_000_000, spans, errors: 0, services: [{ service: 'frontend', spans, errors: 0 }], edges: [],
    });
    const segment = (seq: number, s: TraceSummary, field: string, value: string): TraceIndexEntry => ({
      kind: 'segment', tenant: '', blockStart: 1_700_000_000_000, blockEnd: 1_700_003_600_000, partition: 0, seq, traces: [s], postings: [{ field, value, traces: [0] }],
    });
    try {
      store.root.transactionSync(() => {
        // The first fragment starts 60 s in and posts frontend; a late one starts at s0 (60 s earlier) and posts cart.
        applyIndexRecord(store, codec, 'traces//1700000000000/0/0', codec.encode(segment(0, summary(s0 + 60_000_000_000n, 1), 'resource.service.name', 'frontend')));
        applyIndexRecord(store, codec, 'traces//1700000000000/0/1', codec.encode(segment(1, summary(s0, 2), 'resource.service.name', 'cart')));
      });
      const queries = new TraceQueries(store);
      const found = queries.search('', { formula: term('resource.service.name', 'frontend'), startNanos: s0, endNanos: s0 + 1_000_000_000n, limit: 10 });
      expect(found.traces.map((t) => [t.traceId, t.startUnixNano])).toEqual([['ab'.repeat(16), s0]]);
      // Its real start is outside a range around the first fragment's start.
      expect(queries.search('', { formula: term('resource.service.name', 'frontend'), startNanos: s0 + 59_000_000_000n, endNanos: s0 + 61_000_000_000n, limit: 10 }).traces).toEqual([]);
    } finally {
      void store.close();
    }
  });
});
