// `trace_index`: assembled traces → the compacted otlp.traces topic (one record per trace fragment) and the trace
// index records of the compacted otlp.index topic (segments of summaries and postings, block records with a Bloom
// filter), both co-partitioned with the spans (src/operators/traces/traceIndex.ts, docs/traces.md).
import { z } from 'zod';
import { traceIndex } from '../../operators/traces/traceIndex.ts';
import type { StepComponent } from '../component.ts';
import { positiveDuration } from '../duration.ts';
import { storeName, topicName } from '../names.ts';

const options = z
  .strictObject({
    /** The compacted topic of the traces' spans. */
    traces_topic: topicName.default('otlp.traces'),
    /** The compacted index topic. */
    index_topic: topicName.default('otlp.index'),
    /** Block length: traces are indexed in the block of their start; blocks align on the epoch. */
    block: positiveDuration.default(3_600_000),
    /** How long (stream time) past its end a block waits for traces before its block record is written. */
    grace: positiveDuration.default(10 * 60_000),
    /** Segments of the traces completed since the last one are written every this much stream time. */
    flush_interval: positiveDuration.default(10_000),
    /** Index records of a block get tombstones this long after the block ended; otlp.traces keeps traces a block longer. */
    retention: positiveDuration.default(7 * 86_400_000),
    /** Attribute keys and values longer than this many characters are not indexed. */
    max_value_length: z.int().positive().max(65_536).default(256),
    /** Names the changelog topics `<application>-<store>-changelog`, `…-<store>-blocks-…` and `…-<store>-block-traces-…`. */
    store: storeName.default('trace-index'),
  })
  .refine((o) => o.grace < o.retention, { path: ['grace'], message: 'grace must be shorter than the retention' });

/** Writes assembled traces and their index to compacted topics. */
export const traceIndexStep: StepComponent<typeof options> = {
  options,
  follows: ['traces'],
  misplaced: 'trace_index indexes assembled traces, so it comes after an assemble step',
  output: () => 'traces',
  writes: true,
  claims: (o) => [`store "${o.store}"`, `store "${o.store}-blocks"`, `store "${o.store}-block-traces"`],
  apply(stage, o) {
    if (stage.kind !== 'traces') throw new Error(this.misplaced);
    const definition = traceIndex({
      store: o.store,
      tracesTopic: o.traces_topic,
      indexTopic: o.index_topic,
      blockMs: o.block,
      graceMs: o.grace,
      flushIntervalMs: o.flush_interval,
      retentionMs: o.retention,
      maxValueLength: o.max_value_length,
    });
    return { kind: 'traces', stream: stage.stream.process(definition) };
  },
};
