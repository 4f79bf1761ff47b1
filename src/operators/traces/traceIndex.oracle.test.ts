// Oracle test of the trace index: random traces through assemble → trace_index in the topology test driver (with
// commits, crashes and restores), the otlp.index records decoded with the real Avro codec (framed offline), against
// brute force over the assembled traces: postings per (tenant, block, field, value) equal a scan, Bloom filters
// never miss a trace of their block, segments stay under their size cap, blocks past retention get tombstones.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeText, encodeTraces, type Span } from '../../otlp/index.ts';
import { topology } from '../../runtime/dsl.ts';
import { TopologyTestDriver } from '../../runtime/testing.ts';
import { otlpSpans } from '../../sources/otlp.ts';
import { flushWindows } from '../taskEvent.ts';
import { assemble } from './assemble.ts';
import { TraceIdBloom } from './bloom.ts';
import { blockKey, parseIndexKey, segmentKey, TraceIndexCodec, type TraceIndexEntry } from './indexRecord.ts';
import { parseTraceRecordKey, type AssembledTrace } from './model.ts';
import { decodeTraceValue } from './traceRecord.ts';
import { blockOf, traceIndex } from './traceIndex.ts';
import { offlineIndexCodec, traces } from './testing.ts';

const BLOCK = 1_000;
const GRACE = 300;
const RETENTION = 5_000;
const MAX_VALUE = 64;

function indexTopology(codec: TraceIndexCodec, maxSegmentBytes?: number) {
  return topology('idx')
    .stream(otlpSpans('in'))
    .process(assemble({ store: 'traces', gapMs: 100, maxDurationMs: 500, lateHorizonMs: 1_500, maxSpansPerTrace: 6, lateTopic: 'late' }))
    .process(traceIndex({ store: 'index', tracesTopic: 'traces', indexTopic: 'index', blockMs: BLOCK, graceMs: GRACE, flushIntervalMs: 200, retentionMs: RETENTION, maxValueLength: MAX_VALUE, maxSegmentBytes, codec }))
    .to('assembled', { value: (t: AssembledTrace) => JSON.stringify({ key: t.key, tenant: t.tenant ?? '', traceId: t.traceId, fragment: t.fragment, start: String(t.summary.startUnixNano), spans: t.summary.spans }) })
    .build();
}

const input = fc.record({
  list: traces(10, 8),
  delays: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2_500 })), { minLength: 60, maxLength: 60 }),
  cuts: fc.array(fc.oneof(fc.constant('commit' as const), fc.constant('crash' as const), fc.integer({ min: 1, max: 10 })), { maxLength: 20 }),
});

function drive(codec: TraceIndexCodec, list: Array<{ tenant?: string; traceId: string; spans: Span[] }>, delays: number[], cuts: Array<'commit' | 'crash' | number>, maxSegmentBytes?: number, closing?: number) {
  const arrivals = list
    .flatMap((t) => t.spans.map((span) => ({ tenant: t.tenant, span })))
    .map((a, i) => ({ ...a, at: a.span.endTimeMs + delays[i % delays.length] }))
    .sort((a, b) => a.at - b.at || (a.span.spanId < b.span.spanId ? -1 : 1));
  const records = arrivals.map((a) => ({ value: encodeTraces([a.span]), headers: (a.tenant ? { tenant: a.tenant } : {}) as Record<string, string> }));
  const driver = new TopologyTestDriver(indexTopology(codec, maxSegmentBytes), { now: () => 1_800_000_000_000 });
  let at = 0;
  for (const cut of cuts) {
    if (cut === 'commit') driver.commit();
    else if (cut === 'crash') driver.crash();
    else {
      driver.pipe(records.slice(at, at + cut));
      at += cut;
    }
  }
  driver.pipe(records.slice(at));
  if (closing !== undefined) {
    // A span far later moves stream time past every block's retention.
    const last = list[0].spans[0];
    const newest = Math.max(...arrivals.map((a) => a.span.endTimeMs));
    // First the open traces close and their segments are written, then a span far later moves stream time past
    // every block's retention.
    driver.pipe([{ value: encodeTraces([{ ...last, traceId: 'c'.repeat(32), startTimeMs: newest + 400, endTimeMs: newest + 400 }]) }]);
    driver.pipe([{ value: encodeTraces([{ ...last, traceId: 'd'.repeat(32), startTimeMs: closing, endTimeMs: closing }]) }]);
  } else driver.task.control(flushWindows);
  driver.commit();
  return driver;
}

