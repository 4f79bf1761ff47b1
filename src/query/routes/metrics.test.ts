// The rollup routes' parameters and their answers without PostgreSQL (the SQL itself: test/integration/rollup-queries.test.ts).
import { describe, expect, it } from 'vitest';
import type { RollupReader } from '../rollups/reader.ts';
import { rollupRoutes } from './metrics.ts';
import { BadParameter, type RouteContext, type RouteRequest } from './route.ts';

const request = (query: string): RouteRequest => ({ params: {}, query: new URLSearchParams(query), headers: {}, caller: { tenant: 'acme', forward: {} }, body: Buffer.alloc(0) });
const route = (path: string) => rollupRoutes().find((r) => r.path === path)!;

/** A reader that records what it was asked. */
function fakeReader(calls: unknown[]): RollupReader {
  return {
    names: async (...args: unknown[]) => (calls.push(['names', ...args]), []),
    labels: async (...args: unknown[]) => (calls.push(['labels', ...args]), { series: 0, labels: [] }),
    series: async (...args: unknown[]) => (calls.push(['series', ...args]), { level: '1m', stepMs: 60_000, type: null, unit: null, series: [], truncated: false }),
    serviceGraph: async (...args: unknown[]) => (calls.push(['graph', ...args]), { level: '1m', stepMs: 60_000, nodes: [], edges: [] }),
  } as unknown as RollupReader;
}

describe('rollup routes', () => {
  it('answer 404 saying how to configure PostgreSQL when there is none', async () => {
    for (const path of ['/api/metrics/names', '/api/metrics/labels', '/api/metrics/query', '/api/servicegraph']) {
      const reply = await route(path).handle(request(''), {} as RouteContext);
      expect(reply.status).toBe(404);
      expect(String(reply.body)).toMatch(/--postgres/);
    }
  });

  it('name the parameter that is wrong', async () => {
    const ctx = { rollups: fakeReader([]) } as unknown as RouteContext;
    const bad = async (path: string, query: string) => {
      const err = await route(path).handle(request(query), ctx).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(BadParameter);
      return (err as BadParameter).parameter;
    };
    expect(await bad('/api/metrics/query', 'start=1&end=2')).toBe('name');
    expect(await bad('/api/metrics/query', 'name=m&start=x&end=2')).toBe('start');
    expect(await bad('/api/metrics/query', 'name=m&start=5&end=2')).toBe('end');
    expect(await bad('/api/metrics/query', 'name=m&start=1&end=2&level=2m')).toBe('level');
    expect(await bad('/api/metrics/query', 'name=m&start=1&end=2&match={"a":')).toBe('match');
    expect(await bad('/api/metrics/labels', '')).toBe('name');
    expect(await bad('/api/servicegraph', 'start=1')).toBe('end');
    expect(await bad('/api/metrics/names', 'limit=0')).toBe('limit');
  });

  it('pass the caller’s tenant and the parsed parameters to the reader', async () => {
    const calls: unknown[] = [];
    const ctx = { rollups: fakeReader(calls) } as unknown as RouteContext;
    await route('/api/metrics/names').handle(request('q=mem'), ctx);
    await route('/api/metrics/query').handle(request('name=m&match=a=1,b=2&start=1000&end=2000&level=5m'), ctx);
    const graph = await route('/api/servicegraph').handle(request('start=1000&end=2000'), ctx);
    expect(calls).toEqual([
      ['names', 'acme', 'mem', 20],
      ['series', 'acme', { name: 'm', match: { a: '1', b: '2' }, startMs: 1000, endMs: 2000, level: '5m', maxSeries: 50 }],
      ['graph', 'acme', 1000, 2000, undefined],
    ]);
    expect(JSON.parse(String(graph.body))).toEqual({ startMs: 1000, endMs: 2000, level: '1m', stepMs: 60_000, nodes: [], edges: [] });
  });
});
