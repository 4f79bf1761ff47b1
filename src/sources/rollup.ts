// A rollup topic (otlp.rollup.1m, …) as the input of the next level: each Rollup record becomes the partial it carries,
// keyed by its series, at its window start — so it falls in the one window of the coarser level that contains it.
import { fromRollupRecord, rollupCodec } from '../operators/metrics/rollupRecord.ts';
import type { PartialItem } from '../operators/metrics/metric.ts';
import type { SourceSpec } from '../runtime/topology.ts';

/** Partials of a rollup topic, read through the schema registry. */
export function rollupPartials(topic: string): SourceSpec<PartialItem> {
  const codec = rollupCodec(topic);
  return {
    topic,
    prepare: (config) => codec.prepare(config),
    decode(m) {
      if (!m.value || m.value.length === 0) throw new Error('empty record value: expected a Rollup record');
      const record = codec.decode(m.value);
      const window = { start: record.window_start, end: record.window_end, resolution: record.resolution };
      return [{ key: record.series, timestamp: record.window_start, value: { ...fromRollupRecord(record), window } }];
    },
  };
}
