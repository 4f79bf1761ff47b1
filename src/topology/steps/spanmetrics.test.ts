// The spanmetrics and servicegraph steps: options with defaults, the source rule, and what they compile into.
import { describe, expect, it } from 'vitest';
import { SpanKind } from '../../otlp/model.ts';
import { encodeTraces } from '../../otlp/encodeTraces.ts';
import { resource, span } from '../../operators/spanmetrics/testing.ts';
import { topology } from '../../runtime/dsl.ts';
import { TopologyTestDriver } from '../../runtime/testing.ts';
import type { SourceComponent, Stage, StepContext } from '../component.ts';
import { otlpMetricsSource } from '../sources/otlpMetrics.ts';
import { otlpSpansSource } from '../sources/otlpSpans.ts';
import { serviceGraphStep } from './servicegraph.ts';
import { spanMetricsStep } from './spanmetrics.ts';

const spansContext: StepContext = { application: 'app', source: otlpSpansSource as SourceComponent, sourceType: 'otlp_spans', input: 'items' };
const metricsContext: StepContext = { application: 'app', source: otlpMetricsSource as SourceComponent, sourceType: 'otlp_metrics', input: 'items' };

describe('spanmetrics step', () => {
  it('defaults to the connector’s namespace and no extra dimensions', () => {
    expect(spanMetricsStep.options.parse({})).toEqual({ namespace: 'traces.span.metrics', dimensions: [], exclude_dimensions: [], resource_metrics_key_attributes: [] });
  });

  it('refuses sources other than otlp_spans, repeated dimensions, unsorted buckets and both bucket kinds', () => {
    const o = spanMetricsStep.options.parse({
      dimensions: [{ name: 'span.name' }],
      histogram: { explicit: { buckets: ['10ms', '5ms'] }, exponential: {} },
    });
    const messages = spanMetricsStep.check!(o, metricsContext).map((f) => `${f.path.join('.')}: ${f.message}`);
    expect(messages).toEqual([
      ': spanmetrics reads spans: it needs an otlp_spans source, not otlp_metrics',
      'dimensions.0.name: dimension "span.name" is named twice (or is a default dimension)',
      'histogram.explicit.buckets.1: buckets must be strictly increasing',
      'histogram: use either explicit or exponential buckets',
    ]);
    expect(spanMetricsStep.check!(spanMetricsStep.options.parse({}), spansContext)).toEqual([]);
    expect(() => spanMetricsStep.options.parse({ exclude_dimensions: ['host'] })).toThrow();
  });
});

describe('servicegraph step', () => {
  it('defaults: a 10 s wait, the connector’s peer and database attributes', () => {
    expect(serviceGraphStep.options.parse({})).toMatchObject({ wait: 10_000, store: 'servicegraph', virtual_node_peer_attributes: ['peer.service', 'db.name', 'db.system'], database_name_attributes: ['db.name'], exponential_histogram: false });
    expect(serviceGraphStep.claims!(serviceGraphStep.options.parse({}))).toEqual(['store "servicegraph"']);
  });

  it('refuses sources other than otlp_spans', () => {
    const findings = serviceGraphStep.check!(serviceGraphStep.options.parse({ latency_histogram_buckets: ['1s', '1s'] }), metricsContext);
    expect(findings.map((f) => f.path.join('.'))).toEqual(['', 'latency_histogram_buckets.1']);
  });
});

describe('both steps after an otlp_spans source', () => {
  it('turn decoded spans into keyed metric points', () => {
    const frontend = resource({ 'service.name': 'frontend' });
    const trace = 'a'.repeat(32);
    const client = span({ resource: frontend, traceId: trace, spanId: '1'.repeat(16), kind: SpanKind.CLIENT, attributes: [{ key: 'db.name', type: 'string', value: 'orders' }] });
    let stage: Stage = { kind: 'items', stream: topology('app').stream(otlpSpansSource.create(otlpSpansSource.options.parse({ topic: 'in' }))) };
    const items = stage;
    stage = spanMetricsStep.apply(items, spanMetricsStep.options.parse({ histogram: { unit: 's' } }), spansContext);
    if (stage.kind !== 'items') throw new Error('items expected');
    const app = stage.stream.to('out').build();
    const driver = new TopologyTestDriver(app, { now: () => 10_000_000 });
    driver.pipe([{ key: trace, value: encodeTraces([client]), timestamp: 1 }]);
    driver.commit();
    const names = driver.records('out').map((r) => (JSON.parse(String(r.value)) as { metric: { name: string; unit: string } }).metric);
    expect(names).toEqual([expect.objectContaining({ name: 'traces.span.metrics.calls' }), expect.objectContaining({ name: 'traces.span.metrics.duration', unit: 's' })]);

    const graph = serviceGraphStep.apply({ kind: 'items', stream: topology('g').stream(otlpSpansSource.create(otlpSpansSource.options.parse({ topic: 'in' }))) }, serviceGraphStep.options.parse({}), spansContext);
    if (graph.kind !== 'items') throw new Error('items expected');
    const graphDriver = new TopologyTestDriver(graph.stream.to('out').build(), { now: () => 10_000_000 });
    graphDriver.pipe([{ key: trace, value: encodeTraces([client]), timestamp: 1 }]);
    graphDriver.commit();
    expect(graphDriver.records('out').map((r) => (JSON.parse(String(r.value)) as { metric: { name: string } }).metric.name)).toEqual([
      'traces_service_graph_request_total',
      'traces_service_graph_request_server',
      'traces_service_graph_request_client',
    ]);
  });
});
