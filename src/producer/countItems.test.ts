import { describe, expect, it } from 'vitest';
import { Traffic } from '../gen/index.ts';
import { decodeLogs, decodeMetrics, decodeTraces } from '../otlp/index.ts';
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