const STATUS = ['unset', 'ok', 'error'];
const KIND = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** Brute force: the (field, value) pairs of spans, from the definition. */
function bruteTerms(spans: Span[]): Set<string> {
  const out = new Set<string>();
  const add = (field: string, value: string, key = '') => {
    if (value.length <= MAX_VALUE && key.length <= MAX_VALUE) out.add(JSON.stringify([field, value]));
  };
  for (const s of spans) {
    for (const a of s.resource.attributes) add(`resource.${a.key}`, attributeText(a), a.key);
    for (const a of s.attributes) add(`span.${a.key}`, attributeText(a), a.key);
    add('name', s.name);
    add('status', STATUS[s.statusCode]);
    add('kind', KIND[s.kind]);
  }
  return out;
}

describe('trace index (oracle)', () => {
  it('postings, summaries, blocks and Bloom filters equal brute force over the assembled traces, across crashes', () => {
    const codec = offlineIndexCodec();
    let sealedLate = 0;
    let splitBlocks = 0;
    fc.assert(
      fc.property(input, fc.boolean(), ({ list, delays, cuts }, small) => {
        const maxSegmentBytes = small ? 8_000 : undefined;
        const driver = drive(codec, list, delays, cuts, maxSegmentBytes);
        // Brute force from otlp.traces: each fragment's spans, placed by the trace's start at the time.
        const assembled = driver.records('assembled').map((r) => JSON.parse(String(r.value)) as { key: string; tenant: string; traceId: string; fragment: number; start: string; spans: number });
        const traceRecords = driver.records('traces');
        expect(traceRecords.map((r) => parseTraceRecordKey(String(r.key)))).toEqual(assembled.map((a) => ({ traceKey: a.key, fragment: a.fragment })));
        const postings = new Map<string, Set<string>>();
        const blockTraces = new Map<string, Set<string>>();
        const latestSpans = new Map<string, number>();
        assembled.forEach((a, i) => {
          const spans = decodeTraceValue(traceRecords[i].value as Buffer);
          expect(traceRecords[i].partition).toBe(0);
          expect(traceRecords[i].headers?.['content-encoding']).toBe('snappy');
          const place = `${a.tenant}/${blockOf(BigInt(a.start), BLOCK)}`;
          for (const term of bruteTerms(spans)) {
            const k = `${place} ${term}`;
            postings.set(k, (postings.get(k) ?? new Set()).add(a.traceId));
          }
          blockTraces.set(place, (blockTraces.get(place) ?? new Set()).add(a.traceId));
          // Joined as the query service joins: the summary with the most spans wins.
          latestSpans.set(`${place}/${a.traceId}`, Math.max(latestSpans.get(`${place}/${a.traceId}`) ?? 0, a.spans));
        });

        // The index as the query service reads it: the latest record per key.
        const latest = new Map<string, TraceIndexEntry | null>();
        for (const r of driver.records('index')) {
          const entry = r.value === null ? null : codec.decode(r.value as Buffer);
          if (entry !== null && maxSegmentBytes !== undefined && entry.kind === 'segment') expect((r.value as Buffer).length).toBeLessThanOrEqual(maxSegmentBytes);
          latest.set(String(r.key), entry);
        }
        const indexed = new Map<string, Set<string>>();
        const summarySpans = new Map<string, number>();
        for (const [key, entry] of latest) {
          const k = parseIndexKey(key);
          expect(entry).not.toBeNull();
          if (entry === null || entry.kind !== 'segment') continue;
          expect([entry.tenant, entry.blockStart, entry.partition, entry.seq]).toEqual([k.tenant, k.blockStart, k.partition, k.entry]);
          for (const p of entry.postings) {
            const k2 = `${entry.tenant}/${entry.blockStart} ${JSON.stringify([p.field, p.value])}`;
            for (const at of p.traces) indexed.set(k2, (indexed.get(k2) ?? new Set()).add(entry.traces[at].traceId));
          }
          for (const s of entry.traces) {
            const sk = `${entry.tenant}/${entry.blockStart}/${s.traceId}`;
            summarySpans.set(sk, Math.max(summarySpans.get(sk) ?? 0, s.spans));
          }
        }
        expect(new Map([...indexed].map(([k, v]) => [k, [...v].sort()]))).toEqual(new Map([...postings].map(([k, v]) => [k, [...v].sort()])));
        expect(summarySpans).toEqual(latestSpans);

        // Every block was sealed at the flush: its filter holds each of its traces; counts are exact unless late traces came after the seal.
        for (const [place, ids] of blockTraces) {
          const [tenant, start] = place.split('/');
          const block = latest.get(blockKey(tenant, Number(start), 0));
          expect(block?.kind).toBe('block');
          if (block?.kind !== 'block') continue;
          const bloom = TraceIdBloom.fromRecord(block.bloom.bits, block.bloom.hashes);
          for (const id of ids) expect(bloom.mightContain(id)).toBe(true);
          expect(block.traces).toBeLessThanOrEqual(ids.size);
          if (block.traces !== ids.size) sealedLate++;
          const segments = [...latest.values()].filter((e) => e?.kind === 'segment' && e.tenant === tenant && e.blockStart === Number(start)).length;
          expect(block.segments).toBe(segments);
          if (maxSegmentBytes !== undefined && segments > 1) splitBlocks++;
        }
      }),
      { numRuns: 150 },
    );
    // Some small-cap runs split a flush into several segments.
    expect(splitBlocks).toBeGreaterThan(0);
    void sealedLate;
  });

  // A crash can move when an upstream trace reaches the index (assemble emits it at another record), so records may
  // come in another order; what a compacted topic keeps — the last value of each key — must not change, and a block
  // record never counts segments not written yet (a reader that sees it can fetch them all).
  it('leaves the same compacted topics with commits, crashes and restores as a straight run', () => {
    const codec = offlineIndexCodec();
    const compacted = (driver: TopologyTestDriver, topic: string) => {
      const last = new Map<string, string | null>();
      for (const r of driver.records(topic)) last.set(String(r.key), r.value === null ? null : Buffer.from(r.value).toString('hex'));
      return new Map([...last].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    };
    fc.assert(
      fc.property(input, fc.boolean(), ({ list, delays, cuts }, small) => {
        const maxSegmentBytes = small ? 8_000 : undefined;
        const driver = drive(codec, list, delays, cuts, maxSegmentBytes);
        const straight = drive(codec, list, delays, [], maxSegmentBytes);
        for (const topic of ['index', 'traces']) expect(compacted(driver, topic)).toEqual(compacted(straight, topic));
        for (const run of [driver, straight]) {
          const written = new Set<string>();
          for (const r of run.records('index')) {
            written.add(String(r.key));
            const entry = r.value === null ? null : codec.decode(Buffer.from(r.value));
            if (entry?.kind !== 'block') continue;
            for (let seq = 0; seq < entry.segments; seq++) expect(written.has(segmentKey(entry.tenant, entry.blockStart, entry.partition, seq))).toBe(true);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('tombstones every key of a block once stream time passes its end plus the retention', () => {
    const codec = offlineIndexCodec();
    fc.assert(
      fc.property(input, ({ list, delays, cuts }) => {
        const driver = drive(codec, list, delays, cuts, undefined, 1_700_000_000_000 + 3_000 + 2_000 + BLOCK + RETENTION + 1_000);
        const latest = new Map<string, unknown>();
        for (const r of driver.records('index')) latest.set(String(r.key), r.value);
        expect(latest.size).toBeGreaterThan(0);
        for (const [key, value] of latest) expect([key, value]).toEqual([key, null]);
      }),
      { numRuns: 50 },
    );
  });
});
