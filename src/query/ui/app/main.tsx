// The web UI: a header with the views, the tenant and the theme; each view is a hash route (router.ts).
import { render, type JSX } from 'preact';
import { useState } from 'preact/hooks';
import { setTenant, tenant } from './api.ts';
import { useLocation, type ViewProps } from './router.ts';
import './styles.css';
import { LogsView } from './views/logs.tsx';
import { MetricsView } from './views/metrics.tsx';
import { PipelineView } from './views/pipeline.tsx';
import { ServiceGraphView } from './views/serviceGraph.tsx';
import { TracesView } from './views/traces.tsx';

const VIEWS: Array<{ id: string; title: string; key: string; view: (p: ViewProps) => JSX.Element }> = [
  { id: 'traces', title: 'Traces', key: '1', view: TracesView },
  { id: 'service-graph', title: 'Service graph', key: '2', view: ServiceGraphView },
  { id: 'logs', title: 'Logs', key: '3', view: LogsView },
  { id: 'metrics', title: 'Metrics', key: '4', view: MetricsView },
  { id: 'pipeline', title: 'Pipeline', key: '5', view: PipelineView },
];

function toggleTheme(): void {
  const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
  document.documentElement.dataset.theme = next;
  localStorage.setItem('otlp-streams.theme', next);
  // Charts read the theme's colours when drawn: draw them again.
  dispatchEvent(new Event('otlp-theme'));
}

// Alt+1…5 switch views, Alt+T the theme; "/" focuses the view's search box.
addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement | null;
  const typing = target !== null && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT');
  if (e.altKey && !e.ctrlKey && !e.metaKey) {
    const view = VIEWS.find((v) => v.key === e.key);
    if (view) {
      location.hash = `#/${view.id}`;
      e.preventDefault();
    } else if (e.key === 't') toggleTheme();
  } else if (e.key === '/' && !typing) {
    const search = document.querySelector<HTMLInputElement>('main [data-search]');
    if (search) {
      search.focus();
      e.preventDefault();
    }
  }
});

function App(): JSX.Element {
  const loc = useLocation();
  const [tenantValue, setTenantValue] = useState(tenant());
  const [, redraw] = useState(0);
  const active = VIEWS.find((v) => v.id === loc.view) ?? VIEWS[0];
  const View = active.view;
  return (
    <>
      <header>
        <a class="brand" href="#/traces">
          otlp-streams
        </a>
        <nav aria-label="views">
          {VIEWS.map((v) => (
            <a key={v.id} href={`#/${v.id}`} aria-current={v.id === active.id ? 'page' : undefined} title={`Alt+${v.key}`}>
              {v.title}
            </a>
          ))}
        </nav>
        <label class="tenant">
          tenant
          <input
            value={tenantValue}
            placeholder="(none)"
            size={10}
            onChange={(e) => {
              const v = (e.target as HTMLInputElement).value.trim();
              setTenant(v);
              setTenantValue(v);
              redraw((n) => n + 1);
            }}
          />
        </label>
        <button type="button" class="theme" onClick={toggleTheme} title="Alt+T" aria-label="switch light / dark theme">
          ◐
        </button>
      </header>
      <main key={`${active.id}/${tenantValue}`}>
        <View params={loc.params} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
