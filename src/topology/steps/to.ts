// `to`: writes the stream to a Kafka topic inside the task's transaction — window results, or source items as JSON.
import { z } from 'zod';
import type { WindowResult } from '../../operators/index.ts';
import { toJson } from '../../runtime/index.ts';
import type { StepComponent } from '../component.ts';
import { topicName } from '../names.ts';

const options = z.strictObject({
  topic: topicName,
  /** Create the topic with cleanup.policy=compact. */
  compacted: z.boolean().default(false),
  /** `key`: the grouping key (series id, trace id); `window`: `<key>@<window start>`, so a compacted topic keeps every window. */
  key: z.enum(['key', 'window']).default('key'),
  /**
   * `key`: the key's hash picks the partition. `input`: the task's own input partition, so a next level reading this
   * topic sees each partition in its writer's stream-time order (rollup levels); keys must be partition-local.
   */
  partition: z.enum(['key', 'input']).default('key'),
});

/** Writes each record to a topic; the stream goes on. */
export const toStep: StepComponent<typeof options> = {
  options,
  follows: ['items', 'results'],
  misplaced: 'to writes items or window results, so it cannot stand between window and aggregate, nor after assemble',
  output: (input) => input,
  writes: true,
  check: (o, ctx) => (o.key === 'window' && ctx.input !== 'results' ? [{ path: ['key'], message: 'key "window" needs window results: put this step after the aggregate' }] : []),
  apply(stage, o) {
    switch (stage.kind) {
      case 'items':
        return { kind: 'items', stream: stage.stream.to(o.topic, { compacted: o.compacted, partition: o.partition }) };
      case 'results': {
        const { function: fn, settings } = stage;
        const key = (r: WindowResult<string, unknown>) => (o.key === 'window' ? `${r.key}@${r.window.start}` : r.key);
        if (fn.avro) {
          // Self-describing records: Avro, framed with the schema id the registry gave when the worker started. They
          // carry their window, so they are dated when written: time retention then never deletes a replay's results.
          const { record } = fn.avro;
          const codec = fn.avro.codec(o.topic);
          const stream = stage.stream.to(o.topic, {
            compacted: o.compacted,
            partition: o.partition,
            dated: 'written',
            key,
            value: (r) => codec.encode(record(r, settings)),
            prepare: (config) => codec.prepare(config),
          });
          return { ...stage, stream };
        }
        const stream = stage.stream.to(o.topic, {
          compacted: o.compacted,
          partition: o.partition,
          key,
          value: (r) => toJson({ key: r.key, start: r.window.start, end: r.window.end, ...fn.values(r.aggregate) }),
        });
        return { ...stage, stream };
      }
      case 'windowed':
      case 'traces':
        throw new Error(this.misplaced);
    }
  },
};
