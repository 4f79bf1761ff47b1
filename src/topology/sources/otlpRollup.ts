// `otlp_rollup`: the partials of a rollup level (otlp.rollup.1m, …), for the `metric` aggregate of the next level.
import { z } from 'zod';
import type { PartialItem } from '../../operators/metrics/metric.ts';
import { rollupPartials } from '../../sources/index.ts';
import type { SourceComponent } from '../component.ts';
import { topicName } from '../names.ts';

const options = z.strictObject({
  /** The level below, e.g. otlp.rollup.1m for the 5m level. */
  topic: topicName,
});

const identity = (item: PartialItem) => item.partial.identity!;

/** Rollup records of a lower level, keyed by series at their window start. */
export const otlpRollupSource: SourceComponent<typeof options, PartialItem> = {
  description: 'partials of a rollup topic (Avro, schema registry), keyed by series',
  options,
  fields: {
    name: (item) => identity(item).metric.name,
    metricType: (item) => identity(item).metric.type,
    attributes: (item) => identity(item).attributes,
    resource: (item) => identity(item).resource,
    // A level writes one record per series and window: key and window start name it.
    identity: () => '',
    numbers: {},
  },
  create: (o) => rollupPartials(o.topic),
};
