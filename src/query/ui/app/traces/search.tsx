// Trace search: service, operation, tags, durations and the time range (or a TraceQL query), all in the route, and
// the result list with durations and error markers. Arrow keys move through the results, Enter opens one.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson } from '../api.ts';
import { resolveRange, TimeRangePicker } from '../components/timeRange.tsx';
import { formatNanos, formatNumber, formatTime } from '../format.ts';
import { href, navigate } from '../router.ts';
import { serviceHue, type SearchResponse, type SearchTrace } from './model.ts';
import { DEFAULT_LIMIT, searchParams, withParams } from './query.ts';

const FIELDS = ['service', 'operation', 'tags', 'minDuration', 'maxDuration', 'q', 'limit'] as const;
type Field = (typeof FIELDS)[number];
type Form = Record<Field, string>;

function formOf(params: URLSearchParams): Form {
  const f = {} as Form;
  for (const k of FIELDS) f[k] = params.get(k) ?? '';
  return f;
}

function useJaegerList(path: string | undefined): string[] {
  const [list, setList] = useState<string[]>([]);
  useEffect(() => {
    if (path === undefined) {
      setList([]);
      return;
    }
    const ctl = new AbortController();
    getJson<{ data: string[] | null }>(path, {}, ctl.signal)
      .then((r) => setList(r.data ?? []))
      .catch(() => setList([])); // the pickers are a help; the search itself reports errors
    return () => ctl.abort();
  }, [path]);
  return list;
}

export function TraceSearch({ params }: { params: URLSearchParams }): JSX.Element {
  const [form, setForm] = useState<Form>(() => formOf(params));
  const [mode, setMode] = useState<'form' | 'traceql'>(params.get('q') ? 'traceql' : 'form');
  // A new route (back button, a link) resets the form to what it says.
  useEffect(() => {
    setForm(formOf(params));
    setMode(params.get('q') ? 'traceql' : 'form');
  }, [params.toString()]);
  const services = useJaegerList('/jaeger/api/services');
  const operations = useJaegerList(form.service ? `/jaeger/api/services/${encodeURIComponent(form.service)}/operations` : undefined);
  const set = (k: Field) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });

  const submit = (e?: Event) => {
    e?.preventDefault();
    const changes: Record<string, string> = { ...form, trace: '', span: '' };
    if (mode === 'traceql') Object.assign(changes, { service: '', operation: '', tags: '' });
    else changes.q = '';
    navigate('traces', withParams(params, changes));
  };

  return (
    <section class="view traces-search" data-view="traces">
      <form class="trace-form" onSubmit={submit}>
        <div class="toolbar">
          <div class="range" role="group" aria-label="search mode">
            <button type="button" aria-pressed={mode === 'form'} onClick={() => setMode('form')}>Search</button>
            <button type="button" aria-pressed={mode === 'traceql'} onClick={() => setMode('traceql')}>TraceQL</button>
          </div>
          {mode === 'form' ? (
            <>
              <label class="field">
                service
                <select value={form.service} onChange={(e) => setForm({ ...form, service: (e.target as HTMLSelectElement).value, operation: '' })} data-testid="trace-service">
                  <option value="">(any)</option>
                  {form.service && !services.includes(form.service) ? <option value={form.service}>{form.service}</option> : null}
                  {services.map((s) => <option key={s} value={s}>{s}</option>)}
                </select>
              </label>
              <label class="field">
                operation
                <select value={form.operation} onChange={set('operation')} disabled={!form.service && !form.operation}>
                  <option value="">(any)</option>
                  {form.operation && !operations.includes(form.operation) ? <option value={form.operation}>{form.operation}</option> : null}
                  {operations.map((o) => <option key={o} value={o}>{o}</option>)}
                </select>
              </label>
              <input
                data-search
                aria-label="tags"
                placeholder='tags (logfmt): http.route=/cart error=true name="GET /x"'
                value={form.tags}
                onInput={set('tags')}
              />
            </>
          ) : (
            <input
              data-search
              class="mono"
              aria-label="TraceQL query"
              placeholder='{ resource.service.name = "frontend" && status = error }'
              value={form.q}
              onInput={set('q')}
            />
          )}
        </div>
        <div class="toolbar">
          <label class="field">
            min duration
            <input size={7} placeholder="100ms" value={form.minDuration} onInput={set('minDuration')} />
          </label>
          <label class="field">
            max duration
            <input size={7} placeholder="5s" value={form.maxDuration} onInput={set('maxDuration')} />
          </label>
          <label class="field">
            limit
            <input size={5} inputMode="numeric" placeholder={DEFAULT_LIMIT} value={form.limit} onInput={set('limit')} />
          </label>
          <TimeRangePicker params={params} onChange={(r) => navigate('traces', withParams(params, { ...r }))} />
          <button type="submit" class="primary">Run search</button>
        </div>
      </form>
      <SearchResults params={params} />
    </section>
  );
}

function rangeText(params: URLSearchParams): string {
  const { startMs, endMs } = resolveRange(params);
  return `${formatTime(startMs)} – ${formatTime(endMs)}`;
}

// `key`: the route the answer belongs to (until the effect runs, a new route still sees the old state).
type ResultState = { kind: 'loading'; key: string } | { kind: 'error'; key: string; message: string } | { kind: 'done'; key: string; response: SearchResponse; ms: number };

