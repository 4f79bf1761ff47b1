import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { metricAggregator, type PartialItem } from '../../operators/metrics/metric.ts';
import type { Attribute, Metric, MetricPoint, Resource, Scope } from '../../otlp/index.ts';
import { tenantKey } from '../../otlp/tenant.ts';
import { DEFAULT_INFLUX_TRANSLATION, lineSafe, quantileField, rollupPoint } from './fromRollup.ts';

interface ParsedLine {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number>;
  timestamp: string;
}

/**
 * A line-protocol parser written from the spec (no string fields): `\` before a comma, `=` or space escapes it,
 * anywhere else it is itself; unescaped commas, `=` and spaces separate.
 */
function parseLine(line: string): ParsedLine {
  let i = 0;
  const read = (stops: string): string => {
    let out = '';
    while (i < line.length && !stops.includes(line[i])) {
      if (line[i] === '\\' && i + 1 < line.length && ',= '.includes(line[i + 1])) {
        out += line[i + 1];
        i += 2;
      } else out += line[i++];
    }
    return out;
  };
  const measurement = read(', ');
  const tags: Record<string, string> = {};
  while (line[i] === ',') {
    i++;
    const key = read('=');
    if (line[i++] !== '=') throw new Error(`tag ${key} without =: ${line}`);
    tags[key] = read(', ');
  }
  if (line[i++] !== ' ') throw new Error(`no fields: ${line}`);
  const fields: Record<string, number> = {};
  for (;;) {
    const key = read('=');
    if (line[i++] !== '=') throw new Error(`field ${key} without =: ${line}`);
    const raw = read(', ');
    fields[key] = Number(raw.endsWith('i') ? raw.slice(0, -1) : raw);
    if (line[i] !== ',') break;
    i++;
  }
  if (line[i++] !== ' ') throw new Error(`no timestamp: ${line}`);
  const timestamp = line.slice(i);
  if (!/^\d+$/.test(timestamp)) throw new Error(`bad timestamp ${timestamp}: ${line}`);
  return { measurement, tags, fields, timestamp };
}

const scope: Scope = { name: 's', version: '1', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });
const WINDOW = { start: 60_000, end: 120_000, resolution: '1m' };

function gauge(name: string, resource: Attribute[], attributes: Attribute[], values: number[]): PartialItem {
  const metric: Metric = { name, description: '', unit: '', type: 'gauge', aggregationTemporality: 0, isMonotonic: false, metadata: [] };
  const res: Resource = { attributes: resource, droppedAttributesCount: 0, entityRefs: [], schemaUrl: '' };
  const agg = metricAggregator();
  let p = agg.init();
  values.forEach((value, i) => {
    const point: MetricPoint = { resource: res, scope, metric, attributes, type: 'gauge', valueType: 'double', value, timeMs: 61_000 + i, startTimeMs: 0, startTimeNanos: 0, timeNanos: 0, flags: 0, exemplars: [] };
    p = agg.add(p, point, point.timeMs);
  });
  return { partial: p, window: WINDOW };
}

const line = (item: PartialItem, key: string | null, options = DEFAULT_INFLUX_TRANSLATION) => rollupPoint(item, key, options)!.toLineProtocol({ convertTime: (t) => String(t) })!;

// Characters that line protocol treats specially, plus control characters and non-ASCII.
const hostile = fc.array(fc.constantFrom(',', '=', ' ', '\\', '"', "'", '\n', '\r', '\t', '\u0000', '\u007f', 'a', 'Z', '0', '.', 'é', '日', '😀', '#'), { maxLength: 12 }).map((cs) => cs.join(''));

describe('line protocol of rollup points', () => {
  it('hostile measurement, tag keys and tag values round-trip through a parse (as lineSafe makes them)', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, fc.double({ noNaN: true, noDefaultInfinity: true }), (name, key, value, tenant, v) => {
        const tagKey = `x${key}`;
        const item = gauge(`m${name}`, [str('service.name', value)], [str(tagKey, value)], [v]);
        const parsed = parseLine(line(item, tenantKey(`t${tenant}`, 'sid'), { ...DEFAULT_INFLUX_TRANSLATION, tags: ['service.name', tagKey] }));
        expect(parsed.measurement).toBe(lineSafe(`m${name}`));
        const tags: Record<string, string> = { tenant: lineSafe(`t${tenant}`), series: 'sid' };
        if (lineSafe(value) !== '') {
          tags['service.name'] = lineSafe(value);
          tags[lineSafe(tagKey)] = lineSafe(value);
        }
        expect(parsed.tags).toEqual(tags);
        expect(parsed.fields.last).toBe(v + 0); // -0 is written as 0
        expect(parsed.fields.count).toBe(1);
        expect(parsed.timestamp).toBe(String(WINDOW.end));
      }),
      { numRuns: 2000 },
    );
  });

  it('lineSafe changes only what no escaping carries, and is idempotent', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const safe = lineSafe(s);
        expect(safe).toHaveLength(s.length);
        expect(lineSafe(safe)).toBe(safe);
        // eslint-disable-next-line no-control-regex
        expect(safe).not.toMatch(/[\u0000-\u001f\u007f]|\\(?=[\\, =]|$)/);
        for (let i = 0; i < s.length; i++) if (safe[i] !== s[i]) expect(safe[i]).toBe('_');
      }),
      { numRuns: 2000 },
    );
    expect(lineSafe('C:\\Program Files\\app')).toBe('C:\\Program Files\\app');
    expect(lineSafe('ends\\')).toBe('ends_');
    expect(lineSafe('a\\,b')).toBe('a_,b');
  });

  it('one field per aggregate, counts as integers, quantiles as p50…; series id and tenant as tags; time = window end', () => {
    const item = gauge('system.cpu', [str('service.name', 'api'), str('host.name', 'h1'), str('k8s.pod.name', 'p')], [str('cpu', '0')], [1, 2, 3, 4]);
    const text = line(item, tenantKey('acme', 'abc'));
    expect(text).toMatch(/^system\.cpu,host\.name=h1,series=abc,service\.name=api,tenant=acme count=4i,last=4,max=4,min=1,p50=[\d.]+,p90=[\d.]+,p95=[\d.]+,p99=[\d.]+,points=4i,sum=10,avg=2\.5 120000$|^system\.cpu,host\.name=h1,series=abc,service\.name=api,tenant=acme avg=2\.5,count=4i,last=4,max=4,min=1,p50=[\d.]+,p90=[\d.]+,p95=[\d.]+,p99=[\d.]+,points=4i,sum=10 120000$/);
    const noSeries = line(item, 'abc', { ...DEFAULT_INFLUX_TRANSLATION, seriesTag: false, tags: ['cpu'] });
    expect(noSeries.split(' ')[0]).toBe('system.cpu,cpu=0');
  });

  it('names quantile fields', () => {
    expect([0.5, 0.9, 0.95, 0.99, 0.999, 0.25, 1, 0].map(quantileField)).toEqual(['p50', 'p90', 'p95', 'p99', 'p99_9', 'p25', 'p100', 'p0']);
  });

  it('leaves out non-finite values (line protocol has no NaN or Inf) and writes nothing without a finite value', () => {
    const item = gauge('g', [], [], [Infinity]);
    const text = line(item, 'k');
    expect(text).not.toMatch(/last=|sum=|min=|max=|avg=/);
    expect(text).toMatch(/count=1i/);
  });

  it('refuses a partial without its window', () => {
    const { partial } = gauge('g', [], [], [1]);
    expect(() => rollupPoint({ partial }, 'k')).toThrow(/without its window/);
  });
});
