// The log_index processor in memory: every record lands in exactly one segment whatever the commits and crashes
// (rows held in memory are put in the store at each commit and restored after a crash), segments are sorted by time
// and capped, pattern counts add up to the rows, and blocks past the retention get tombstones in both topics.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLogBlock } from '../../logs/block.ts';
import { offlineLogIndexCodec, parseLogSegmentKey, type LogSegmentEntry } from '../../logs/indexRecord.ts';
import { encodeLogs, type LogRecord } from '../../otlp/index.ts';
import { topology } from '../../runtime/dsl.ts';
import { TopologyTestDriver } from '../../runtime/testing.ts';
import { otlpLogs } from '../../sources/otlp.ts';
import { flushWindows } from '../taskEvent.ts';
import { logIndex } from './logIndex.ts';

const BASE = Date.UTC(2026, 11, 4, 10);
const codec = offlineLogIndexCodec();

function record(i: number, timeMs: number, service = 'api'): LogRecord {
  return {
    resource: { attributes: [{ key: 'service.name', type: 'string', value: service }], droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' },
    scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
    timeMs,
    timeNanos: 0,
    observedTimeMs: 0,
    observedTimeNanos: 0,
    severityNumber: 9,
    severityText: 'INFO',
    body: { type: 'string', value: `request ${i} handled in ${i % 50} ms` },
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: '',
    spanId: '',
    eventName: '',
  };
}

function driverFor(retentionMs = 365 * 86_400_000) {
  const definition = logIndex({ store: 'logs', blocksTopic: 'blocks', indexTopic: 'index', blockMs: 60_000, flushIntervalMs: 5_000, maxSegmentRecords: 16, retentionMs, patterns: {}, codec });
  return new TopologyTestDriver(topology('logs').stream(otlpLogs('in')).process(definition).build(), { now: () => BASE + 86_400_000 * 400 });
}

/** The latest value per key of a compacted topic. */
function compacted(driver: TopologyTestDriver, topic: string): Map<string, Buffer | null> {
  const out = new Map<string, Buffer | null>();
  for (const r of driver.records(topic)) out.set(String(r.key), (r.value as Buffer | null) ?? null);
  return out;
}

describe('log_index', () => {
  it('writes every record exactly once whatever the commits and crashes', () => {
    const action = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('records' as const), n: fc.integer({ min: 1, max: 12 }), dt: fc.integer({ min: -2_000, max: 9_000 }) }) },
      { weight: 2, arbitrary: fc.constant({ kind: 'commit' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
    );
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 40 }), (actions) => {
        const driver = driverFor();
        let i = 0;
        let clock = BASE;
        for (const a of actions) {
          if (a.kind === 'commit') driver.commit();
          else if (a.kind === 'crash') driver.crash();
          else {
            clock += Math.max(0, a.dt);
            const records = Array.from({ length: a.n }, () => record(i++, clock + (i % 3) * 7));
            driver.pipe([{ key: 'r', value: encodeLogs(records) }]);
          }
        }
        driver.task.control(flushWindows);
        driver.commit();
        const blocks = compacted(driver, 'blocks');
        const index = compacted(driver, 'index');
        expect([...index.keys()].sort()).toEqual([...blocks.keys()].sort());
        const bodies: string[] = [];
        for (const [key, value] of blocks) {
          const rows = decodeLogBlock(value!);
          const entry = codec.decode(index.get(key)!);
          expect(rows.length).toBeLessThanOrEqual(16);
          expect(entry.records).toBe(rows.length);
          expect(entry.minTimeMs).toBe(rows[0].timeMs);
          expect(entry.maxTimeMs).toBe(rows[rows.length - 1].timeMs);
          for (let r = 1; r < rows.length; r++) expect(rows[r].timeMs).toBeGreaterThanOrEqual(rows[r - 1].timeMs);
          expect(entry.patterns.reduce((n, p) => n + p.counts.reduce((m, c) => m + c.count, 0), 0)).toBe(rows.length);
          expect(entry.counts.reduce((n, c) => n + c.count, 0)).toBe(rows.length);
          const place = parseLogSegmentKey(key);
          for (const row of rows) expect(Math.floor(row.timeMs / 60_000) * 60_000).toBe(place.blockStart);
          bodies.push(...rows.map((row) => row.body));
        }
        expect(bodies.sort()).toEqual(Array.from({ length: i }, (_, n) => `request ${n} handled in ${n % 50} ms`).sort());
      }),
      { numRuns: 150 },
    );
  });

  it('mines templates per service', () => {
    const driver = driverFor();
    const records = Array.from({ length: 40 }, (_, i) => record(i, BASE + i * 100, i % 2 === 0 ? 'api' : 'db'));
    driver.pipe([{ key: 'r', value: encodeLogs(records) }]);
    driver.task.control(flushWindows);
    driver.commit();
    const patterns = [...compacted(driver, 'index').values()].flatMap((v) => codec.decode(v!).patterns);
    // Numbers and durations are masked before mining; the rest of the line is the template.
    expect(new Set(patterns.map((p) => `${p.service}: ${p.template}`))).toEqual(new Set(['api: request <*> handled in <*> ms', 'db: request <*> handled in <*> ms']));
  });

  it('writes tombstones for every segment of a block past the retention, and indexes nothing into it later', () => {
    const driver = driverFor(120_000);
    driver.pipe([{ key: 'r', value: encodeLogs(Array.from({ length: 40 }, (_, i) => record(i, BASE + i * 100))) }]);
    // Stream time moves past the first block's end + retention.
    driver.pipe([{ key: 'r', value: encodeLogs([record(100, BASE + 200_000)]) }]);
    driver.pipe([{ key: 'r', value: encodeLogs([record(101, BASE + 10)]) }]);
    driver.task.control(flushWindows);
    driver.commit();
    const blocks = compacted(driver, 'blocks');
    const index = compacted(driver, 'index');
    const first = [...blocks.keys()].filter((k) => parseLogSegmentKey(k).blockStart === BASE);
    expect(first.length).toBeGreaterThanOrEqual(3);
    for (const key of first) {
      expect(blocks.get(key), key).toBeNull();
      expect(index.get(key), key).toBeNull();
    }
    const live = [...index.values()].filter((v) => v !== null).map((v) => codec.decode(v!) as LogSegmentEntry);
    expect(live.map((e) => e.records).reduce((a, b) => a + b, 0)).toBe(1);
  });
});
