// One trace: its summary, the waterfall with the critical path, the selected span's details, the critical path's
// pieces, self time per service and the trace's logs. The analysis (/api/traces/<id>/analysis) gives the tree and
// the path; the OTLP trace (/api/traces/<id>) the details; /api/logs/trace/<id> the logs.
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson } from '../api.ts';
import { formatNanos, formatNumber, formatTime } from '../format.ts';
import { href } from '../router.ts';
import { layoutTrace } from './layout.ts';
import { flattenTree, serviceHue, spansById, type Analysis, type FlatSpan, type LogEntry, type OtlpTraceJson, type SpanDetail, type TraceLogs } from './model.ts';
import { SpanDetails } from './spanDetails.tsx';
import { Waterfall } from './waterfall.tsx';

/** Steps of the critical path listed (a longer path says how many more). */
const PATH_SHOWN = 300;
/** Log records listed. */
const LOGS_SHOWN = 1_000;

type Loaded = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'done'; analysis: Analysis };
type DetailsState = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'done'; spans: Map<string, SpanDetail> };
type LogsState = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'done'; logs: TraceLogs };

interface Props {
  traceId: string;
  params: URLSearchParams;
  /** The search route to go back to. */
  backHref: string;
}

export function TraceView({ traceId, params, backHref }: Props): JSX.Element {
  const [state, setState] = useState<Loaded>({ kind: 'loading' });
  const [logs, setLogs] = useState<LogsState>({ kind: 'loading' });
  const [details, setDetails] = useState<DetailsState>({ kind: 'loading' });
  const [selected, setSelected] = useState<string | undefined>(params.get('span') ?? undefined);

  useEffect(() => {
    const ctl = new AbortController();
    const id = encodeURIComponent(traceId);
    setState({ kind: 'loading' });
    setLogs({ kind: 'loading' });
    setDetails({ kind: 'loading' });
    // The waterfall needs only the analysis; the span details (the OTLP trace) follow when they arrive.
    getJson<OtlpTraceJson>(`/api/traces/${id}`, {}, ctl.signal)
      .then((trace) => setDetails({ kind: 'done', spans: spansById(trace) }))
      .catch((err: unknown) => {
        if (!ctl.signal.aborted) setDetails({ kind: 'error', message: (err as Error).message });
      });
    getJson<Analysis>(`/api/traces/${id}/analysis`, {}, ctl.signal)
      .then((analysis) => setState({ kind: 'done', analysis }))
      .catch((err: unknown) => {
        if (!ctl.signal.aborted) setState({ kind: 'error', message: (err as Error).message });
      });
    getJson<TraceLogs>(`/api/logs/trace/${id}`, {}, ctl.signal)
      .then((l) => setLogs({ kind: 'done', logs: l }))
      .catch((err: unknown) => {
        if (!ctl.signal.aborted) setLogs({ kind: 'error', message: (err as Error).message });
      });
    return () => ctl.abort();
  }, [traceId]);

  const spanParam = params.get('span');
  useEffect(() => {
    if (spanParam) setSelected(spanParam);
  }, [spanParam]);

  const layout = useMemo(() => (state.kind === 'done' ? layoutTrace(flattenTree(state.analysis.tree), state.analysis.criticalPath) : undefined), [state]);

  const select = (spanId: string) => {
    setSelected(spanId);
    // The route follows the selection without a history entry per arrow key.
    history.replaceState(null, '', href('traces', { trace: traceId, span: spanId }));
  };

  const back = (
    <a href={backHref} class="back">
      ← search
    </a>
  );
  if (state.kind === 'loading') {
    return (
      <section class="view" data-view="traces">
        {back}
        <p class="muted">Loading trace {traceId}…</p>
      </section>
    );
  }
  if (state.kind === 'error') {
    return (
      <section class="view" data-view="traces">
        {back}
        <div class="error-box" role="alert">
          Trace {traceId}: {state.message}
        </div>
      </section>
    );
  }
  const { analysis } = state;
  const lay = layout!;
  const root = lay.rows[0]?.span;
  const selectedRow = selected === undefined ? undefined : lay.index.get(selected);
  const current: FlatSpan | undefined = selectedRow === undefined ? root : lay.rows[selectedRow].span;
  const duration = Number(analysis.durationNanos);
  const logList = logs.kind === 'done' ? logs.logs.logs : [];

  return (
    <section class="view trace-view" data-view="traces" data-trace-id={traceId}>
      <div class="trace-head">
        {back}
        <h1>
          <span class="svc-dot" style={{ '--hue': serviceHue(root?.service ?? '') }} /> {root?.service}: {root?.name}
        </h1>
        <div class="trace-facts">
          <span>
            <span class="muted">trace</span> <span class="mono" data-testid="trace-id">{traceId}</span>
          </span>
          <span>
            <span class="muted">start</span> {formatTime(Number(BigInt(analysis.startUnixNano) / 1_000_000n))}
          </span>
          <span>
            <span class="muted">duration</span> <b>{formatNanos(duration)}</b>
          </span>
          <span>
            <span class="muted">spans</span> <b data-testid="trace-span-count">{analysis.spanCount}</b>
          </span>
          <span>
            <span class="muted">services</span> <b>{analysis.services.length}</b>
          </span>
          <span>
            {analysis.errorCount > 0 ? (
              <span class="badge error" data-testid="trace-error-count">{analysis.errorCount} error{analysis.errorCount === 1 ? '' : 's'}</span>
            ) : (
              <span class="badge ok">no errors</span>
            )}
          </span>
          <a href={href('logs', { q: `trace_id:${traceId}` })}>logs of this trace</a>
        </div>
      </div>
      {analysis.warnings?.length ? <div class="error-box">Partial trace: {analysis.warnings.join('; ')}</div> : null}
      {details.kind === 'error' ? <div class="error-box">Span details could not be read: {details.message}</div> : null}
      <div class="split trace-split">
        <div class="trace-main">
          <div class="panel wf-panel">
            <Waterfall layout={lay} selected={current?.spanId} onSelect={select} />
          </div>
          <div class="panel path-panel">
            <h2>
              Critical path <span class="muted">({analysis.criticalPath.length} step{analysis.criticalPath.length === 1 ? '' : 's'})</span>
            </h2>
            <ol class="critical-path" data-testid="critical-path" data-count={analysis.criticalPath.length}>
              {analysis.criticalPath.slice(0, PATH_SHOWN).map((step, i) => {
                const d = Number(step.durationNanos);
                return (
                  <li key={i} data-span-id={step.spanId} class={step.spanId === current?.spanId ? 'selected' : undefined}>
                    <button type="button" class="link" onClick={() => select(step.spanId)}>
                      <span class="svc-dot" style={{ '--hue': serviceHue(step.service) }} /> <span class="wf-service">{step.service}</span> {step.name}
                    </button>
                    <span class="path-share">
                      <span class="path-bar" style={{ width: `${duration > 0 ? Math.max(1, (d / duration) * 100) : 100}%` }} />
                    </span>
                    <span class="num">{formatNanos(d)}</span>
                  </li>
                );
              })}
            </ol>
            {analysis.criticalPath.length > PATH_SHOWN ? <p class="muted">… and {analysis.criticalPath.length - PATH_SHOWN} more steps</p> : null}
          </div>
        </div>
        <div class="trace-side">
          <div class="panel details-panel">
            {current ? (
              <SpanDetails
                span={current}
                detail={details.kind === 'done' ? details.spans.get(current.spanId) : undefined}
                pending={details.kind === 'loading'}
                traceId={traceId}
                traceStart={lay.startUnixNano}
                logs={logList.filter((l) => l.spanId === current.spanId)}
                onSelect={select}
              />
            ) : (
              <p class="empty">Select a span in the waterfall to see its details.</p>
            )}
          </div>
          <div class="panel">
            <h2>Self time by service</h2>
            <table class="grid compact">
              <thead>
                <tr>
                  <th>service</th>
                  <th class="num">spans</th>
                  <th class="num">self time</th>
                </tr>
              </thead>
              <tbody>
                {analysis.services.map((s) => (
                  <tr key={s.service}>
                    <td>
                      <span class="svc-dot" style={{ '--hue': serviceHue(s.service) }} /> {s.service}
                      {s.errors > 0 ? <span class="badge error">{s.errors} error{s.errors === 1 ? '' : 's'}</span> : null}
                    </td>
                    <td class="num">{formatNumber(s.spans)}</td>
                    <td class="num nowrap">{formatNanos(Number(s.selfNanos))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      </div>
      <div class="panel trace-logs">
        <h2>
          Logs{' '}
          {logs.kind === 'done' ? (
            <span class="muted">
              (<span data-testid="trace-log-count">{logs.logs.logs.length}</span>
              {logs.logs.truncated ? ', more not shown' : ''})
            </span>
          ) : null}{' '}
          <a href={href('logs', { q: `trace_id:${traceId}` })}>open in Logs</a>
        </h2>
        {logs.kind === 'loading' ? <p class="muted">Loading logs…</p> : null}
        {logs.kind === 'error' ? <div class="error-box">Logs of the trace: {logs.message}</div> : null}
        {logs.kind === 'done' && logList.length === 0 ? <p class="empty">No log records carry this trace id.</p> : null}
        {logList.length > 0 ? <TraceLogTable logs={logList} traceStart={lay.startUnixNano} known={lay.index} onSelect={select} /> : null}
      </div>
    </section>
  );
}

function TraceLogTable({ logs, traceStart, known, onSelect }: { logs: LogEntry[]; traceStart: bigint; known: Map<string, number>; onSelect: (spanId: string) => void }): JSX.Element {
  return (
    <>
      <table class="grid">
        <thead>
          <tr>
            <th class="num">at</th>
            <th>level</th>
            <th>service</th>
            <th>message</th>
            <th>span</th>
          </tr>
        </thead>
        <tbody>
          {logs.slice(0, LOGS_SHOWN).map((l, i) => (
            <tr key={i} data-testid="trace-log">
              <td class="num mono nowrap">{formatOffset(BigInt(l.time) - traceStart)}</td>
              <td>
                <span class={`sev sev-${l.level}`}>{l.level}</span>
              </td>
              <td>{l.service}</td>
              <td class="log-body">{typeof l.body === 'string' ? l.body : JSON.stringify(l.body)}</td>
              <td class="mono">
                {l.spanId && known.has(l.spanId) ? (
                  <button type="button" class="link mono" onClick={() => onSelect(l.spanId!)}>
                    {l.spanId}
                  </button>
                ) : (
                  (l.spanId ?? '')
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {logs.length > LOGS_SHOWN ? <p class="muted">{logs.length - LOGS_SHOWN} more in the Logs view.</p> : null}
    </>
  );
}

function formatOffset(nanos: bigint): string {
  return nanos < 0n ? `−${formatNanos(Number(-nanos))}` : `+${formatNanos(Number(nanos))}`;
}
