// The traces view (to be built).
import type { JSX } from 'preact';
import type { ViewProps } from '../router.ts';

export function TracesView(_props: ViewProps): JSX.Element {
  return <section class="view" data-view="traces"><h1>traces</h1></section>;
}
