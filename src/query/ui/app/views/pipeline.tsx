// Pipeline health: one row per topology process — ready or restoring, consumer lag, throughput, late and
// dead-lettered records, each sink's state — from the processes' own /metrics (GET /api/pipeline), refreshed every
// few seconds, with the records-in rate of the last minutes as a chart.
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import type { PipelineSnapshot, ProcessHealth, SinkHealth } from '../../../answers.ts';
import { getJson } from '../api.ts';
import { Chart, themeColor, useTheme } from '../components/chart.tsx';
import { formatNumber, formatRate } from '../format.ts';
import type { ViewProps } from '../router.ts';

/** The answer of /api/pipeline: the snapshot, or a note when the service watches no process. */
type Snapshot = PipelineSnapshot & { note?: string };

const SINK_BADGE: Record<SinkHealth['state'], string> = { healthy: 'ok', paused: 'warn', 'half-open': 'warn', 'circuit open': 'error' };

function State({ p }: { p: ProcessHealth }): JSX.Element {
  if (!p.up) return <span class="badge error" data-testid="state" title={p.error}>down</span>;
  if (p.restore.total > 0) return <span class="badge warn" data-testid="state">restoring {Math.floor((100 * p.restore.read) / p.restore.total)} %</span>;
  if (!p.ready) return <span class="badge warn" data-testid="state" title={p.readyReason}>not ready</span>;
  return <span class="badge ok" data-testid="state">ready</span>;
}

/** Seconds the stream time is behind the wall clock, as text. */
function behind(p: ProcessHealth, nowMs: number): string {
  if (p.streamTimeSeconds === undefined) return '—';
  const s = Math.max(0, nowMs / 1000 - p.streamTimeSeconds);
  return s < 120 ? `${s.toFixed(0)} s` : s < 7200 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`;
}

const PALETTE = ['--accent', '--ok', '--warn', '--critical', '--sev-fatal', '--sev-debug', '--error', '--sev-info'];

function throughputChart(processes: ProcessHealth[]): { data: uPlot.AlignedData; series: uPlot.Series[] } {
  const times = [...new Set(processes.flatMap((p) => p.history.map(([t]) => t)))].sort((a, b) => a - b);
  const data: uPlot.AlignedData = [
    times,
    ...processes.map((p) => {
      const at = new Map(p.history);
      return times.map((t) => at.get(t) ?? null);
    }),
  ];
  const series = processes.map((p, i) => ({ label: p.name, stroke: themeColor(PALETTE[i % PALETTE.length]), width: 1.5, spanGaps: true }));
  return { data, series };
}

export function PipelineView(_props: ViewProps): JSX.Element {
  const [snapshot, setSnapshot] = useState<Snapshot | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const s = await getJson<Snapshot>('/api/pipeline', {}, abort.signal);
        setSnapshot(s);
        setError(undefined);
        timer = setTimeout(load, Math.max(2000, s.intervalMs || 5000));
      } catch (err) {
        if (abort.signal.aborted) return;
        setError((err as Error).message);
        timer = setTimeout(load, 5000);
      }
    };
    void load();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, []);
  const theme = useTheme();
  const chart = useMemo(() => (snapshot ? throughputChart(snapshot.processes) : undefined), [snapshot, theme]);
  return (
    <section class="view" data-view="pipeline">
      <h1>Pipeline health</h1>
      {error && <div class="error-box">{error}</div>}
      {!snapshot && !error && <div class="empty">Reading the processes' metrics…</div>}
      {snapshot?.note && <div class="empty">{snapshot.note}</div>}
      {snapshot && snapshot.processes.length > 0 && (
        <>
          <p class="muted">
            {snapshot.processes.length} processes, read {new Date(snapshot.scrapedAtMs).toLocaleTimeString()} (every {snapshot.intervalMs / 1000} s). Rates need two reads.
          </p>
          <table class="grid" data-testid="pipeline-table">
            <thead>
              <tr>
                <th>topology</th>
                <th>state</th>
                <th class="num">partitions</th>
                <th class="num">consumer lag</th>
                <th class="num">in</th>
                <th class="num">out</th>
                <th class="num">records in</th>
                <th class="num">late</th>
                <th class="num">dead letters</th>
                <th class="num">stream time behind</th>
                <th>sinks</th>
              </tr>
            </thead>
            <tbody>
              {snapshot.processes.map((p) => (
                <tr key={p.name} data-testid={`process-${p.name}`}>
                  <td>
                    <a href={`${p.url}/metrics`} target="_blank" rel="noreferrer" title={p.url}>
                      {p.name}
                    </a>
                  </td>
                  <td>
                    <State p={p} />
                    {p.pausedPartitions > 0 && <span class="badge warn">{p.pausedPartitions} paused</span>}
                  </td>
                  <td class="num">{p.partitions}</td>
                  <td class="num" data-testid="lag">{formatNumber(p.lag)}</td>
                  <td class="num">{p.inPerSecond === undefined ? '—' : formatRate(p.inPerSecond)}</td>
                  <td class="num">{p.outPerSecond === undefined ? '—' : formatRate(p.outPerSecond)}</td>
                  <td class="num" data-testid="records-in">{formatNumber(p.recordsIn)}</td>
                  <td class="num">{formatNumber(p.late)}</td>
                  <td class="num">{formatNumber(p.deadLetters)}</td>
                  <td class="num">{behind(p, snapshot.scrapedAtMs)}</td>
                  <td>
                    {p.sinks.length === 0 && <span class="muted">—</span>}
                    {p.sinks.map((s) => (
                      <span key={s.sink} class={`badge ${SINK_BADGE[s.state]}`} data-testid={`sink-${s.sink}`} title={`${formatNumber(s.rowsTotal)} rows, ${s.consecutiveFailures} failures in a row, ${s.deadLetters} dead letters`}>
                        {s.sink}: {s.state}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Records in per second</h2>
          {chart && chart.data[0].length > 1 ? <Chart data={chart.data} series={chart.series} label="records in per second by topology" height={200} /> : <div class="empty">The chart starts after two reads.</div>}
        </>
      )}
    </section>
  );
}
