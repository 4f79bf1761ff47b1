// The pipeline view (to be built).
import type { JSX } from 'preact';
import type { ViewProps } from '../router.ts';

export function PipelineView(_props: ViewProps): JSX.Element {
  return <section class="view" data-view="pipeline"><h1>pipeline</h1></section>;
}
