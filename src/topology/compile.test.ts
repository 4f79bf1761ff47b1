import { describe, expect, it } from 'vitest';
import { deduplicate, summary, summarySerde, tumblingWindows } from '../operators/index.ts';
import { encodeMetrics, type MetricPoint } from '../otlp/index.ts';
import { toJson, topology, type Topology } from '../runtime/index.ts';
import type { OutgoingRecord } from '../runtime/task.ts';
import { TopologyTestDriver } from '../runtime/testing.ts';
import { otlpMetricPoints, pointValue } from '../sources/index.ts';
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

/** Runs one task of the topology over OTLP records (one per point batch) in memory; returns what it committed to `out`. */
function runPipeline(t: Topology, batches: MetricPoint[][]): OutgoingRecord[] {
  const driver = new TopologyTestDriver(t, { now: () => BASE + 86_400_000 });
  driver.pipe(batches.map((points) => ({ key: null, value: encodeMetrics(points), timestamp: BASE })));
  driver.commit();
  return driver.records('out');
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
    const values = fromYaml.map((o) => JSON.parse(String(o.value)));
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

const dedupYaml = `
application: points
source: {type: otlp_metrics, topic: in}
steps:
  - dedup: {horizon: 1m, store: seen}
  - to: {topic: out}
`;

describe('the dedup step', () => {
  const compiled = parseTopology(dedupYaml, 'dedup.yaml');
  if (!compiled.ok) throw new Error(compiled.problems.map(formatProblem).join('\n'));
  const dsl = () =>
    topology('points')
      .stream(otlpMetricPoints('in'))
      .process(deduplicate({ store: 'seen', horizon: 60_000, id: (r) => `${r.key}\u0000${r.timestamp}\u0000${r.value.type}:${r.value.timeNanos}` }))
      .to('out')
      .build();

  it('passes each point once when an export is sent twice, as its DSL twin does', () => {
    const batches = rollupInput(BASE);
    const twice = [...batches, ...batches];
    const fromYaml = runPipeline(compiled.topology, twice);
    expect(fromYaml).toHaveLength(batches.flat().length);
    expect(fromYaml).toEqual(runPipeline(dsl(), twice));
    expect(compiled.topology.stores.map((s) => [s.name, s.changelog])).toEqual([['seen', 'keys']]);
  });
});

describe('tenants', () => {
  it('are part of every series identity: the same series of two tenants rolls up apart, and results name their tenant', () => {
    const compiled = parseTopology(yaml, 'rollup.yaml');
    if (!compiled.ok) throw new Error(compiled.problems.map(formatProblem).join('\n'));
    const driver = new TopologyTestDriver(compiled.topology, { now: () => BASE + 86_400_000 });
    const batches = rollupInput(BASE);
    // interleaved, as both tenants send at the same time
    driver.pipe(batches.flatMap((points) => ['acme', 'globex'].map((tenant) => ({ key: null, value: encodeMetrics(points), timestamp: BASE, headers: { tenant } }))));
    driver.commit();
    const single = runPipeline(compiled.topology, batches);
    const out = driver.records('out');
    expect(out).toHaveLength(2 * single.length);
    for (const tenant of ['acme', 'globex']) {
      const ours = out.filter((r) => r.headers?.tenant === tenant);
      expect(ours.map((r) => r.key)).toEqual(single.map((r) => `${tenant}/${String(r.key)}`));
      expect(ours.map((r) => JSON.parse(String(r.value)).sum)).toEqual(single.map((r) => JSON.parse(String(r.value)).sum));
    }
  });
});
