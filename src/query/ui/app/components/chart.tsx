// A uPlot chart that follows its container's width and the theme's colours. uPlot: small, fast, and it draws
// bands between series (min/max) natively.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import uPlot from 'uplot';

export interface ChartProps {
  /** uPlot's aligned data: x (unix seconds) then one array per series. */
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  bands?: uPlot.Band[];
  height?: number;
  /** Bars instead of lines (histograms), stacked by the caller. */
  bars?: boolean;
  title?: string;
  /** A label for tests and screen readers. */
  label: string;
}

/** The colours the theme's CSS variables give, for uPlot's canvas. */
export function themeColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** The current theme ('light' | 'dark'), re-rendering the caller when the user switches it (main.tsx's event). */
export function useTheme(): string {
  const [theme, setTheme] = useState(document.documentElement.dataset.theme ?? 'light');
  useEffect(() => {
    const onChange = () => setTheme(document.documentElement.dataset.theme ?? 'light');
    addEventListener('otlp-theme', onChange);
    return () => removeEventListener('otlp-theme', onChange);
  }, []);
  return theme;
}

export function Chart({ data, series, bands, height = 220, bars, title, label }: ChartProps): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const theme = useTheme();
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = { stroke: themeColor('--fg-muted'), grid: { stroke: themeColor('--grid') }, ticks: { stroke: themeColor('--grid') } };
    // The y axis as wide as its longest label (uPlot's fixed default cuts "10,000" to "0,000").
    const yAxis = {
      ...axis,
      size: (_u: uPlot, values: string[] | null) => 16 + 7 * Math.max(3, ...(values ?? []).map((v) => String(v).length)),
    };
    const paths = bars ? uPlot.paths.bars?.({ size: [0.8, 40] }) : undefined;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      title,
      series: [{}, ...series.map((s) => ({ ...(paths ? { paths, fill: s.stroke } : {}), ...s }))],
      bands,
      axes: [axis, yAxis],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data, series, bands, height, bars, title, theme]);
  return <div class="chart" ref={box} role="img" aria-label={label} />;
}
