// The logs view: a search in the query language of docs/log-search.md over a time range, the matches over time as
// bars stacked by severity (drag over them to narrow the range), the hits newest first with their attributes and
// links to their traces; and the templates mined per service with their rate jumps (`tab=patterns`).
import { Fragment, type JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { ApiError, getJson } from '../api.ts';
import { Chart, themeColor } from '../components/chart.tsx';
import { resolveRange, TimeRangePicker, type TimeRange } from '../components/timeRange.tsx';
import { formatNumber, formatTime } from '../format.ts';
import {
  groupPatterns,
  hitMs,
  levelColorVar,
  msToNanosText,
  selectedRange,
  sortedEntries,
  sparkPoints,
  stackHistogram,
  templateQuery,
  type HistogramAnswer,
  type LogHit,
  type Pattern,
  type PatternsAnswer,
  type SearchPage,
} from '../logs/transform.ts';
import { href, navigate, type ViewProps } from '../router.ts';

const PAGE = 100;

/** The route's parameters, to keep in every link of the view. */
function routeParams(params: URLSearchParams): Record<string, string | undefined> {
  return { q: params.get('q') ?? undefined, range: params.get('range') ?? undefined, start: params.get('start') ?? undefined, end: params.get('end') ?? undefined, tab: params.get('tab') ?? undefined };
}

function messageOf(err: unknown): string {
  if (err instanceof ApiError) return `${err.status}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError';

/** A counter that moves when the theme changes, so canvases get the new colours. */
function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    addEventListener('otlp-theme', bump);
    return () => removeEventListener('otlp-theme', bump);
  }, []);
  return version;
}

export function LogsView({ params }: ViewProps): JSX.Element {
  const current = routeParams(params);
  const tab = params.get('tab') === 'patterns' ? 'patterns' : 'search';
  const q = params.get('q') ?? '';
  const [draft, setDraft] = useState(q);
  useEffect(() => setDraft(q), [q]);
  // A preset range is resolved again on every route change (it moves with now); absolute bounds stay.
  const rangeKey = `${params.get('range') ?? ''}|${params.get('start') ?? ''}|${params.get('end') ?? ''}`;
  // Searching again with the same route (nothing to navigate to) runs the search again.
  const [again, setAgain] = useState(0);
  const range = useMemo(() => resolveRange(params), [rangeKey, q, tab, again]);

  const go = (changes: Record<string, string | undefined>) => {
    const target = href('logs', { ...current, ...changes });
    if (location.hash === target) setAgain((n) => n + 1);
    else navigate('logs', { ...current, ...changes });
  };
  return (
    <section class="view logs-view" data-view="logs">
      <div class="toolbar">
        <h1 class="logs-title">Logs</h1>
        <nav class="logs-tabs" aria-label="logs views">
          <a href={href('logs', { ...current, tab: undefined })} aria-current={tab === 'search' ? 'page' : undefined} data-testid="logs-tab-search">
            Search
          </a>
          <a href={href('logs', { ...current, tab: 'patterns' })} aria-current={tab === 'patterns' ? 'page' : undefined} data-testid="logs-tab-patterns">
            Patterns
          </a>
        </nav>
        <TimeRangePicker params={params} onChange={(r) => go(r)} />
        <span class="muted logs-range" data-testid="logs-range">
          {formatTime(range.startMs)} – {formatTime(range.endMs)}
        </span>
      </div>
      {tab === 'search' ? (
        <>
          <form
            class="toolbar"
            role="search"
            onSubmit={(e) => {
              e.preventDefault();
              go({ q: draft.trim() || undefined });
            }}
          >
            <input
              data-search
              data-testid="log-query"
              aria-label="log search query"
              placeholder={'search logs: timeout  "connection refused"  severity>=warn  service:checkout  attr.http.method:GET   ("/" to focus)'}
              value={draft}
              onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
              spellcheck={false}
            />
            <button type="submit" class="primary">
              Search
            </button>
          </form>
          <LogSearch q={q} range={range} again={again} onRange={(r) => go({ range: undefined, start: String(r.startMs), end: String(r.endMs) })} />
        </>
      ) : (
        <LogPatterns range={range} service={params.get('service') ?? ''} onService={(s) => go({ service: s || undefined })} current={current} />
      )}
    </section>
  );
}

interface SearchState {
  hits: LogHit[];
  next: string | null;
  loading: boolean;
  error?: string;
}

function LogSearch({ q, range, again, onRange }: { q: string; range: TimeRange; again: number; onRange: (r: TimeRange) => void }): JSX.Element {
  const [histogram, setHistogram] = useState<{ answer?: HistogramAnswer; error?: string }>({});
  const [search, setSearch] = useState<SearchState>({ hits: [], next: null, loading: true });
  const more = useRef<AbortController | null>(null);
  const bounds = { start: msToNanosText(range.startMs), end: msToNanosText(range.endMs) };

  useEffect(() => {
    const abort = new AbortController();
    more.current?.abort();
    setHistogram({});
    setSearch({ hits: [], next: null, loading: true });
    getJson<HistogramAnswer>('/api/logs/histogram', { q, ...bounds }, abort.signal).then(
      (answer) => setHistogram({ answer }),
      (err: unknown) => isAbort(err) || setHistogram({ error: messageOf(err) }),
    );
    getJson<SearchPage>('/api/logs/search', { q, ...bounds, limit: PAGE }, abort.signal).then(
      (page) => setSearch({ hits: page.logs, next: page.next, loading: false }),
      (err: unknown) => isAbort(err) || setSearch({ hits: [], next: null, loading: false, error: messageOf(err) }),
    );
    return () => abort.abort();
  }, [q, range.startMs, range.endMs, again]);

  const loadMore = () => {
    if (search.next === null) return;
    const abort = new AbortController();
    more.current = abort;
    setSearch((s) => ({ ...s, loading: true }));
    getJson<SearchPage>('/api/logs/search', { q, ...bounds, limit: PAGE, cursor: search.next }, abort.signal).then(
      (page) => setSearch((s) => ({ hits: [...s.hits, ...page.logs], next: page.next, loading: false })),
      (err: unknown) => isAbort(err) || setSearch((s) => ({ ...s, loading: false, error: messageOf(err) })),
    );
  };

  // The query's error (a 400 naming the position) comes from both requests: show it once.
  const error = search.error ?? histogram.error;
  const total = histogram.answer ? stackHistogram(histogram.answer.buckets).total : undefined;
  return (
    <>
      {error !== undefined && (
        <div class="error-box" role="alert" data-testid="log-error">
          {error}
        </div>
      )}
      {error === undefined && (
        <div class="panel logs-histogram-panel">
          <div class="logs-summary">
            <span>
              <strong data-testid="log-hit-count" data-count={total ?? ''}>
                {total === undefined ? '…' : `${histogram.answer?.partial ? '≥ ' : ''}${formatNumber(total)}`}
              </strong>{' '}
              {total === 1 ? 'match' : 'matches'} in the range
            </span>
            <span class="muted">drag over the bars to narrow the range</span>
          </div>
          {histogram.answer ? <LogHistogram answer={histogram.answer} onRange={onRange} /> : <div class="logs-histogram-placeholder" />}
        </div>
      )}
      {error === undefined && <LogHits q={q} state={search} onMore={loadMore} />}
    </>
  );
}

function LogHistogram({ answer, onRange }: { answer: HistogramAnswer; onRange: (r: TimeRange) => void }): JSX.Element {
  const theme = useThemeVersion();
  const stacked = useMemo(() => stackHistogram(answer.buckets), [answer]);
  // Top of the stack first: uPlot paints series in order, so each lower level's bar covers the part below its top.
  const order = stacked.levels.map((_, i) => i).reverse();
  const data = useMemo<uPlot.AlignedData>(() => [stacked.xs, ...order.map((i) => stacked.stacked[i])], [stacked]);
  const series = useMemo<uPlot.Series[]>(
    () =>
      order.map((i) => ({
        label: stacked.levels[i],
        stroke: themeColor(levelColorVar(stacked.levels[i])),
        points: { show: false },
        // The legend shows the level's own count (its total when not hovering), not the running sum the bar is drawn to.
        value: (_u: uPlot, _v: number, _s: number, idx: number | null) => formatNumber(idx === null ? stacked.counts[i].reduce((t, n) => t + n, 0) : (stacked.counts[i][idx] ?? 0)),
      })),
    [stacked, theme],
  );
  // The shared Chart has no select hook: a drag is read from the mouse over uPlot's plot area (.u-over).
  const box = useRef<HTMLDivElement>(null);
  const drag = useRef<{ x: number } | null>(null);
  const over = () => box.current?.querySelector<HTMLElement>('.u-over') ?? null;
  const onMouseDown = (e: MouseEvent) => {
    const el = over();
    if (el && e.target instanceof Node && el.contains(e.target)) drag.current = { x: e.clientX };
  };
  useEffect(() => {
    const onUp = (e: MouseEvent) => {
      const start = drag.current;
      drag.current = null;
      const el = over();
      if (!start || !el || stacked.xs.length < 2 || Math.abs(e.clientX - start.x) < 4) return;
      const rect = el.getBoundingClientRect();
      const r = selectedRange((start.x - rect.left) / rect.width, (e.clientX - rect.left) / rect.width, stacked.xs[0] * 1000, stacked.xs[stacked.xs.length - 1] * 1000);
      if (r) onRange(r);
    };
    addEventListener('mouseup', onUp);
    return () => removeEventListener('mouseup', onUp);
  }, [stacked, onRange]);

  if (stacked.total === 0) {
    return (
      <div class="logs-histogram empty" data-testid="log-histogram" data-total={0}>
        No matches in this range.
      </div>
    );
  }
  return (
    <div class="logs-histogram" ref={box} onMouseDown={onMouseDown} data-testid="log-histogram" data-total={stacked.total} data-step={answer.step}>
      <Chart data={data} series={series} bars height={160} label={`log matches over time by severity, ${stacked.total} in all`} />
    </div>
  );
}

function LogHits({ q, state, onMore }: { q: string; state: SearchState; onMore: () => void }): JSX.Element {
  const [open, setOpen] = useState<Set<number>>(new Set());
  useEffect(() => setOpen(new Set()), [q]);
  const toggle = (i: number) =>
    setOpen((s) => {
      const next = new Set(s);
      if (!next.delete(i)) next.add(i);
      return next;
    });
  if (state.hits.length === 0) {
    if (state.loading) return <div class="empty">Searching…</div>;
    return (
      <div class="empty" data-testid="log-empty">
        {q === '' ? 'No logs in this range: pick a wider range above.' : 'No logs match this query in the range: widen the range, or loosen the query (fewer terms, OR, prefix*).'}
      </div>
    );
  }
  return (
    <div class="panel logs-hits">
      <table class="grid" aria-label="log hits, newest first">
        <thead>
          <tr>
            <th class="logs-toggle-col" aria-label="details" />
            <th class="logs-time-col">time</th>
            <th>level</th>
            <th>service</th>
            <th>body</th>
            <th>trace</th>
          </tr>
        </thead>
        <tbody>
          {state.hits.map((hit, i) => (
            <HitRow key={`${hit.time}/${i}`} hit={hit} open={open.has(i)} onToggle={() => toggle(i)} />
          ))}
        </tbody>
      </table>
      <div class="logs-more">
        <span class="muted" data-testid="log-shown">
          {formatNumber(state.hits.length)} shown
        </span>
        {state.next !== null && (
          <button type="button" onClick={onMore} disabled={state.loading} data-testid="log-more">
            {state.loading ? 'Loading…' : `Load ${PAGE} more`}
          </button>
        )}
      </div>
    </div>
  );
}

function HitRow({ hit, open, onToggle }: { hit: LogHit; open: boolean; onToggle: () => void }): JSX.Element {
  const level = hit.level || 'unknown';
  return (
    <>
      <tr
        class={`log-hit${open ? ' open' : ''}`}
        data-testid="log-hit"
        onClick={(e) => {
          // A link or the toggle button in the row does its own thing.
          if (!(e.target instanceof Element && e.target.closest('a, button'))) onToggle();
        }}
      >
        <td>
          <button type="button" class="logs-toggle" aria-expanded={open} aria-label={open ? 'hide attributes' : 'show attributes'} onClick={onToggle} data-testid="log-toggle">
            {open ? '▾' : '▸'}
          </button>
        </td>
        <td class="mono logs-time" title={hit.timestamp}>
          {formatTime(hitMs(hit))}
        </td>
        <td>
          <span class={`badge sev sev-${level}`} title={hit.severity ? `${hit.severity} (${hit.severityNumber})` : String(hit.severityNumber)}>
            {level}
          </span>
        </td>
        <td class="logs-service">{hit.service}</td>
        <td class="mono logs-body">{hit.body}</td>
        <td class="mono">
          {hit.traceId ? (
            <a href={href('traces', { trace: hit.traceId })} data-testid="log-trace-link" title={`trace ${hit.traceId}`}>
              {hit.traceId.slice(0, 8)}…
            </a>
          ) : (
            <span class="muted">–</span>
          )}
        </td>
      </tr>
      {open && (
        <tr class="log-detail" data-testid="log-detail">
          <td />
          <td colSpan={5}>
            <div class="logs-detail-grid">
              <div>
                <h2>attributes</h2>
                <KeyValues record={hit.attributes} testid="log-attributes" />
              </div>
              <div>
                <h2>resource</h2>
                <KeyValues record={hit.resource} testid="log-resource" />
              </div>
              <div>
                <h2>record</h2>
                <dl class="kv">
                  <dt>time</dt>
                  <dd class="mono">
                    {hit.timestamp} ({hit.time} ns)
                  </dd>
                  <dt>severity</dt>
                  <dd>
                    {hit.severity || '–'} ({hit.severityNumber})
                  </dd>
                  {hit.traceId && (
                    <>
                      <dt>trace id</dt>
                      <dd class="mono">
                        <a href={href('traces', { trace: hit.traceId })}>{hit.traceId}</a>
                      </dd>
                    </>
                  )}
                  {hit.spanId && (
                    <>
                      <dt>span id</dt>
                      <dd class="mono">{hit.spanId}</dd>
                    </>
                  )}
                </dl>
              </div>
            </div>
          </td>
        </tr>
      )}
    </>
  );
}

function KeyValues({ record, testid }: { record: Record<string, string>; testid: string }): JSX.Element {
  const entries = sortedEntries(record);
  if (entries.length === 0) return <p class="muted">none</p>;
  return (
    <dl class="kv" data-testid={testid}>
      {entries.map(([k, v]) => (
        <Fragment key={k}>
          <dt class="mono">{k}</dt>
          <dd class="mono">{v}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

function LogPatterns({ range, service, onService, current }: { range: TimeRange; service: string; onService: (s: string) => void; current: Record<string, string | undefined> }): JSX.Element {
  const [state, setState] = useState<{ answer?: PatternsAnswer; error?: string }>({});
  useEffect(() => {
    const abort = new AbortController();
    setState({});
    // Every service's templates: the service filter is applied here, so the list of services stays whole.
    getJson<PatternsAnswer>('/api/logs/patterns', { start: msToNanosText(range.startMs), end: msToNanosText(range.endMs) }, abort.signal).then(
      (answer) => setState({ answer }),
      (err: unknown) => isAbort(err) || setState({ error: messageOf(err) }),
    );
    return () => abort.abort();
  }, [range.startMs, range.endMs]);

  const groups = useMemo(() => (state.answer ? groupPatterns(state.answer.patterns) : []), [state.answer]);
  if (state.error !== undefined) {
    return (
      <div class="error-box" role="alert" data-testid="log-error">
        {state.error}
      </div>
    );
  }
  if (!state.answer) return <div class="empty">Loading templates…</div>;
  if (groups.length === 0) {
    return (
      <div class="empty" data-testid="log-patterns-empty">
        No log templates in this range: pick a wider range above (templates are mined as logs are indexed).
      </div>
    );
  }
  const shown = service === '' ? groups : groups.filter((g) => g.service === service);
  const flagged = groups.reduce((t, g) => t + g.flagged, 0);
  const step = state.answer.step;
  return (
    <>
      <div class="toolbar">
        <label>
          service{' '}
          <select value={service} onChange={(e) => onService((e.target as HTMLSelectElement).value)} data-testid="log-patterns-service">
            <option value="">all ({groups.length})</option>
            {groups.map((g) => (
              <option key={g.service} value={g.service}>
                {g.service || '(no service)'}
              </option>
            ))}
          </select>
        </label>
        <span class="muted">
          {formatNumber(groups.reduce((t, g) => t + g.patterns.length, 0))} templates; buckets of {formatStep(step)}; the last bucket is compared with the 12 before it
        </span>
        {flagged > 0 && (
          <span class="badge error" data-testid="log-patterns-flagged">
            {flagged} rate {flagged === 1 ? 'jump' : 'jumps'}
          </span>
        )}
      </div>
      {shown.map((g) => (
        <div class="panel logs-pattern-group" key={g.service}>
          <h2>
            {g.service || '(no service)'} <span class="muted">{formatNumber(g.total)} lines</span>
          </h2>
          <table class="grid" aria-label={`log templates of ${g.service}`}>
            <colgroup>
              <col class="logs-col-lines" />
              <col class="logs-col-spark" />
              <col />
              <col class="logs-col-last" />
            </colgroup>
            <thead>
              <tr>
                <th class="num">lines</th>
                <th>over time</th>
                <th>template</th>
                <th>last bucket</th>
              </tr>
            </thead>
            <tbody>
              {g.patterns.map((p) => (
                <PatternRow key={p.template} pattern={p} current={current} />
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </>
  );
}

function formatStep(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

function PatternRow({ pattern: p, current }: { pattern: Pattern; current: Record<string, string | undefined> }): JSX.Element {
  const v = p.verdict;
  return (
    <tr class={`log-pattern${p.jump ? ' flagged' : ''}`} data-testid="log-pattern">
      <td class="num">{formatNumber(p.total)}</td>
      <td>
        <svg class="spark" width={120} height={22} viewBox="0 0 120 22" role="img" aria-label={`lines per bucket: ${p.counts.join(', ')}`}>
          <polyline points={sparkPoints(p.counts, 120, 22)} fill="none" stroke="currentColor" stroke-width={1.5} />
        </svg>
      </td>
      <td class="mono logs-template">
        <a href={href('logs', { ...current, tab: undefined, service: undefined, q: templateQuery(p.service, p.template) })} title="search these lines">
          {p.template}
        </a>
      </td>
      <td>
        {p.jump ? (
          <span class="badge error" data-testid="log-pattern-jump" title={`threshold ${formatNumber(v.threshold)}`}>
            {v.reason === 'new' ? `new: ${formatNumber(v.current)}` : `jump: ${formatNumber(v.current)} (baseline ${formatNumber(v.baseline)})`}
          </span>
        ) : (
          <span class="muted" title={`baseline ${formatNumber(v.baseline)}, threshold ${formatNumber(v.threshold)}`}>
            {formatNumber(v.current)}
          </span>
        )}
      </td>
    </tr>
  );
}
