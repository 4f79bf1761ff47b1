import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LogRow } from '../../logs/model.ts';
import { QueryParameterError } from '../errors.ts';
import { instantQuery, labels, labelValues, queryRange, type ScanRequest } from './endpoints.ts';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

// The same shape: objects with the same keys (labels objects excepted: any string values), arrays whose elements all
// have the shape of the fixture's first element (tuples: the same length and element types), the same JSON types.
function expectShape(actual: unknown, expected: unknown, path = '$'): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    const a = actual as unknown[];
    const tuple = expected.length === 2 && typeof expected[0] !== typeof expected[1];
    if (tuple) {
      expect(a.length, path).toBe(2);
      expectShape(a[0], expected[0], `${path}[0]`);
      expectShape(a[1], expected[1], `${path}[1]`);
      return;
    }
    for (const [i, item] of a.entries()) expectShape(item, expected[0], `${path}[${i}]`);
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    expect(typeof actual, path).toBe('object');
    if (path.endsWith('.stream') || path.endsWith('.metric')) {
      for (const v of Object.values(actual as object)) expect(typeof v, path).toBe('string');
      return;
    }
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const k of Object.keys(expected)) expectShape((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  expect(typeof actual, path).toBe(typeof expected);
}

const T0 = 1_700_000_000_000;
function row(offsetMs: number, body: string, severityNumber = 9): LogRow {
  return {
    timeMs: T0 + offsetMs, timeNanos: 0, severityNumber, severityText: '', body, traceId: '', spanId: '', service: 'checkout',
    resource: [['service.name', 'checkout'], ['host.name', 'web-1']], attributes: [],
  };
}
const rows = [row(1000, 'order 17 created'), row(2000, 'order 17 paid'), row(3000, 'slow payment', 13)];
const scans: ScanRequest[] = [];
const source = (scan: ScanRequest) => {
  scans.push(scan);
  return rows;
};
async function* asyncSource(): AsyncIterable<LogRow> {
  yield* rows;
}
const opts = { nowMs: T0 + 3_600_000 };
const params = (p: Record<string, string>) => new URLSearchParams(p);

describe('Loki endpoints', () => {
  it('query_range of a log query: the documented streams shape', async () => {
    const body = await queryRange(params({ query: '{service_name="checkout"} |= "order"', start: String(T0 / 1000), end: String((T0 + 2001) * 1e6) }), source, opts);
    expectShape(body, fixture('query_range_streams'));
    const expected = fixture('query_range_streams') as { data: { result: unknown } };
    expect(body.data.result).toEqual(expected.data.result);
    expect(body.data.stats.summary).toMatchObject({ totalLinesProcessed: 2, totalEntriesReturned: 2 });
    expect(scans.at(-1)).toMatchObject({ start: 1_700_000_000_000_000_000n, end: 1_700_000_002_001_000_000n });
  });

  it('query_range of a metric query: the documented matrix shape', async () => {
    const body = await queryRange(params({ query: 'sum by (level) (count_over_time({service_name="checkout"}[1m]))', start: String(T0 / 1000), end: String(T0 / 1000 + 120), step: '30s' }), asyncSource, opts);
    expectShape(body, fixture('query_range_matrix'));
    expect(body.data.result).toEqual([
      { metric: { level: 'info' }, values: [[T0 / 1000 + 30, '2'], [T0 / 1000 + 60, '2']] },
      { metric: { level: 'warn' }, values: [[T0 / 1000 + 30, '1'], [T0 / 1000 + 60, '1']] },
    ]);
  });

  it('query: the documented vector shape; log queries refused', async () => {
    const body = await instantQuery(params({ query: 'sum(rate({service_name="checkout"}[10s]))', time: String((T0 + 5000) * 1e6) }), source, opts);
    expectShape(body, fixture('query_vector'));
    // 0.2 (info) + 0.1 (warn) in doubles, as Go sums them too.
    expect(body.data.result).toEqual([{ metric: {}, value: [T0 / 1000 + 5, '0.30000000000000004'] }]);
    await expect(instantQuery(params({ query: '{service_name="checkout"}' }), source, opts)).rejects.toThrow(QueryParameterError);
  });

  it('labels and label values', async () => {
    const range = { start: String(T0 / 1000), end: String(T0 / 1000 + 10) };
    const body = await labels(params(range), source, opts);
    expectShape(body, fixture('labels'));
    expect(body).toEqual(fixture('labels'));
    expect(await labelValues('level', params({ ...range, query: '{host_name="web-1"}' }), source, opts)).toEqual({ status: 'success', data: ['info', 'warn'] });
    expect(await labelValues('level', params({ ...range, query: '{host_name="web-2"}' }), source, opts)).toEqual({ status: 'success', data: [] });
  });
});
