import { describe, expect, it } from 'vitest';
import { chartPoint, GRAPH_METRICS, likePattern, mergeBuckets, nameScore, parseMatchers, rankNames, serviceGraph, type WindowRow } from './values.ts';

const row = (over: Partial<WindowRow>): WindowRow => ({
  series: 's', startMs: 0, endMs: 60_000, kind: 'gauge', points: 1, count: 1, sum: 1, min: 1, max: 1, avg: 1, last: 1, increase: null, rate: null, quantiles: null, buckets: null, ...over,
});

describe('parseMatchers', () => {
  it('reads JSON objects and k=v lists', () => {
    expect(parseMatchers(null)).toEqual({});
    expect(parseMatchers('{"a":"x","n":3}')).toEqual({ a: 'x', n: '3' });
    expect(parseMatchers('a=x, b = y=z')).toEqual({ a: 'x', b: 'y=z' });
  });
  it('says what is wrong', () => {
    expect(() => parseMatchers('{"a":')).toThrow(/JSON object/);
    expect(() => parseMatchers('[1]')).toThrow();
    expect(() => parseMatchers('{"a":{"b":1}}')).toThrow(/label "a"/);
    expect(() => parseMatchers('a')).toThrow(/k=v/);
  });
});

describe('chartPoint', () => {
  it('keeps a gauge window and its quantiles (non-finite ones left out)', () => {
    const p = chartPoint(row({ min: 1, max: 5, avg: 2, last: 3, quantiles: { '0.5': 2, '0.99': 'NaN' } }));
    expect(p).toMatchObject({ t: 0, min: 1, max: 5, avg: 2, last: 3, quantiles: { '0.5': 2 } });
  });
  it('gives a delta sum its rate per second and increase', () => {
    const p = chartPoint(row({ kind: 'deltaSum', sum: 120, min: null, max: null, avg: null, last: null }));
    expect(p.rate).toBe(2);
    expect(p.increase).toBe(120);
  });
  it('keeps a cumulative sum rate as written', () => {
    expect(chartPoint(row({ kind: 'cumulativeSum', rate: 0.5, increase: 30 }))).toMatchObject({ rate: 0.5, increase: 30 });
  });
  it('estimates histogram quantiles from the buckets when the row has none', () => {
    // 10 in (0, 1], 10 in (1, 2]: the median at the top of the first bucket, p90 inside the second.
    const p = chartPoint(row({ kind: 'histogram', count: 20, min: 0, max: 2, buckets: { bounds: [1, 2], counts: [10, 10, 0] } }));
    expect(p.quantiles['0.5']).toBeCloseTo(1);
    expect(p.quantiles['0.9']).toBeCloseTo(1.8);
  });
});

describe('mergeBuckets', () => {
  it('adds the counts of equal bounds and keeps the bounds with the most observations', () => {
    const m = mergeBuckets([
      { buckets: { bounds: [1, 2], counts: [1, 2, 3] }, min: 0.5, max: 3 },
      { buckets: { bounds: [1, 2], counts: [1, 0, 0] }, min: 0.1, max: 1 },
      { buckets: { bounds: [5], counts: [2, 2] }, min: 1, max: 9 },
      { buckets: null, min: null, max: null },
    ]);
    expect(m).toEqual({ bounds: [1, 2], counts: [2, 2, 3], count: 7, min: 0.1, max: 3 });
    expect(mergeBuckets([])).toBeNull();
  });
  it('reads "Infinity" bounds written as strings', () => {
    expect(mergeBuckets([{ buckets: { bounds: [1, 'Infinity'], counts: [1, 1, 0] }, min: null, max: null }])?.bounds).toEqual([1, Infinity]);
  });
});

describe('metric names', () => {
  it('scores prefix, substring, letters in order', () => {
    expect(nameScore('proc', 'process.memory.usage')).toBe(0);
    expect(nameScore('memory', 'process.memory.usage')).toBe(1);
    expect(nameScore('pmu', 'process.memory.usage')).toBe(2);
    expect(nameScore('xyz', 'process.memory.usage')).toBeNull();
  });
  it('ranks and limits', () => {
    const names = ['rpc.server.duration', 'rpc.server.requests', 'http.rpc', 'process.memory.usage'].map((name) => ({ name }));
    expect(rankNames('rpc', names, 3)).toEqual([
      { name: 'rpc.server.duration', match: 'prefix' },
      { name: 'rpc.server.requests', match: 'prefix' },
      { name: 'http.rpc', match: 'substring' },
    ]);
  });
  it('escapes LIKE wildcards', () => {
    expect(likePattern('a_b%', 'prefix')).toBe('a\\_b\\%%');
    expect(likePattern('ab', 'fuzzy')).toBe('%a%b%');
  });
});

describe('serviceGraph', () => {
  it('sums edges over their series, rates over the range, latency of the server side else the client side', () => {
    const g = serviceGraph(
      [
        { client: 'a', server: 'b', name: GRAPH_METRICS.requests, sum: 80, count: 0 },
        { client: 'a', server: 'b', name: GRAPH_METRICS.requests, sum: 20, count: 0 },
        { client: 'a', server: 'b', name: GRAPH_METRICS.failed, sum: 5, count: 0 },
        { client: 'a', server: 'b', name: GRAPH_METRICS.server, sum: 10, count: 100 },
        { client: 'a', server: 'b', name: GRAPH_METRICS.client, sum: 99, count: 100 },
        { client: 'b', server: 'db', name: GRAPH_METRICS.requests, sum: 10, count: 0 },
        { client: 'b', server: 'db', name: GRAPH_METRICS.client, sum: 2, count: 10 },
      ],
      [
        { client: 'a', server: 'b', name: GRAPH_METRICS.server, buckets: { bounds: [0.1, 1], counts: [90, 10, 0] }, min: 0.01, max: 0.5 },
        { client: 'a', server: 'b', name: GRAPH_METRICS.client, buckets: { bounds: [0.1, 1], counts: [0, 0, 100] }, min: 2, max: 3 },
      ],
      100_000,
    );
    expect(g.edges).toEqual([
      { client: 'a', server: 'b', requests: 100, failed: 5, ratePerSecond: 1, errorRate: 0.05, latencyAvgSeconds: 0.1, latencyP95Seconds: 0.1 + (0.5 - 0.1) * (5 / 10) },
      { client: 'b', server: 'db', requests: 10, failed: 0, ratePerSecond: 0.1, errorRate: 0, latencyAvgSeconds: 0.2, latencyP95Seconds: null },
    ]);
    expect(g.nodes).toEqual([
      { service: 'a', requests: 0, failed: 0 },
      { service: 'b', requests: 100, failed: 5 },
      { service: 'db', requests: 10, failed: 0 },
    ]);
  });
});
