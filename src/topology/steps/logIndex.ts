// `log_index`: log records → segments of rows in the compacted otlp.logs.blocks topic and their full-text index (with
// counts and mined patterns) in the compacted otlp.index topic, co-partitioned with otlp_logs
// (src/operators/logs/logIndex.ts, docs/logs.md). Forwards the records unchanged.
import { z } from 'zod';
import { logIndex } from '../../operators/logs/logIndex.ts';
import type { StepComponent } from '../component.ts';
import { positiveDuration } from '../duration.ts';
import { storeName, topicName } from '../names.ts';

const patterns = z.strictObject({
  /** Share of a line's tokens that must equal a template's for the line to join it (Drain's similarity threshold). */
  similarity: z.number().gt(0).max(1).default(0.4),
  /** Templates kept per service; the least recently seen go first. */
  max_templates: z.int().positive().max(100_000).default(1000),
});

const options = z.strictObject({
  /** The compacted topic of the segments' rows. */
  blocks_topic: topicName.default('otlp.logs.blocks'),
  /** The compacted index topic. */
  index_topic: topicName.default('otlp.index'),
  /** Block length: records are kept in the block of their time; blocks align on the epoch. */
  block: positiveDuration.default(3_600_000),
  /** What gathered becomes segments every this much stream time. */
  flush_interval: positiveDuration.default(10_000),
  /** A segment holds at most this many records. */
  max_segment_records: z.int().positive().max(1_000_000).default(4096),
  /** Segments of a block get tombstones this long after the block ended. */
  retention: positiveDuration.default(7 * 86_400_000),
  /** Log patterns mined per service (false: none). */
  patterns: z.union([z.literal(false), patterns]).default({ similarity: 0.4, max_templates: 1000 }),
  /** Names the changelog topic `<application>-<store>-changelog`. */
  store: storeName.default('log-index'),
});

/** Writes log records and their index to compacted topics. */
export const logIndexStep: StepComponent<typeof options> = {
  options,
  follows: ['items'],
  misplaced: 'log_index writes the records it receives, so it comes before any window',
  output: () => 'items',
  writes: true,
  claims: (o) => [`store "${o.store}"`],
  check: (_o, ctx) => (ctx.sourceType === 'otlp_logs' ? [] : [{ path: [], message: `log_index reads log records: it needs an otlp_logs source, not ${ctx.sourceType}` }]),
  apply(stage, o) {
    if (stage.kind !== 'items') throw new Error(this.misplaced);
    const definition = logIndex({
      store: o.store,
      blocksTopic: o.blocks_topic,
      indexTopic: o.index_topic,
      blockMs: o.block,
      flushIntervalMs: o.flush_interval,
      maxSegmentRecords: o.max_segment_records,
      retentionMs: o.retention,
      patterns: o.patterns === false ? undefined : { similarity: o.patterns.similarity, maxClusters: o.patterns.max_templates },
    });
    return { kind: 'items', stream: stage.stream.process(definition as never) };
  },
};
