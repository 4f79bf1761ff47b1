import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { summary, summarySerde, taskRecord, tumblingWindows, type TaskEvent } from '../operators/index.ts';
import { encodeMetrics, type MetricPoint } from '../otlp/index.ts';
import { toJson, topology, type Flow, type TaskContext, type TaskOutput, type Topology } from '../runtime/index.ts';
import { otlpMetricPoints, pointValue } from '../sources/index.ts';
import type { ChangeCapture } from '../state/index.ts';
import { parseTopology } from './load.ts';
import { formatProblem } from './problems.ts';
import { rollupInput } from './testdata/metricPoints.ts';

const BASE = Date.UTC(2026, 0, 1);

const yaml = `
application: rollup
source: {type: otlp_metrics, topic: in}
steps:
  - filter: {name: "test.*", type: gauge}
  - window: {type: tumbling, size: 10s}
  - aggregate: {function: summary, field: value, store: s}
  - to: {topic: out}
`;

/** The same topology written with the DSL. */
function dslTopology(): Topology {
  return topology('rollup')
    .stream(otlpMetricPoints('in'))
    .filter((p: MetricPoint) => p.type === 'gauge' && p.metric.name.startsWith('test.'))
    .filter((p) => Number.isFinite(pointValue(p)))
    .windowedBy(tumblingWindows(10_000))
    .aggregate(summary((p: MetricPoint) => pointValue(p)!), { store: 's', serde: summarySerde })
    .to('out', { compacted: false, value: (r) => toJson({ key: r.key, start: r.window.start, end: r.window.end, ...r.aggregate }) })
    .build();
}

/** Runs one task's pipeline over OTLP records (one per point batch) with in-memory stores; returns its outputs. */
function runPipeline(t: Topology, batches: MetricPoint[][]): TaskOutput[] {
  const stores = new Map(t.stores.map((s) => [s.name, s.create()]));
  const ctx: TaskContext = {
    application: t.application,
    topic: t.source.topic,
    partition: 0,
    store: <S extends ChangeCapture<unknown>>(name: string) => stores.get(name) as S,
    streamTime: { current: -Infinity },
    gauges: new Map(),
  };
  const input = new Subject<Flow<unknown>>();
  const outputs: TaskOutput[] = [];
  input.pipe(t.pipeline(ctx)).subscribe((flow) => {
    if (flow.kind === 'output') outputs.push(flow.output);
  });
  batches.forEach((points, offset) => {
    const message = { topic: 'in', partition: 0, offset: String(offset), key: null, value: encodeMetrics(points), timestamp: BASE, headers: {} };
    for (const item of t.source.decode(message)) input.next(taskRecord(item.key, item.timestamp, item.value, { topic: 'in', partition: 0, offset: String(offset) }) as TaskEvent<unknown>);
  });
  input.complete();
  return outputs;
}

describe('a compiled topology file', () => {
  const compiled = parseTopology(yaml, 'rollup.yaml');
  if (!compiled.ok) throw new Error(compiled.problems.map(formatProblem).join('\n'));

  it('declares what the DSL topology declares', () => {
    const dsl = dslTopology();
    expect(compiled.topology.application).toBe(dsl.application);
    expect(compiled.topology.source.topic).toBe(dsl.source.topic);
    expect(compiled.topology.stores.map((s) => s.name)).toEqual(dsl.stores.map((s) => s.name));
    expect(compiled.topology.outputs).toEqual(dsl.outputs);
  });

  it('emits the same records as the DSL topology', () => {
    const batches = rollupInput(BASE);
    const fromYaml = runPipeline(compiled.topology, batches);
    expect(fromYaml).toEqual(runPipeline(dslTopology(), batches));
    // Two test.* series, two closed windows each; the other gauge and the histogram are not there.
    const values = fromYaml.map((o) => (o.kind === 'emit' ? JSON.parse(String(o.value)) : o));
    expect(values.map((v) => [v.start - BASE, v.count, v.sum, v.min, v.max])).toEqual(
      expect.arrayContaining([
        [0, 2, 42, 20, 22],
        [0, 1, 30, 30, 30],
        [10_000, 1, 25, 25, 25],
        [10_000, 1, 35, 35, 35],
      ]),
    );
    expect(values).toHaveLength(4);
  });
});
