import { describe, expect, it } from 'vitest';
import { chartSpec, lastPoint, mainValue, scaleOf, varyingLabels, type MetricAnswer, type MetricPoint } from './chartData.ts';

const point = (t: number, over: Partial<MetricPoint> = {}): MetricPoint => ({ t, min: 1, max: 3, avg: 2, last: 2, count: 2, sum: 4, rate: null, increase: null, quantiles: {}, ...over });
const palette = { line: '#00f', band: '#888888', quantiles: ['#f00', '#0f0'], lines: ['#111', '#222'] };
const answer = (series: MetricAnswer['series']): MetricAnswer => ({ name: 'm', level: '1m', stepMs: 60_000, type: 'gauge', unit: '1', series, truncated: false });

describe('chartSpec', () => {
  it('draws one series as a min–max band, the avg and its quantiles', () => {
    const spec = chartSpec(answer([{ series: 'a', labels: {}, points: [point(60_000, { quantiles: { '0.9': 2.8, '0.5': 2 } }), point(120_000, { avg: 2.5 })] }]), palette);
    expect(spec.data).toEqual([[60, 120], [3, 3], [1, 1], [2, 2.5], [2, null], [2.8, null]]);
    expect(spec.series.map((s) => s.label)).toEqual(['max', 'min', 'avg', 'p50', 'p90']);
    expect(spec.bands).toEqual([{ series: [1, 2], fill: '#88888833' }]);
  });
  it('draws several series as one line each, aligned on the union of their windows', () => {
    const spec = chartSpec(answer([
      { series: 'a', labels: { host: 'h1', app: 'x' }, points: [point(60_000)] },
      { series: 'b', labels: { host: 'h2', app: 'x' }, points: [point(120_000, { avg: null, rate: 5 })] },
    ]), palette);
    expect(spec.data).toEqual([[60, 120], [null, 5], [2, null]]);
    expect(spec.series.map((s) => s.label)).toEqual(['h2', 'h1']);
    expect(spec.bands).toEqual([]);
    expect(spec.drawn).toBe(2);
  });
  it('draws the series with the highest peaks when there are too many', () => {
    const series = [1, 5, 3].map((v, i) => ({ series: `s${i}`, labels: { i: String(i) }, points: [point(0, { avg: v })] }));
    const spec = chartSpec(answer(series), palette, 1, 2);
    expect(spec.series.map((s) => s.label)).toEqual(['1', '2']);
    expect(spec.drawn).toBe(2);
  });
});

describe('scaleOf', () => {
  it('takes the power of 1000 that keeps axis numbers under 10,000', () => {
    expect(scaleOf(answer([{ series: 'a', labels: {}, points: [point(0, { max: 196_378_384 })] }]))).toEqual({ factor: 1e6, prefix: 'M' });
    expect(scaleOf(answer([{ series: 'a', labels: {}, points: [point(0, { max: 9_999 })] }]))).toEqual({ factor: 1, prefix: '' });
    expect(scaleOf(answer([{ series: 'a', labels: {}, points: [point(0, { min: -25_000 })] }]))).toEqual({ factor: 1e3, prefix: 'K' });
    const spec = chartSpec(answer([{ series: 'a', labels: {}, points: [point(60_000, { min: 1000, max: 3000, avg: 2000 })] }]), palette, 1000);
    expect(spec.data).toEqual([[60], [3], [1], [2]]);
  });
});

describe('helpers', () => {
  it('main value: avg, else rate, else last', () => {
    expect(mainValue(point(0))).toBe(2);
    expect(mainValue(point(0, { avg: null, rate: 4 }))).toBe(4);
    expect(mainValue(point(0, { avg: null, last: 7 }))).toBe(7);
  });
  it('varying labels and the last point', () => {
    const series = [{ series: 'a', labels: { a: '1', b: 'x' }, points: [] }, { series: 'b', labels: { a: '2', b: 'x' }, points: [point(5), point(9)] }];
    expect(varyingLabels(series)).toEqual(['a']);
    expect(varyingLabels(series.slice(0, 1))).toEqual(['a', 'b']);
    expect(lastPoint(answer(series))?.point.t).toBe(9);
    expect(lastPoint(answer([]))).toBeUndefined();
  });
});
