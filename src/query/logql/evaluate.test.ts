import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogRow } from '../../logs/model.ts';
import type { LogQuery, MetricQuery } from './ast.ts';
import { formatSampleValue, rowNanos, runInstantQuery, runLogQuery, runRangeQuery, secondsOf, selectorMatcher, lineMatcher } from './evaluate.ts';
import { formatLabels, streamLabels } from './labels.ts';
import { parseLogQL } from './parse.ts';

const BASE_MS = 1_700_000_000_000;
const S = 1_000_000_000n;
const base = BigInt(BASE_MS) * 1_000_000n;

function row(offsetMs: number, service: string, severityNumber: number, body: string, nanos = 0): LogRow {
  return {
    timeMs: BASE_MS + offsetMs, timeNanos: nanos, severityNumber, severityText: '', body, traceId: '', spanId: '', service,
    resource: [['service.name', service], ['host.name', 'h1']], attributes: [],
  };
}

const log = (text: string) => parseLogQL(text) as LogQuery;
const metric = (text: string) => parseLogQL(text) as MetricQuery;

describe('streamLabels', () => {
  it('sanitizes resource keys and adds the level', () => {
    const r: LogRow = { ...row(0, 'api', 17, 'x'), resource: [['service.name', 'api'], ['k8s.pod-name', 'p'], ['1st', 'v'], ['empty', ''], ['service_name', 'dup'], ['level', 'ignored']] };
    expect(streamLabels(r)).toEqual({ service_name: 'api', k8s_pod_name: 'p', _1st: 'v', level: 'error' });
    expect(formatLabels(streamLabels(r))).toBe('{_1st="v", k8s_pod_name="p", level="error", service_name="api"}');
    expect(streamLabels({ resource: [], severityNumber: 0 })).toEqual({ level: 'unknown' });
  });
});

describe('runLogQuery', () => {
  const rows = [
    row(0, 'api', 9, 'GET /a 200'),
    row(1000, 'api', 17, 'GET /b 500 error'),
    row(2000, 'web', 9, 'rendered page'),
    row(3000, 'api', 13, 'slow GET /c'),
    row(4000, 'api', 9, 'GET /d 200'),
  ];

  it('keeps start, drops end, newest first by default, grouped by stream', () => {
    const result = runLogQuery(log('{service_name="api"} |= "GET"'), rows, { start: base, end: base + 4n * S, limit: 100, direction: 'backward' });
    expect(result).toEqual([
      { stream: { service_name: 'api', host_name: 'h1', level: 'error' }, values: [[String(base + 1n * S), 'GET /b 500 error']] },
      { stream: { service_name: 'api', host_name: 'h1', level: 'info' }, values: [[String(base), 'GET /a 200']] },
      { stream: { service_name: 'api', host_name: 'h1', level: 'warn' }, values: [[String(base + 3n * S), 'slow GET /c']] },
    ]);
  });

  it('limits to the newest (backward) or oldest (forward)', () => {
    const q = log('{host_name="h1"}');
    const opts = { start: base, end: base + 10n * S, limit: 2 };
    const times = (r: ReturnType<typeof runLogQuery>) => r.flatMap((s) => s.values.map(([t]) => t)).sort();
    expect(times(runLogQuery(q, rows, { ...opts, direction: 'backward' }))).toEqual([String(base + 3n * S), String(base + 4n * S)]);
    expect(times(runLogQuery(q, rows, { ...opts, direction: 'forward' }))).toEqual([String(base), String(base + 1n * S)]);
  });

  it('applies regex and negative filters', () => {
    const result = runLogQuery(log('{service_name=~"api|web"} |~ "[0-9]{3}$" != "500"'), rows, { start: base, end: base + 10n * S, limit: 10, direction: 'forward' });
    expect(result.flatMap((s) => s.values.map(([, l]) => l))).toEqual(['GET /a 200', 'GET /d 200']);
  });
});

