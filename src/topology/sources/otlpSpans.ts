// `otlp_spans`: one item per span, keyed by trace id, at the span's end time.
import type { Span } from '../../otlp/index.ts';
import { otlpSpans } from '../../sources/index.ts';
import type { SourceComponent } from '../component.ts';
import { otlpSourceOptions } from './otlpOptions.ts';

const options = otlpSourceOptions('otlp_spans');

/** Spans of an OTLP traces topic. */
export const otlpSpansSource: SourceComponent<typeof options, Span> = {
  description: 'spans, keyed by trace id',
  options,
  fields: {
    name: (s) => s.name,
    attributes: (s) => s.attributes,
    resource: (s) => s.resource.attributes,
    identity: (s) => s.spanId,
    numbers: {
      duration_ms: (s) => s.endTimeMs - s.startTimeMs + (s.endTimeNanos - s.startTimeNanos) / 1e6,
    },
  },
  create: (o) => otlpSpans(o.topic, o.encoding),
};
