import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Registry } from 'prom-client';
import { parseExposition, sumOf } from './exposition.ts';

describe('parseExposition', () => {
  it('reads what prom-client writes, labels with escapes included', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ application: 'trace-index' });
    const c = new Counter({ name: 'x_total', help: 'h', labelNames: ['topic', 'partition'], registers: [registry] });
    c.inc({ topic: 'a "quoted"\\ topic', partition: '0' }, 3);
    c.inc({ topic: 'b', partition: '1' }, 4);
    const g = new Gauge({ name: 'y', help: 'h', registers: [registry] });
    g.set(-1.5e-3);
    const samples = parseExposition(await registry.metrics());
    expect(samples).toContainEqual({ name: 'x_total', labels: { application: 'trace-index', topic: 'a "quoted"\\ topic', partition: '0' }, value: 3 });
    expect(sumOf(samples, 'x_total')).toBe(7);
    expect(sumOf(samples, 'x_total', { partition: '1' })).toBe(4);
    expect(sumOf(samples, 'y')).toBe(-1.5e-3);
  });

  it('skips comments, timestamps and lines that do not parse', () => {
    const samples = parseExposition('# HELP a h\n# TYPE a gauge\na 1 1700000000000\nb{l="x"} +Inf\nc{broken 1\nd NaN\n\ne{l="v",} 2\n');
    expect(samples).toEqual([
      { name: 'a', labels: {}, value: 1 },
      { name: 'b', labels: { l: 'x' }, value: Infinity },
      { name: 'd', labels: {}, value: NaN },
      { name: 'e', labels: { l: 'v' }, value: 2 },
    ]);
  });
});
