// The logs view (to be built).
import type { JSX } from 'preact';
import type { ViewProps } from '../router.ts';

export function LogsView(_props: ViewProps): JSX.Element {
  return <section class="view" data-view="logs"><h1>logs</h1></section>;
}
