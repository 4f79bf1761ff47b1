import { describe, expect, it } from 'vitest';
import { layeredLayout } from './layout.ts';

const columns = (p: ReturnType<typeof layeredLayout>) => Object.fromEntries(p.map((n) => [n.id, n.column]));

describe('layeredLayout', () => {
  it('puts callers left of callees by the longest chain', () => {
    const edges = [
      { client: 'user', server: 'frontend' },
      { client: 'frontend', server: 'cart' },
      { client: 'cart', server: 'redis' },
      { client: 'frontend', server: 'redis' },
      { client: 'frontend', server: 'ads' },
    ];
    expect(columns(layeredLayout(['ads', 'cart', 'frontend', 'redis', 'user'], edges))).toEqual({ user: 0, frontend: 1, ads: 2, cart: 2, redis: 3 });
  });
  it('survives cycles and self-calls, and centres columns', () => {
    const p = layeredLayout(['a', 'b', 'c'], [{ client: 'a', server: 'b' }, { client: 'b', server: 'a' }, { client: 'b', server: 'b' }, { client: 'a', server: 'c' }]);
    expect(columns(p)).toEqual({ a: 0, b: 1, c: 1 });
    expect(p.find((n) => n.id === 'a')!.y).toBe(45);
    expect(p.find((n) => n.id === 'c')!.y).toBe(90);
  });
  it('orders a column by the mean row of its callers', () => {
    const p = layeredLayout(['a', 'b', 'x', 'y'], [{ client: 'a', server: 'y' }, { client: 'b', server: 'x' }]);
    expect(p.map((n) => n.id)).toEqual(['a', 'b', 'y', 'x']);
  });
  it('places unconnected services in the first column', () => {
    expect(columns(layeredLayout(['x', 'y'], []))).toEqual({ x: 0, y: 0 });
  });
});