describe('runRangeQuery / runInstantQuery', () => {
  const rows = [row(0, 'api', 9, 'a'), row(1000, 'api', 9, 'bb'), row(1500, 'api', 17, 'ccc'), row(5000, 'web', 9, 'dddd'), row(9000, 'api', 9, 'e')];
  const grid = { start: base, end: base + 10n * S, step: 5n * S };
  const t0 = BASE_MS / 1000;

  it('counts rows in (t − range, t] at each step, leaving out empty steps', () => {
    expect(runRangeQuery(metric('count_over_time({host_name="h1"}[5s])'), rows, grid)).toEqual([
      { metric: { service_name: 'api', host_name: 'h1', level: 'error' }, values: [[t0 + 5, '1']] },
      { metric: { service_name: 'api', host_name: 'h1', level: 'info' }, values: [[t0, '1'], [t0 + 5, '1'], [t0 + 10, '1']] },
      { metric: { service_name: 'web', host_name: 'h1', level: 'info' }, values: [[t0 + 5, '1']] },
    ]);
  });

  it('rates, bytes and vector aggregations', () => {
    expect(runRangeQuery(metric('sum(rate({host_name="h1"}[10s]))'), rows, grid)).toEqual([
      { metric: {}, values: [[t0, '0.1'], [t0 + 5, '0.4'], [t0 + 10, '0.4']] },
    ]);
    expect(runRangeQuery(metric('sum by (service_name) (bytes_over_time({host_name="h1"}[10s]))'), rows, grid)).toEqual([
      { metric: { service_name: 'api' }, values: [[t0, '1'], [t0 + 5, '6'], [t0 + 10, '6']] },
      { metric: { service_name: 'web' }, values: [[t0 + 5, '4'], [t0 + 10, '4']] },
    ]);
    expect(runRangeQuery(metric('count without (level, host_name) (count_over_time({host_name="h1"}[10s]))'), rows, grid)).toEqual([
      { metric: { service_name: 'api' }, values: [[t0, '1'], [t0 + 5, '2'], [t0 + 10, '2']] },
      { metric: { service_name: 'web' }, values: [[t0 + 5, '1'], [t0 + 10, '1']] },
    ]);
    const at5 = (text: string) => runRangeQuery(metric(text), rows, { ...grid, start: base + 5n * S, end: base + 5n * S })[0].values[0][1];
    expect(at5('max(count_over_time({host_name="h1"}[10s]))')).toBe('2');
    expect(at5('min(count_over_time({host_name="h1"}[10s]))')).toBe('1');
    expect(at5('avg(count_over_time({host_name="h1"}[10s]))')).toBe('1.3333333333333333');
  });

  it('answers an instant query as a vector', () => {
    expect(runInstantQuery(metric('sum by (level) (count_over_time({service_name="api"}[10s]))'), rows, { time: base + 9n * S })).toEqual([
      { metric: { level: 'error' }, value: [t0 + 9, '1'] },
      { metric: { level: 'info' }, value: [t0 + 9, '3'] },
    ]);
  });

  it('caps the number of series', () => {
    expect(() => runRangeQuery(metric('count_over_time({host_name="h1"}[5s])'), rows, { ...grid, maxSeries: 2 })).toThrow(/more than 2 series/);
  });
});

describe('formatting', () => {
  it('writes values as Go FormatFloat(f, -1) and times as seconds with ms', () => {
    expect([1, 0.5, 1 / 3, 1e21, 1.5e-7, -2.5e-8, 123456789012345680000].map(formatSampleValue)).toEqual([
      '1', '0.5', '0.3333333333333333', '1000000000000000000000', '0.00000015', '-0.000000025', '123456789012345680000',
    ]);
    expect(formatSampleValue(NaN)).toBe('NaN');
    expect(formatSampleValue(Infinity)).toBe('+Inf');
    expect(secondsOf(1_700_000_000_123_456_789n)).toBe(1_700_000_000.123);
  });
});

// ---- oracles ----

const services = ['api', 'web', 'db'];
const words = ['GET', 'POST', 'error', 'timeout', 'ok', 'é', '200', '500'];
const rowArb = fc.record({
  offsetMs: fc.integer({ min: -30_000, max: 90_000 }),
  nanos: fc.integer({ min: 0, max: 999_999 }),
  service: fc.constantFrom(...services),
  severity: fc.constantFrom(0, 5, 9, 13, 17, 21),
  body: fc.array(fc.constantFrom(...words), { maxLength: 4 }).map((w) => w.join(' ')),
}).map((r) => row(r.offsetMs, r.service, r.severity, r.body, r.nanos));

const selectorArb = fc.constantFrom('{host_name="h1"}', '{service_name="api"}', '{service_name=~"api|db"}', '{service_name!="web", level=~".+"}', '{level="info"}', '{level!~"info|warn", host_name="h1"}');
const filterArb = fc.array(fc.constantFrom('|= "GET"', '!= "error"', '|~ "[0-9]+"', '!~ "^ok"', '|= "é"', '|= ""'), { maxLength: 2 }).map((f) => f.join(' '));

