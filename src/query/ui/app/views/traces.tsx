// The traces view: the search (#/traces?service=&operation=&tags=&minDuration=&maxDuration=&q=&range=|start=&end=)
// or one trace (#/traces?trace=<id>&span=<span id>).
import type { JSX } from 'preact';
import { href, type ViewProps } from '../router.ts';
import { TraceSearch } from '../traces/search.tsx';
import { TraceView } from '../traces/traceView.tsx';

// The last search route, for the trace page's way back.
let lastSearch = href('traces');

export function TracesView({ params }: ViewProps): JSX.Element {
  const trace = params.get('trace');
  if (trace) return <TraceView key={trace} traceId={trace} params={params} backHref={lastSearch} />;
  lastSearch = `#/traces${params.size > 0 ? `?${params}` : ''}`;
  return <TraceSearch params={params} />;
}
