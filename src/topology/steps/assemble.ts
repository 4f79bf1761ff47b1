// `assemble`: spans of otlp_spans grouped into traces (src/operators/traces/assemble.ts, docs/traces.md). A trace is
// emitted when it has been quiet for `gap` or `max_duration` has passed since its first span (stream time); late spans
// of an emitted trace become its next fragment within `late_horizon`, later ones go to the late topic.
import { z } from 'zod';
import { assemble } from '../../operators/traces/assemble.ts';
import { lateTopicOf } from '../../runtime/task.ts';
import type { StepComponent } from '../component.ts';
import { positiveDuration } from '../duration.ts';
import { storeName, topicName } from '../names.ts';

const options = z
  .strictObject({
    /** A trace is emitted after this much stream time without a new span. */
    gap: positiveDuration.default(10_000),
    /** A trace is emitted this long (stream time) after its first span arrived, even if spans still come. */
    max_duration: positiveDuration.default(5 * 60_000),
    /** How long (stream time) an emitted trace is remembered, so its late spans are emitted as its next fragment. */
    late_horizon: positiveDuration.default(3_600_000),
    /** A trace reaching this many spans is emitted as a fragment at once, and goes on in the next fragment. */
    max_spans_per_trace: z.int().positive().max(1_000_000).default(10_000),
    /** Names the changelog topics `<application>-<store>-changelog` and `…-<store>-emitted-changelog`. */
    store: storeName.default('traces'),
    /** Where spans past the late horizon go (default `<application>.late`). */
    late_topic: topicName.optional(),
  })
  .refine((o) => o.gap <= o.max_duration, { path: ['gap'], message: 'gap must not be longer than max_duration' });

/** Groups spans into assembled traces. */
export const assembleStep: StepComponent<typeof options> = {
  options,
  follows: ['items'],
  misplaced: 'assemble groups source spans into traces, so it comes right after the source (or a filter or dedup of spans)',
  output: () => 'traces',
  claims: (o) => [`store "${o.store}"`, `store "${o.store}-emitted"`],
  check: (_o, ctx) => (ctx.sourceType === 'otlp_spans' ? [] : [{ path: [], message: `assemble reads spans: it needs an otlp_spans source, not ${ctx.sourceType}` }]),
  apply(stage, o, ctx) {
    if (stage.kind !== 'items') throw new Error(this.misplaced);
    const definition = assemble({
      store: o.store,
      gapMs: o.gap,
      maxDurationMs: o.max_duration,
      lateHorizonMs: o.late_horizon,
      maxSpansPerTrace: o.max_spans_per_trace,
      lateTopic: o.late_topic ?? lateTopicOf(ctx.application),
    });
    return { kind: 'traces', stream: stage.stream.process(definition as never) };
  },
};
