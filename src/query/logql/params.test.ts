import { describe, expect, it } from 'vitest';
import { QueryParameterError } from '../errors.ts';
import { parseInstantQueryParams, parseLabelParams, parseLokiDuration, parseLokiTime, parseQueryRangeParams } from './params.ts';

const NOW_MS = 1_700_000_000_000;
const NOW = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;
const p = (o: Record<string, string>) => new URLSearchParams(o);

function parameterOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof QueryParameterError) return e.parameter;
    throw e;
  }
  throw new Error('no error');
}

describe('Loki parameters', () => {
  it('parses times as Loki does', () => {
    expect(parseLokiTime('1700000000', 't')).toBe(NOW);
    expect(parseLokiTime('1700000000000000000', 't')).toBe(NOW);
    expect(parseLokiTime('1700000000.5', 't')).toBe(NOW + S / 2n);
    expect(parseLokiTime('1700000000.1234', 't')).toBe(NOW + 123_000_000n);
    expect(parseLokiTime('2023-11-14T22:13:20Z', 't')).toBe(NOW);
    expect(parseLokiTime('2023-11-14T23:13:20.000000001+01:00', 't')).toBe(NOW + 1n);
    for (const bad of ['', 'yesterday', '2023-02-30T00:00:00Z', '1e400', '99999999999999999999']) expect(parameterOf(() => parseLokiTime(bad, 'start'))).toBe('start');
  });

  it('parses durations as float seconds or Prometheus durations', () => {
    expect(parseLokiDuration('15', 'step')).toBe(15n * S);
    expect(parseLokiDuration('0.5', 'step')).toBe(S / 2n);
    expect(parseLokiDuration('1h30m', 'step')).toBe(5400n * S);
    expect(parseLokiDuration('1d', 'step')).toBe(86400n * S);
    expect(parseLokiDuration('250ms', 'step')).toBe(S / 4n);
    for (const bad of ['', '5 m', '1m1h', 'x']) expect(parameterOf(() => parseLokiDuration(bad, 'step'))).toBe('step');
  });

  it('applies the query_range defaults', () => {
    const r = parseQueryRangeParams(p({ query: '{a="b"}' }), NOW_MS);
    expect(r).toMatchObject({ start: NOW - 3600n * S, end: NOW, limit: 100, direction: 'backward', step: 14n * S });
    expect(parseQueryRangeParams(p({ query: '{a="b"}', since: '10m', end: String(NOW - 60n * S) }), NOW_MS)).toMatchObject({ start: NOW - 660n * S, end: NOW - 60n * S, step: 2n * S });
    expect(parseQueryRangeParams(p({ query: '{a="b"}', since: '10m', end: String(NOW + 3600n * S) }), NOW_MS).start).toBe(NOW - 600n * S);
    expect(parseQueryRangeParams(p({ query: '{a="b"}', start: String(NOW - 10n * S) }), NOW_MS).step).toBe(S);
    expect(parseQueryRangeParams(p({ query: '{a="b"}', direction: 'FORWARD', limit: '5' }), NOW_MS)).toMatchObject({ direction: 'forward', limit: 5 });
  });

  it('names the parameter at fault', () => {
    const table: [Record<string, string>, string][] = [
      [{}, 'query'],
      [{ query: '{a=}' }, 'query'],
      [{ query: '{a="b"}', limit: '0' }, 'limit'],
      [{ query: '{a="b"}', limit: '5001' }, 'limit'],
      [{ query: '{a="b"}', limit: 'ten' }, 'limit'],
      [{ query: '{a="b"}', direction: 'up' }, 'direction'],
      [{ query: '{a="b"}', start: 'x' }, 'start'],
      [{ query: '{a="b"}', end: 'x' }, 'end'],
      [{ query: '{a="b"}', start: '1700000010', end: '1700000000' }, 'end'],
      [{ query: '{a="b"}', since: '1 hour' }, 'since'],
      [{ query: '{a="b"}', step: '0' }, 'step'],
      [{ query: '{a="b"}', step: '-5s' }, 'step'],
      [{ query: '{a="b"}', step: '0.1' }, 'step'],
    ];
    for (const [params, parameter] of table) expect(parameterOf(() => parseQueryRangeParams(p(params), NOW_MS)), JSON.stringify(params)).toBe(parameter);
    expect(parameterOf(() => parseInstantQueryParams(p({ query: '{a="b"}' }), NOW_MS))).toBe('query');
    expect(parameterOf(() => parseInstantQueryParams(p({ query: 'rate({a="b"}[1m])', time: 'soon' }), NOW_MS))).toBe('time');
    expect(parameterOf(() => parseLabelParams(p({ query: '{a="b"} |= "x"' }), NOW_MS))).toBe('query');
  });

  it('instant and label defaults', () => {
    expect(parseInstantQueryParams(p({ query: 'rate({a="b"}[1m])' }), NOW_MS).time).toBe(NOW);
    expect(parseLabelParams(p({}), NOW_MS)).toEqual({ start: NOW - 6n * 3600n * S, end: NOW });
  });
});
