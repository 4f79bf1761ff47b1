// `servicegraph`: client/server span pairs of a trace → the OpenTelemetry Collector servicegraph connector's request
// counts and latency histograms per edge, as delta metric points keyed by tenant and series id. docs/spanmetrics.md.
import { z } from 'zod';
import { DEFAULT_DATABASE_NAME_ATTRIBUTES, DEFAULT_PEER_ATTRIBUTES, DEFAULT_SERVICE_GRAPH_WAIT_MS, serviceGraph } from '../../operators/spanmetrics/index.ts';
import type { Finding, StepComponent } from '../component.ts';
import { positiveDuration } from '../duration.ts';
import { storeName } from '../names.ts';

const options = z.strictObject({
  /** Stream time an unpaired client or server span waits for its other half before it expires. */
  wait: positiveDuration.default(DEFAULT_SERVICE_GRAPH_WAIT_MS),
  /** Names the changelog topic `<application>-<store>-changelog`. */
  store: storeName.default('servicegraph'),
  /** Most unpaired spans a task keeps; beyond, new ones are dropped and counted. */
  max_pending: z.int().positive().default(100_000),
  /** Attributes added as client_<name> / server_<name>. */
  dimensions: z.array(z.string().min(1)).default([]),
  /** Explicit latency bounds (default 2ms … 15s, the connector's), recorded in seconds. */
  latency_histogram_buckets: z.array(positiveDuration).min(1).optional(),
  /** Exponential latency histograms instead of explicit ones. */
  exponential_histogram: z.boolean().default(false),
  /** Client span attributes naming a virtual server, by priority; [] turns virtual nodes off. */
  virtual_node_peer_attributes: z.array(z.string().min(1)).default([...DEFAULT_PEER_ATTRIBUTES]),
  /** Adds the virtual_node attribute (client, server or '') to every edge. */
  virtual_node_extra_label: z.boolean().default(false),
  /** Attributes of a client span naming a database (its edge needs no server span). */
  database_name_attributes: z.array(z.string().min(1)).min(1).default([...DEFAULT_DATABASE_NAME_ATTRIBUTES]),
});

/** The service graph; only after an otlp_spans source. */
export const serviceGraphStep: StepComponent<typeof options> = {
  options,
  follows: ['items'],
  misplaced: 'servicegraph turns source spans into metric points, so it must come before the window step',
  output: () => 'items',
  itemsOf: 'otlp_metrics',
  claims: (o) => [`store "${o.store}"`],
  check(o, ctx) {
    const findings: Finding[] = [];
    if (ctx.sourceType !== 'otlp_spans') findings.push({ path: [], message: `servicegraph pairs spans of a trace: it needs an otlp_spans source (keyed by trace id), not ${ctx.sourceType}` });
    const buckets = o.latency_histogram_buckets ?? [];
    buckets.forEach((b, i) => {
      if (i > 0 && b <= buckets[i - 1]) findings.push({ path: ['latency_histogram_buckets', i], message: 'buckets must be strictly increasing' });
    });
    if (o.exponential_histogram && o.latency_histogram_buckets) findings.push({ path: ['latency_histogram_buckets'], message: 'exponential histograms take no buckets' });
    return findings;
  },
  apply(stage, o) {
    if (stage.kind !== 'items') throw new Error(this.misplaced);
    const definition = serviceGraph({
      store: o.store,
      wait: o.wait,
      maxPending: o.max_pending,
      dimensions: o.dimensions,
      latencyHistogramBuckets: o.latency_histogram_buckets?.map((ms) => ms / 1000),
      histogram: o.exponential_histogram ? 'exponential' : 'explicit',
      virtualNodePeerAttributes: o.virtual_node_peer_attributes,
      virtualNodeExtraLabel: o.virtual_node_extra_label,
      databaseNameAttributes: o.database_name_attributes,
    });
    return { kind: 'items', stream: stage.stream.process(definition) };
  },
};
