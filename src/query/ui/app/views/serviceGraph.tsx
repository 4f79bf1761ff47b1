// The service-graph view (to be built).
import type { JSX } from 'preact';
import type { ViewProps } from '../router.ts';

export function ServiceGraphView(_props: ViewProps): JSX.Element {
  return <section class="view" data-view="service-graph"><h1>service-graph</h1></section>;
}
