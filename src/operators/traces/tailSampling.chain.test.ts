// The whole chain in memory: otlp_spans records → assemble → tail_sample, compiled from YAML, against the oracle
// (every span of exactly the traces the policies select, late spans included); the topology file and its DSL twin
// write the same records.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE, chainInput, oracle, policySets, sampleTraces, testTraces, usesRateLimit, type SpanRecord } from '../../../test/fixtures/tailSampling.ts';
import { decodeTraces } from '../../otlp/index.ts';
import { topology, type Topology } from '../../runtime/index.ts';
import { TopologyTestDriver } from '../../runtime/testing.ts';
import { otlpSpans } from '../../sources/index.ts';
import { parseTopology } from '../../topology/load.ts';
import { policyOf } from '../../topology/steps/tailSample.ts';
import { formatProblem } from '../../topology/problems.ts';
import { lateTopicOf } from '../../runtime/task.ts';
import { assemble } from './assemble.ts';
import { tailSampling, type Policy } from './tailSampling.ts';

const SAMPLED = 'otlp_spans.sampled';
const NOW = BASE + 86_400_000;

/** A YAML policy list for the operator's policies (the step's mapping, backwards). */
function yamlPolicy(p: Policy): unknown {
  switch (p.type) {
    case 'always_sample':
      return { name: p.name, type: p.type };
    case 'latency':
      return { name: p.name, type: p.type, latency: { threshold_ms: p.thresholdMs, ...(p.upperThresholdMs !== undefined ? { upper_threshold_ms: p.upperThresholdMs } : {}) } };
    case 'status_code':
      return { name: p.name, type: p.type, status_code: { status_codes: p.statusCodes } };
    case 'string_attribute':
      return { name: p.name, type: p.type, string_attribute: { key: p.key, values: p.values, enabled_regex_matching: p.regex ?? false, invert_match: p.invert ?? false } };
    case 'numeric_attribute':
      return { name: p.name, type: p.type, numeric_attribute: { key: p.key, ...(p.min !== undefined ? { min_value: p.min } : {}), ...(p.max !== undefined ? { max_value: p.max } : {}), invert_match: p.invert ?? false } };
    case 'boolean_attribute':
      return { name: p.name, type: p.type, boolean_attribute: { key: p.key, value: p.value, invert_match: p.invert ?? false } };
    case 'span_count':
      return { name: p.name, type: p.type, span_count: { ...(p.min !== undefined ? { min_spans: p.min } : {}), ...(p.max !== undefined ? { max_spans: p.max } : {}) } };
    case 'probabilistic':
      return { name: p.name, type: p.type, probabilistic: { sampling_percentage: p.percentage, hash_salt: p.salt ?? '' } };
    case 'rate_limiting':
      return { name: p.name, type: p.type, rate_limiting: { [p.unit === 'spans' ? 'spans_per_second' : 'traces_per_second']: p.limit, per: p.per } };
    case 'and':
      return { name: p.name, type: p.type, and: { and_sub_policy: p.policies.map(yamlPolicy) } };
    case 'drop':
      return { name: p.name, type: p.type, drop: { drop_sub_policy: p.policies.map(yamlPolicy) } };
  }
}

function chainTopology(policies: readonly Policy[]): Topology {
  const yaml = `application: tail
source: {type: otlp_spans}
steps:
  - assemble: {gap: 1s, max_duration: 1m, late_horizon: 1h}
  - tail_sample:
      decision_ttl: 1h
      policies: ${JSON.stringify(policies.map(yamlPolicy))}
`;
  const result = parseTopology(yaml, 'tail.yaml');
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.topology;
}

function runChain(t: Topology, records: readonly SpanRecord[], crashAfter?: number) {
  const driver = new TopologyTestDriver(t, { now: () => NOW });
  for (const [i, r] of records.entries()) {
    driver.pipe([{ key: r.key, value: r.value, headers: r.headers, timestamp: BASE }]);
    if (crashAfter === i) {
      driver.commit();
      driver.crash();
    }
  }
  driver.commit();
  return driver;
}

const sampledSpans = (driver: TopologyTestDriver) =>
  driver
    .records(SAMPLED)
    .flatMap((r) => decodeTraces(r.value as Buffer).map((s) => `${s.traceId}/${s.spanId}`))
    .sort();

describe('otlp_spans → assemble → tail_sample', () => {
  it('writes every span of exactly the traces the policies select, late spans included', () => {
    fc.assert(
      fc.property(
        // The step refuses a list of drop policies only (the oracle test covers it on the operator).
        policySets.filter((p) => !usesRateLimit(p) && p.some((q) => q.type !== 'drop')),
        testTraces,
        fc.nat(),
        (policies, traces, crash) => {
          const { records, events } = chainInput(traces);
          const expected = [...oracle(policies, events).keptSpans].sort();
          // The YAML's policies are the same policies.
          const t = chainTopology(policies);
          expect(sampledSpans(runChain(t, records))).toEqual(expected);
          expect(sampledSpans(runChain(chainTopology(policies), records, crash % records.length))).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('topologies/tail-sampling.yaml writes what its DSL twin writes', () => {
    const file = parseTopology(readFileSync('topologies/tail-sampling.yaml', 'utf8'), 'tail-sampling.yaml');
    if (!file.ok) throw new Error(file.problems.map(formatProblem).join('\n'));
    const spec = file.spec.steps[1] as { tail_sample: { policies: Parameters<typeof policyOf>[0][] } };
    const twin = topology('tail-sampling')
      .stream(otlpSpans('otlp_spans', 'auto'))
      .process(assemble({ store: 'traces', gapMs: 10_000, maxDurationMs: 300_000, lateHorizonMs: 3_600_000, maxSpansPerTrace: 10_000, lateTopic: lateTopicOf('tail-sampling') }))
      .process(tailSampling({ policies: spec.tail_sample.policies.map(policyOf), topic: SAMPLED, store: 'tail-sampling', decisionTtlMs: 3_600_000 }))
      .build();
    const unique = sampleTraces(16, 20);
    const { records } = chainInput(unique);
    const fromFile = runChain(file.topology, records).records(SAMPLED);
    expect(fromFile.length).toBeGreaterThan(0);
    expect(runChain(twin, records).records(SAMPLED)).toEqual(fromFile);
    // The example keeps errors and slow traces whatever else happens.
    const kept = new Set(fromFile.map((r) => String(r.key)));
    for (const t of unique) {
      const spans = t.fragments[0].spans;
      const probe = spans.some((s) => /^\/(health|ready|live)z?$/.test(s.route));
      const error = spans.some((s) => s.status === 2);
      const slow = Math.max(...spans.map((s) => s.endMs)) - Math.min(...spans.map((s) => s.startMs)) >= 2_000;
      if (!probe && (error || slow)) expect(kept.has(t.traceId), t.traceId).toBe(true);
      if (probe) expect(kept.has(t.traceId), t.traceId).toBe(false);
    }
  });
});
