// The metrics view: pick a metric by name and labels, chart it from the rollup level that fits the time range
// (the service chooses; `level` overrides) with the min–max band, the average and quantile lines, and a table of
// the series shown. State lives in the route: name, match (JSON of label picks), range or start/end, level.
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson } from '../api.ts';
import { Chart, themeColor, useTheme } from '../components/chart.tsx';
import { resolveRange, TimeRangePicker } from '../components/timeRange.tsx';
import { formatNumber, formatTime } from '../format.ts';
import { chartSpec, lastPoint, mainField, mainValue, scaleOf, varyingLabels, type MetricAnswer } from '../metrics/chartData.ts';
import { NameBox } from '../metrics/nameBox.tsx';
import { navigate, type ViewProps } from '../router.ts';

interface LabelsAnswer {
  name: string;
  series: number;
  labels: Array<{ name: string; values: Array<{ value: string; series: number }>; truncated: boolean }>;
}

const LEVELS = ['1m', '5m', '1h', '1d'];

function parseMatch(raw: string | null): Record<string, string> {
  try {
    const v = JSON.parse(raw ?? '{}') as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function stepText(ms: number): string {
  return ms >= 86_400_000 ? `${ms / 86_400_000} d` : ms >= 3_600_000 ? `${ms / 3_600_000} h` : `${ms / 60_000} min`;
}

export function MetricsView({ params }: ViewProps): JSX.Element {
  const name = params.get('name') ?? '';
  const matchRaw = params.get('match') ?? '';
  const match = useMemo(() => parseMatch(matchRaw), [matchRaw]);
  const level = params.get('level') ?? '';
  const { startMs, endMs } = resolveRange(params);
  const [labels, setLabels] = useState<LabelsAnswer | null>(null);
  const [answer, setAnswer] = useState<MetricAnswer | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const theme = useTheme();

  const update = (changes: Record<string, string | undefined>) => {
    const next: Record<string, string | undefined> = Object.fromEntries(params.entries());
    navigate('metrics', { ...next, ...changes });
  };

  useEffect(() => {
    setLabels(null);
    if (name === '') return;
    let stale = false;
    getJson<LabelsAnswer>('/api/metrics/labels', { name })
      .then((r) => {
        if (!stale) setLabels(r);
      })
      .catch((err: unknown) => {
        if (!stale) setError((err as Error).message);
      });
    return () => {
      stale = true;
    };
  }, [name]);

  useEffect(() => {
    setAnswer(null);
    if (name === '') return;
    let stale = false;
    setLoading(true);
    setError('');
    getJson<MetricAnswer>('/api/metrics/query', { name, match: matchRaw || undefined, start: startMs, end: endMs, level: level || undefined })
      .then((r) => {
        if (!stale) setAnswer(r);
      })
      .catch((err: unknown) => {
        if (!stale) setError((err as Error).message);
      })
      .finally(() => {
        if (!stale) setLoading(false);
      });
    return () => {
      stale = true;
    };
    // startMs/endMs change with `now` for presets: the route's text is what matters.
  }, [name, matchRaw, level, params.get('range'), params.get('start'), params.get('end')]);

  const scale = useMemo(() => (answer ? scaleOf(answer) : { factor: 1, prefix: '' }), [answer]);
  const spec = useMemo(() => {
    if (!answer || answer.series.length === 0) return null;
    const palette = {
      line: themeColor('--accent'),
      band: themeColor('--fg-muted'),
      quantiles: [themeColor('--ok'), themeColor('--warn'), themeColor('--critical'), themeColor('--error'), themeColor('--sev-fatal')],
      lines: [themeColor('--accent'), themeColor('--ok'), themeColor('--warn'), themeColor('--critical'), themeColor('--sev-fatal'), themeColor('--sev-debug'), themeColor('--error')],
    };
    return chartSpec(answer, palette, scale.factor);
  }, [answer, theme, scale]);

  const last = answer ? lastPoint(answer) : undefined;
  const lastValue = last ? mainValue(last.point) : null;
  const shownLabels = answer ? varyingLabels(answer.series) : [];

  const pickLabel = (label: string, value: string) => {
    const next = { ...match };
    if (value === '') delete next[label];
    else next[label] = value;
    update({ match: Object.keys(next).length > 0 ? JSON.stringify(next) : undefined });
  };

  return (
    <section class="view metrics-view" data-view="metrics">
      <div class="toolbar">
        <NameBox value={name} onPick={(n) => update({ name: n, match: undefined })} onError={setError} />
        <TimeRangePicker params={params} onChange={(r) => update(r)} />
        <label class="muted">
          level{' '}
          <select value={level} onChange={(e) => update({ level: (e.target as HTMLSelectElement).value || undefined })} data-testid="metric-level-select">
            <option value="">auto</option>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
      </div>

      {labels && labels.labels.length > 0 && (
        <div class="label-pickers" role="group" aria-label="labels">
          {labels.labels.map((l) => (
            <label key={l.name} class="label-picker">
              <span class="muted mono">{l.name}</span>
              <select data-label={l.name} value={match[l.name] ?? ''} onChange={(e) => pickLabel(l.name, (e.target as HTMLSelectElement).value)}>
                <option value="">any ({l.values.length})</option>
                {l.values.map((v) => (
                  <option key={v.value} value={v.value}>
                    {v.value} ({v.series})
                  </option>
                ))}
              </select>
            </label>
          ))}
        </div>
      )}

      {error && (
        <div class="error-box" role="alert">
          {error}
        </div>
      )}

      {name === '' && <div class="empty">Type a metric name above (for example “memory” or “rpc”) and pick it from the suggestions; then narrow it down by labels.</div>}
      {name !== '' && loading && !answer && <div class="empty">loading…</div>}
      {answer && answer.series.length === 0 && (
        <div class="empty">
          No windows of <code>{name}</code> {Object.keys(match).length > 0 ? 'with these labels ' : ''}in this range at level {answer.level}. Try a longer range, another level, or fewer labels.
        </div>
      )}

      {answer && answer.series.length > 0 && (
        <>
          <div class="metric-summary">
            <span>
              level <strong data-testid="metric-level">{answer.level}</strong> · step {stepText(answer.stepMs)} · {answer.series.length} series
              {answer.truncated ? ' (more matched: pick labels)' : ''}
              {spec && spec.drawn < answer.series.length ? ` · chart: the ${spec.drawn} highest` : ''}
              {answer.unit ? ` · unit ${answer.unit}` : ''}
              {scale.factor !== 1 ? ` · chart in ${scale.prefix} (×${formatNumber(scale.factor)})` : ''}
            </span>
            {last && answer.series.length === 1 && (
              <span class="metric-last-box">
                last {mainField(last.series.points)} ({formatTime(last.point.t)}):{' '}
                <strong data-testid="metric-last">{lastValue === null ? '–' : formatNumber(lastValue)}</strong>
              </span>
            )}
            {answer.series.length > 1 && <span>pick labels down to one series for its band and quantiles</span>}
          </div>
          <div class="panel">
            {spec && <Chart data={spec.data} series={spec.series} bands={spec.bands} height={320} label={`${name} over time`} />}
          </div>
          <h2>Series</h2>
          <table class="grid" data-testid="metric-series">
            <thead>
              <tr>
                <th>{answer.series.length > 1 ? 'labels that differ' : 'labels'}</th>
                <th class="num">windows</th>
                <th class="num">last {answer.series[0] ? mainField(answer.series[0].points) : ''}</th>
                <th class="num">min</th>
                <th class="num">max</th>
              </tr>
            </thead>
            <tbody>
              {answer.series.map((s) => {
                const p = s.points[s.points.length - 1];
                const mins = s.points.map((x) => x.min).filter((v): v is number => v !== null);
                const maxs = s.points.map((x) => x.max).filter((v): v is number => v !== null);
                const v = p ? mainValue(p) : null;
                return (
                  <tr key={s.series} data-testid={`series-${s.series}`}>
                    <td class="series-labels">
                      {shownLabels.map((l) => (
                        <span key={l} class="label-chip mono">
                          {l}={s.labels[l] ?? ''}
                        </span>
                      ))}
                    </td>
                    <td class="num">{s.points.length}</td>
                    <td class="num">{v === null ? '–' : formatNumber(v)}</td>
                    <td class="num">{mins.length ? formatNumber(Math.min(...mins)) : '–'}</td>
                    <td class="num">{maxs.length ? formatNumber(Math.max(...maxs)) : '–'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
