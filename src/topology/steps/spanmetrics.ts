// `spanmetrics`: spans → the OpenTelemetry Collector spanmetrics connector's calls and duration metrics, as delta
// metric points keyed by tenant and series id, for a window and aggregate (or a topic) to roll up. docs/spanmetrics.md.
import { z } from 'zod';
import { spanMetricsProcessor } from '../../operators/spanmetrics/index.ts';
import type { Finding, StepComponent } from '../component.ts';
import { positiveDuration } from '../duration.ts';

const DEFAULT_DIMENSIONS = ['service.name', 'span.name', 'span.kind', 'status.code'] as const;

const options = z.strictObject({
  /** Prefix of the metric names (`<namespace>.calls`, `<namespace>.duration`); '' for none. */
  namespace: z.string().default('traces.span.metrics'),
  /** Extra dimensions: a span attribute, else a resource attribute, else `default`, else left out. */
  dimensions: z.array(z.strictObject({ name: z.string().min(1), default: z.string().optional() })).default([]),
  /** Default dimensions to leave out. */
  exclude_dimensions: z.array(z.enum(DEFAULT_DIMENSIONS)).default([]),
  histogram: z
    .strictObject({
      /** Turns the duration histogram off (calls only). */
      disable: z.boolean().default(false),
      /** Unit of the recorded durations. */
      unit: z.enum(['ms', 's']).default('ms'),
      /** Explicit bounds (default 2ms … 15s, the connector's). */
      explicit: z.strictObject({ buckets: z.array(positiveDuration).min(1) }).optional(),
      /** Exponential buckets instead; max_size is the downstream aggregator's 160 per sign, the connector's default. */
      exponential: z.strictObject({ max_size: z.literal(160).default(160) }).optional(),
    })
    .optional(),
  /** The points' resource keeps only these attributes (all when empty). */
  resource_metrics_key_attributes: z.array(z.string().min(1)).default([]),
});

type Options = z.output<typeof options>;

/** Span metrics; only after an otlp_spans source. */
export const spanMetricsStep: StepComponent<typeof options> = {
  options,
  follows: ['items'],
  misplaced: 'spanmetrics turns source spans into metric points, so it must come before the window step',
  output: () => 'items',
  itemsOf: 'otlp_metrics',
  check(o, ctx) {
    const findings: Finding[] = [];
    if (ctx.sourceType !== 'otlp_spans') findings.push({ path: [], message: `spanmetrics reads spans: it needs an otlp_spans source, not ${ctx.sourceType}` });
    const seen = new Set<string>(DEFAULT_DIMENSIONS);
    o.dimensions.forEach((d, i) => {
      if (seen.has(d.name)) findings.push({ path: ['dimensions', i, 'name'], message: `dimension "${d.name}" is named twice (or is a default dimension)` });
      seen.add(d.name);
    });
    const buckets = o.histogram?.explicit?.buckets ?? [];
    buckets.forEach((b, i) => {
      if (i > 0 && b <= buckets[i - 1]) findings.push({ path: ['histogram', 'explicit', 'buckets', i], message: 'buckets must be strictly increasing' });
    });
    if (o.histogram?.explicit && o.histogram.exponential) findings.push({ path: ['histogram'], message: 'use either explicit or exponential buckets' });
    return findings;
  },
  apply(stage, o) {
    if (stage.kind !== 'items') throw new Error(this.misplaced);
    return { kind: 'items', stream: stage.stream.process(spanMetricsProcessor(operatorOptions(o))) };
  },
};

function operatorOptions(o: Options): Parameters<typeof spanMetricsProcessor>[0] {
  const unit = o.histogram?.unit ?? 'ms';
  const buckets = o.histogram?.explicit?.buckets.map((ms) => (unit === 'ms' ? ms : ms / 1000));
  return {
    namespace: o.namespace,
    dimensions: o.dimensions,
    excludeDimensions: o.exclude_dimensions,
    histogram: { kind: o.histogram?.exponential ? 'exponential' : 'explicit', unit, buckets, disable: o.histogram?.disable ?? false },
    resourceMetricsKeyAttributes: o.resource_metrics_key_attributes,
  };
}
