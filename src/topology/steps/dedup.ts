// `dedup`: drops source items sent more than once (an exporter's retry, a replayed batch) within a horizon of stream
// time. Two items are the same when they have the same key, event time and identity (span id; a point's series and
// time; a log record's content).
import { z } from 'zod';
import { deduplicate } from '../../operators/index.ts';
import type { StepComponent } from '../component.ts';
import { positiveDuration } from '../duration.ts';
import { storeName } from '../names.ts';

const options = z.strictObject({
  /** How long (stream time) an item's identity is remembered after the item passed. */
  horizon: positiveDuration,
  /** Names the changelog topic `<application>-<store>-changelog`. */
  store: storeName.default('dedup'),
});

/** Forwards the first of each item, and drops repeats within the horizon. */
export const dedupStep: StepComponent<typeof options> = {
  options,
  follows: ['items'],
  misplaced: 'dedup drops repeated source items, so it must come before the window step',
  output: () => 'items',
  claims: (o) => [`store "${o.store}"`],
  apply(stage, o, ctx) {
    if (stage.kind !== 'items') throw new Error(this.misplaced);
    const identity = ctx.source.fields.identity;
    const id = (r: { key: string | null; timestamp: number; value: unknown }) => `${r.key ?? ''}\u0000${r.timestamp}\u0000${identity(r.value)}`;
    return { kind: 'items', stream: stage.stream.process(deduplicate({ store: o.store, horizon: o.horizon, id })) };
  },
};
