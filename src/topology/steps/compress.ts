// `compress`: raw number points (gauges, sums) per series and block as compressed chunks (src/chunks/, docs/chunks.md)
// on the compacted otlp.chunks topic, keyed <series>@<block start>; chunks older than the retention get tombstones.
import { z } from 'zod';
import { compress } from '../../operators/compress.ts';
import { lateTopicOf } from '../../runtime/task.ts';
import type { StepComponent } from '../component.ts';
import { positiveDuration } from '../duration.ts';
import { storeName, topicName } from '../names.ts';

const options = z
  .strictObject({
    /** The compacted chunk topic. */
    topic: topicName.default('otlp.chunks'),
    /** Block length; blocks align on the epoch. */
    block: positiveDuration.default(2 * 3_600_000),
    /** How far (stream time) a point may trail its block's end and still join its chunk; later ones go to the late topic. */
    grace: positiveDuration.default(10 * 60_000),
    /** Chunks of blocks that ended longer ago get tombstones; `forever` keeps them. */
    retention: z.union([z.literal('forever'), positiveDuration]).default(7 * 86_400_000),
    /** Points per series and block beyond which further points go to the late topic (bounds a chunk and its state). */
    max_points_per_block: z.int().positive().max(1 << 20).default(65_536),
    /** Names the changelog topics `<application>-<store>-changelog` and `…-<store>-published-changelog`. */
    store: storeName.default('chunks'),
    /** Where late points go (default `<application>.late`). */
    late_topic: topicName.optional(),
  })
  .refine((o) => o.grace < o.block, { path: ['grace'], message: 'grace must be shorter than the block' });

/** Compresses metric points into chunks per series and block. */
export const compressStep: StepComponent<typeof options> = {
  options,
  follows: ['items'],
  misplaced: 'compress takes raw metric points, so it must come before any window step',
  output: () => 'items',
  writes: true,
  claims: (o) => [`store "${o.store}"`, `store "${o.store}-published"`],
  check: (_o, ctx) => (ctx.sourceType === 'otlp_metrics' ? [] : [{ path: [], message: `compress takes otlp_metrics points, not ${ctx.sourceType} items` }]),
  apply(stage, o, ctx) {
    if (stage.kind !== 'items') throw new Error(this.misplaced);
    const definition = compress({
      store: o.store,
      topic: o.topic,
      blockMs: o.block,
      graceMs: o.grace,
      retentionMs: o.retention === 'forever' ? null : o.retention,
      maxPointsPerBlock: o.max_points_per_block,
      lateTopic: o.late_topic ?? lateTopicOf(ctx.application),
    });
    return { kind: 'items', stream: stage.stream.process(definition as never) };
  },
};
