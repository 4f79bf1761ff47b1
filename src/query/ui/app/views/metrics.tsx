// The metrics view (to be built).
import type { JSX } from 'preact';
import type { ViewProps } from '../router.ts';

export function MetricsView(_props: ViewProps): JSX.Element {
  return <section class="view" data-view="metrics"><h1>metrics</h1></section>;
}
