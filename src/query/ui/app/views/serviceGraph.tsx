// The service-graph view: services and the requests between them over a time range, from the service-graph
// rollups (traces_service_graph_* in PostgreSQL): the graph, and a table of edges with requests, rate, error rate
// and latency (server side; the client side for edges without one). A click on an edge or a row highlights it.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api.ts';
import { useTheme } from '../components/chart.tsx';
import { resolveRange, TimeRangePicker } from '../components/timeRange.tsx';
import { formatNanos, formatNumber, formatRate } from '../format.ts';
import { href, navigate, type ViewProps } from '../router.ts';
import { ServiceGraphCanvas, type GraphEdge, type GraphNode } from '../serviceGraph/graph.tsx';

interface GraphAnswer {
  startMs: number;
  endMs: number;
  level: string;
  stepMs: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const seconds = (s: number | null) => (s === null ? '–' : formatNanos(s * 1e9));

export function ServiceGraphView({ params }: ViewProps): JSX.Element {
  const { startMs, endMs } = resolveRange(params);
  const [answer, setAnswer] = useState<GraphAnswer | null>(null);
  const [error, setError] = useState('');
  const [selected, setSelected] = useState<string>('');
  const theme = useTheme();

  useEffect(() => {
    let stale = false;
    setError('');
    getJson<GraphAnswer>('/api/servicegraph', { start: startMs, end: endMs })
      .then((r) => {
        if (!stale) setAnswer(r);
      })
      .catch((err: unknown) => {
        if (!stale) setError((err as Error).message);
      });
    return () => {
      stale = true;
    };
  }, [params.get('range'), params.get('start'), params.get('end')]);

  const rangeParams = { range: params.get('range') ?? undefined, start: params.get('start') ?? undefined, end: params.get('end') ?? undefined };
  const update = (changes: Record<string, string | undefined>) => navigate('service-graph', { ...Object.fromEntries(params.entries()), ...changes });

  return (
    <section class="view service-graph-view" data-view="service-graph">
      <div class="toolbar">
        <h1 class="toolbar-title">Service graph</h1>
        <TimeRangePicker params={params} onChange={(r) => update(r)} />
        {answer && (
          <span class="muted" data-testid="graph-level">
            level {answer.level} · {answer.nodes.length} services · {answer.edges.length} edges
          </span>
        )}
      </div>
      {error && (
        <div class="error-box" role="alert">
          {error}
        </div>
      )}
      {!answer && !error && <div class="empty">loading…</div>}
      {answer && answer.edges.length === 0 && (
        <div class="empty">
          No requests between services in this range. The graph comes from the servicegraph topology through the 1m rollups into PostgreSQL
          (sink-postgres-*): send traces with client and server spans, wait a minute or two for the windows to close, or pick a longer range.
        </div>
      )}
      {answer && answer.edges.length > 0 && (
        <>
          <div class="panel graph-panel">
            <ServiceGraphCanvas nodes={answer.nodes} edges={answer.edges} theme={theme} selected={selected} onSelect={(e) => setSelected(e ? `${e.client}->${e.server}` : '')} />
          </div>
          <h2>Edges</h2>
          <table class="grid" data-testid="edges">
            <thead>
              <tr>
                <th>client</th>
                <th>server</th>
                <th class="num">requests</th>
                <th class="num">rate</th>
                <th class="num">failed</th>
                <th class="num">error rate</th>
                <th class="num">avg latency</th>
                <th class="num">p95 latency</th>
                <th>
                  <span class="visually-hidden">chart</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {answer.edges.map((e) => {
                const id = `${e.client}->${e.server}`;
                return (
                  <tr
                    key={id}
                    data-testid={`edge-${id}`}
                    class={selected === id ? 'selected' : undefined}
                    tabIndex={0}
                    aria-selected={selected === id}
                    onClick={() => setSelected(selected === id ? '' : id)}
                    onKeyDown={(ev) => {
                      if (ev.key === 'Enter' && ev.target === ev.currentTarget) setSelected(selected === id ? '' : id);
                    }}
                  >
                    <td class="mono">{e.client}</td>
                    <td class="mono">{e.server}</td>
                    <td class="num" data-testid="edge-requests">
                      {formatNumber(e.requests)}
                    </td>
                    <td class="num">{formatRate(e.ratePerSecond)}</td>
                    <td class="num">{formatNumber(e.failed)}</td>
                    <td class={`num${e.errorRate > 0.05 ? ' bad' : ''}`}>{formatNumber(e.errorRate * 100)}%</td>
                    <td class="num">{seconds(e.latencyAvgSeconds)}</td>
                    <td class="num">{seconds(e.latencyP95Seconds)}</td>
                    <td>
                      <a
                        href={href('metrics', { name: 'traces_service_graph_request_total', match: JSON.stringify({ client: e.client, server: e.server }), ...rangeParams })}
                        title="requests of this edge over time (one line per connection type and outcome)"
                        onClick={(ev) => ev.stopPropagation()}
                      >
                        chart
                      </a>
                    </td>
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
