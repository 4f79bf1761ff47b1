import { describe, expect, it } from 'vitest';
import { Traffic } from '../gen/index.ts';
import { decodeLogs, decodeMetrics, decodeTraces } from './index.ts';
import { countItems } from './countItems.ts';

describe('countItems', () => {
  const traffic = new Traffic({ seed: 3, startMs: 1_700_000_000_000 });
  it('counts spans, log records and data points of every metric type', () => {
    const t = traffic.encodedTraces(500);
    expect(countItems('traces', t.traces)).toBe(decodeTraces(t.traces).length);
    expect(countItems('logs', t.logs)).toBe(decodeLogs(t.logs).length);
    const m = traffic.encodedMetrics(1_700_000_010_000);
    expect(countItems('metrics', m.metrics)).toBe(decodeMetrics(m.metrics).length);
    expect(countItems('traces', new Uint8Array())).toBe(0);
  });
});

describe('countItems on unread contents', () => {
  it('stops at the end of the bytes when a length inside a metric points far past it', () => {
    // ResourceMetrics { ScopeMetrics { Metric { gauge (5): length 2^31 } } }: the splitters check the resource level only.
    const metric = Buffer.from([0x2a, 0x80, 0x80, 0x80, 0x80, 0x08, 0x0a, 0x00]);
    const scope = Buffer.concat([Buffer.from([0x12, metric.length]), metric]);
    const resource = Buffer.concat([Buffer.from([0x12, scope.length]), scope]);
    const request = Buffer.concat([Buffer.from([0x0a, resource.length]), resource]);
    expect(countItems('metrics', request)).toBe(1);
  });
});
