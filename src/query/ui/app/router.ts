// Hash routes: `#/<view>?<params>` — deep links and the back button work, and the server serves one page.
import { useEffect, useState } from 'preact/hooks';

/** What every view gets: its route's parameters. */
export interface ViewProps {
  params: URLSearchParams;
}

export interface Location {
  view: string;
  params: URLSearchParams;
}

function current(): Location {
  const hash = location.hash.replace(/^#\/?/, '');
  const [view = '', query = ''] = hash.split('?', 2);
  return { view: view || 'traces', params: new URLSearchParams(query) };
}

/** The current hash route, re-rendering on change. */
export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const onChange = () => setLoc(current());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return loc;
}

/** The link to a view with parameters (undefined and '' left out). */
export function href(view: string, params: Record<string, string | number | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
  return query.size > 0 ? `#/${view}?${query}` : `#/${view}`;
}

/** Goes to a view (adds a history entry). */
export function navigate(view: string, params: Record<string, string | number | undefined> = {}): void {
  location.hash = href(view, params);
}