function SearchResults({ params }: { params: URLSearchParams }): JSX.Element {
  const key = params.toString();
  const [state, setState] = useState<ResultState>({ kind: 'loading', key });
  useEffect(() => {
    const ctl = new AbortController();
    setState({ kind: 'loading', key });
    const t0 = performance.now();
    getJson<SearchResponse>('/api/search', searchParams(params), ctl.signal)
      .then((response) => setState({ kind: 'done', key, response, ms: performance.now() - t0 }))
      .catch((err: unknown) => {
        if (!ctl.signal.aborted) setState({ kind: 'error', key, message: (err as Error).message });
      });
    return () => ctl.abort();
  }, [key]);

  if (state.kind === 'loading' || state.key !== key) return <p class="muted" data-testid="trace-results-loading">Searching…</p>;
  if (state.kind === 'error') return <div class="error-box" role="alert">Search failed: {state.message}</div>;
  const { traces, warnings } = state.response;
  return (
    <>
      {warnings && warnings.length > 0 ? <div class="error-box">Partial answer: {warnings.join('; ')}</div> : null}
      {traces.length === 0 ? (
        <p class="empty" data-testid="trace-results-empty">
          No traces matched in this time range. Widen the range, remove a condition, or check the service and tenant.
        </p>
      ) : (
        <ResultList traces={traces} ms={state.ms} limit={Number(searchParams(params).limit)} range={rangeText(params)} />
      )}
    </>
  );
}

function errorsOf(t: SearchTrace): number {
  let n = 0;
  for (const s of Object.values(t.serviceStats ?? {})) n += s.errorCount;
  return n;
}

function spansOf(t: SearchTrace): number {
  let n = 0;
  for (const s of Object.values(t.serviceStats ?? {})) n += s.spanCount;
  return n;
}

function ResultList({ traces, ms, limit, range }: { traces: SearchTrace[]; ms: number; limit: number; range: string }): JSX.Element {
  const body = useRef<HTMLTableSectionElement>(null);
  const maxMs = Math.max(1, ...traces.map((t) => t.durationMs));
  useEffect(() => {
    // First meaningful content of the search page (read by bench/ui.ts).
    requestAnimationFrame(() => setTimeout(() => performance.mark('traces:results'), 0));
  }, [traces]);

  const onKey = (e: KeyboardEvent) => {
    const rows = [...(body.current?.querySelectorAll<HTMLElement>('tr[data-trace-id]') ?? [])];
    const at = rows.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const next = rows[Math.max(0, Math.min(rows.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)))];
      next?.focus();
      e.preventDefault();
    } else if (e.key === 'Enter' && at >= 0) {
      navigate('traces', { trace: rows[at].dataset.traceId });
      e.preventDefault();
    }
  };

  return (
    <>
      <p class="muted" data-testid="trace-result-count">
        {formatNumber(traces.length)} trace{traces.length === 1 ? '' : 's'}
        {traces.length >= limit ? ` (the limit; raise it or narrow the search for more)` : ''} · {range} · {Math.round(ms)} ms
      </p>
      <table class="grid trace-results">
        <thead>
          <tr>
            <th>start</th>
            <th>root</th>
            <th class="num">spans</th>
            <th>errors</th>
            <th>services</th>
            <th class="num">duration</th>
            <th class="bar-col" aria-label="duration bar" />
            <th>trace id</th>
          </tr>
        </thead>
        <tbody ref={body} onKeyDown={onKey}>
          {traces.map((t) => {
            const errors = errorsOf(t);
            const services = Object.keys(t.serviceStats ?? {}).sort();
            const link = href('traces', { trace: t.traceID });
            return (
              <tr
                key={t.traceID}
                tabIndex={0}
                data-testid="trace-result"
                data-trace-id={t.traceID}
                class={errors > 0 ? 'has-error' : undefined}
                onClick={(e) => {
                  if ((e.target as HTMLElement).tagName !== 'A') navigate('traces', { trace: t.traceID });
                }}
              >
                <td class="mono nowrap">{formatTime(Number(BigInt(t.startTimeUnixNano) / 1_000_000n))}</td>
                <td>
                  <a href={link} tabIndex={-1}>
                    <b>{t.rootServiceName}</b> {t.rootTraceName}
                  </a>
                  {t.spanSet && t.spanSet.matched > 0 ? (
                    <div class="muted matched">
                      {t.spanSet.matched} matched span{t.spanSet.matched === 1 ? '' : 's'}: {t.spanSet.spans.map((sp) => sp.name).join(', ')}
                    </div>
                  ) : null}
                </td>
                <td class="num">{formatNumber(spansOf(t))}</td>
                <td>{errors > 0 ? <span class="badge error" data-testid="trace-error">{errors} error{errors === 1 ? '' : 's'}</span> : <span class="muted">–</span>}</td>
                <td>
                  {services.slice(0, 3).map((s) => (
                    <span key={s} class="svc-chip" style={{ '--hue': serviceHue(s) }}>
                      {s}
                    </span>
                  ))}
                  {services.length > 3 ? <span class="muted"> +{services.length - 3}</span> : null}
                </td>
                <td class="num nowrap">{t.durationMs < 1 ? '< 1 ms' : formatNanos(t.durationMs * 1e6)}</td>
                <td class="bar-col">
                  <span class="dur-bar" style={{ width: `${Math.max(1, (t.durationMs / maxMs) * 100)}%` }} />
                </td>
                <td class="mono">{t.traceID.slice(0, 16)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
