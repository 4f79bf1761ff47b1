// The metric answer as uPlot data: one series alone gets its min–max band, avg line and quantile lines; several
// series get one line each (their main value). Pure, so it is unit-tested without a browser.
import type uPlot from 'uplot';
import type { ChartPoint } from '../../../answers.ts';

export type MetricPoint = ChartPoint;

export interface MetricSeries {
  series: string;
  labels: Record<string, string>;
  points: MetricPoint[];
}

export interface MetricAnswer {
  name: string;
  level: string;
  stepMs: number;
  type: string | null;
  unit: string | null;
  series: MetricSeries[];
  truncated: boolean;
}

/** What a point's line shows: the average where there is one, else the rate (sums), else the last value. */
export function mainValue(p: MetricPoint): number | null {
  return p.avg ?? p.rate ?? p.last ?? p.sum;
}

/** The name of what mainValue shows for a series (its first point that has one). */
export function mainField(points: readonly MetricPoint[]): 'avg' | 'rate' | 'last' | 'sum' {
  for (const p of points) {
    if (p.avg !== null) return 'avg';
    if (p.rate !== null) return 'rate';
    if (p.last !== null) return 'last';
    if (p.sum !== null) return 'sum';
  }
  return 'avg';
}

/** Labels whose values differ between the series (what tells them apart); all labels when there is one series. */
export function varyingLabels(series: readonly MetricSeries[]): string[] {
  const names = [...new Set(series.flatMap((s) => Object.keys(s.labels)))].sort();
  if (series.length <= 1) return names;
  return names.filter((n) => new Set(series.map((s) => s.labels[n] ?? '')).size > 1);
}

export interface Palette {
  line: string;
  band: string;
  quantiles: string[];
  lines: string[];
}

/**
 * A power of 1000 that brings the largest magnitude shown under 10,000, so the y axis reads "196" (M) rather than a
 * clipped "196,378,384"; the view says the factor beside the unit.
 */
export function scaleOf(answer: MetricAnswer): { factor: number; prefix: string } {
  let largest = 0;
  for (const s of answer.series) {
    for (const p of s.points) {
      for (const v of [p.max, p.min, mainValue(p), ...Object.values(p.quantiles)]) if (v !== null && Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
    }
  }
  const prefixes = ['', 'K', 'M', 'G', 'T', 'P'];
  let i = 0;
  while (i < prefixes.length - 1 && largest / 1000 ** i >= 10_000) i++;
  return { factor: 1000 ** i, prefix: prefixes[i] };
}

export interface ChartSpec {
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  bands: uPlot.Band[];
  /** Series drawn (several series: the `maxLines` with the highest peaks; the table lists them all). */
  drawn: number;
}

/** Lines a chart of several series draws at most: beyond, neither the lines nor the legend read. */
export const MAX_LINES = 8;

/** uPlot data and series; values divided by `factor` (scaleOf). */
export function chartSpec(answer: MetricAnswer, palette: Palette, factor = 1, maxLines = MAX_LINES): ChartSpec {
  const times = [...new Set(answer.series.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
  const x = times.map((t) => t / 1000);
  const column = (s: MetricSeries, value: (p: MetricPoint) => number | null) => {
    const at = new Map(s.points.map((p) => {
      const v = value(p);
      return [p.t, v === null ? null : v / factor];
    }));
    return times.map((t) => at.get(t) ?? null);
  };
  if (answer.series.length === 1) {
    const s = answer.series[0];
    const field = mainField(s.points);
    const hasBand = s.points.some((p) => p.min !== null && p.max !== null);
    const quantiles = [...new Set(s.points.flatMap((p) => Object.keys(p.quantiles)))].sort((a, b) => Number(a) - Number(b));
    const series: uPlot.Series[] = [];
    const data: Array<Array<number | null>> = [];
    if (hasBand) {
      series.push({ label: 'max', stroke: palette.band, width: 1 }, { label: 'min', stroke: palette.band, width: 1 });
      data.push(column(s, (p) => p.max), column(s, (p) => p.min));
    }
    series.push({ label: field, stroke: palette.line, width: 2 });
    data.push(column(s, mainValue));
    quantiles.forEach((q, i) => {
      series.push({ label: `p${Number(q) * 100}`, stroke: palette.quantiles[i % palette.quantiles.length], width: 1, dash: [4, 3] });
      data.push(column(s, (p) => p.quantiles[q] ?? null));
    });
    const bands: uPlot.Band[] = hasBand ? [{ series: [1, 2], fill: `${palette.band}33` }] : [];
    return { data: [x, ...data] as uPlot.AlignedData, series, bands, drawn: 1 };
  }
  const shown = varyingLabels(answer.series);
  const peak = (s: MetricSeries) => Math.max(Number.NEGATIVE_INFINITY, ...s.points.map((p) => mainValue(p) ?? Number.NEGATIVE_INFINITY));
  const drawn = [...answer.series].sort((a, b) => peak(b) - peak(a)).slice(0, maxLines);
  const label = (s: MetricSeries) => {
    const text = shown.map((n) => s.labels[n] ?? '').join(' ') || s.series.slice(0, 8);
    return text.length > 48 ? `${text.slice(0, 47)}…` : text;
  };
  return {
    data: [x, ...drawn.map((s) => column(s, mainValue))] as uPlot.AlignedData,
    series: drawn.map((s, i) => ({ label: label(s), stroke: palette.lines[i % palette.lines.length], width: 1.5 })),
    bands: [],
    drawn: drawn.length,
  };
}

/** The last window of the first series that has one: what the "last" figure shows. */
export function lastPoint(answer: MetricAnswer): { series: MetricSeries; point: MetricPoint } | undefined {
  for (const s of answer.series) if (s.points.length > 0) return { series: s, point: s.points[s.points.length - 1] };
  return undefined;
}