function bruteMatches(q: LogQuery, r: LogRow): boolean {
  return selectorMatcher(q)(streamLabels(r)) && lineMatcher(q)(r.body);
}

describe('oracle', () => {
  it('runLogQuery returns exactly the filtered, ordered, limited rows', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 60 }), selectorArb, filterArb, fc.integer({ min: 1, max: 20 }), fc.constantFrom('forward', 'backward') as fc.Arbitrary<'forward' | 'backward'>, fc.integer({ min: -10, max: 40 }), fc.integer({ min: 0, max: 60 }),
        (rows, sel, filters, limit, direction, startS, lengthS) => {
          const q = log(`${sel} ${filters}`);
          const start = base + BigInt(startS) * S;
          const end = start + BigInt(lengthS) * S;
          const got = runLogQuery(q, rows, { start, end, limit, direction });
          const key = (r: LogRow) => formatLabels(streamLabels(r));
          const expected = rows
            .filter((r) => rowNanos(r) >= start && rowNanos(r) < end && bruteMatches(q, r))
            .sort((a, b) => {
              const d = rowNanos(a) < rowNanos(b) ? -1 : rowNanos(a) > rowNanos(b) ? 1 : key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.body < b.body ? -1 : a.body > b.body ? 1 : 0;
              return direction === 'forward' ? d : -d;
            })
            .slice(0, limit);
          const flat = got.flatMap((s) => s.values.map(([t, line]) => ({ key: formatLabels(s.stream), t, line })));
          expect(flat.length).toBe(expected.length);
          expect(new Set(flat.map((e) => `${e.key} ${e.t} ${e.line}`))).toEqual(new Set(expected.map((r) => `${key(r)} ${rowNanos(r)} ${r.body}`)));
          for (const s of got) {
            const ts = s.values.map(([t]) => BigInt(t));
            for (let i = 1; i < ts.length; i++) expect(direction === 'forward' ? ts[i - 1] <= ts[i] : ts[i - 1] >= ts[i]).toBe(true);
          }
          const keys = got.map((s) => formatLabels(s.stream));
          expect(keys).toEqual([...keys].sort());
        }),
      { numRuns: 300 },
    );
  });

  it('count_over_time at every step equals a brute-force count per stream, and over a tiling grid sums to all rows', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 60 }), selectorArb, filterArb, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: -5, max: 30 }),
        (rows, sel, filters, stepS, rangeS, steps, startS) => {
          const q = metric(`count_over_time(${sel} ${filters} [${rangeS}s])`);
          const inner = q.kind === 'range' ? q.query : undefined!;
          const start = base + BigInt(startS) * S + 123n;
          const step = BigInt(stepS) * S;
          const end = start + BigInt(steps) * step + (step > 1n ? step / 2n : 0n);
          const got = runRangeQuery(q, rows, { start, end, step });
          const range = BigInt(rangeS) * S;
          const expected = new Map<string, [number, string][]>();
          for (let t = start; t <= end; t += step) {
            const counts = new Map<string, number>();
            for (const r of rows) {
              const ns = rowNanos(r);
              if (ns > t - range && ns <= t && bruteMatches(inner, r)) counts.set(formatLabels(streamLabels(r)), (counts.get(formatLabels(streamLabels(r))) ?? 0) + 1);
            }
            for (const [k, n] of counts) {
              if (!expected.has(k)) expected.set(k, []);
              expected.get(k)!.push([secondsOf(t), String(n)]);
            }
          }
          expect(new Map(got.map((s) => [formatLabels(s.metric), s.values]))).toEqual(expected);

          // range = step tiles (start − step, last step]: every matching row is counted once.
          const tiled = runRangeQuery(metric(`sum(count_over_time(${sel} ${filters} [${stepS}s]))`), rows, { start, end, step });
          const total = tiled.flatMap((s) => s.values).reduce((n, [, v]) => n + Number(v), 0);
          const last = start + BigInt(steps) * step;
          expect(total).toBe(rows.filter((r) => rowNanos(r) > start - step && rowNanos(r) <= last && bruteMatches(inner, r)).length);
        }),
      { numRuns: 200 },
    );
  });
});
