// The tail_sample step: Collector-style policies parse into the operator's policies; bad ones are refused with the
// YAML path and line; the step must follow assemble.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AssembledTrace } from '../../operators/traces/model.ts';
import type { Stream } from '../../runtime/index.ts';
import type { StepComponent } from '../component.ts';
import { parseTopology } from '../load.ts';
import { formatProblem } from '../problems.ts';
import { registry } from '../registry.ts';
import { policyOf, tailSampleStep } from './tailSample.ts';

// Until the assemble step is registered (traceindex branch), a stand-in that turns items into the 'traces' stage.
const assembleStandIn: StepComponent = {
  options: z.looseObject({}),
  follows: ['items'],
  misplaced: 'assemble stand-in',
  output: () => 'traces',
  apply: (stage) => ({ kind: 'traces', stream: stage.stream as Stream<AssembledTrace> }),
};
const withAssemble = registry.steps.assemble ? registry : { ...registry, steps: { ...registry.steps, assemble: assembleStandIn } };

const file = (policies: string, extra = '') =>
  `application: ts\nsource: {type: otlp_spans}\nsteps:\n  - assemble: {}\n  - tail_sample:\n${extra}      policies:\n${policies}`;

function problems(text: string): string[] {
  const result = parseTopology(text, 't.yaml', withAssemble);
  return result.ok ? [] : result.problems.map(formatProblem);
}

describe('tail_sample step', () => {
  it('reads Collector-style policies, with defaults', () => {
    const parsed = tailSampleStep.options.parse({
      policies: [
        { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
        { name: 'slow', type: 'latency', latency: { threshold_ms: 2000 } },
        { name: 'route', type: 'string_attribute', string_attribute: { key: 'http.route', values: ['^/api/'], enabled_regex_matching: true } },
        { name: 'code', type: 'numeric_attribute', numeric_attribute: { key: 'http.response.status_code', min_value: 500 } },
        { name: 'forced', type: 'boolean_attribute', boolean_attribute: { key: 'app.force_sample', value: true } },
        { name: 'big', type: 'span_count', span_count: { min_spans: 100 } },
        {
          name: 'rest',
          type: 'and',
          and: {
            and_sub_policy: [
              { name: 'ten', type: 'probabilistic', probabilistic: { sampling_percentage: 10 } },
              { name: 'cap', type: 'rate_limiting', rate_limiting: { traces_per_second: 20, per: 'root_service' } },
            ],
          },
        },
        { name: 'health', type: 'drop', drop: { drop_sub_policy: [{ name: 'h', type: 'string_attribute', string_attribute: { key: 'http.route', values: ['/health'] } }] } },
        { name: 'everything', type: 'always_sample' },
      ],
    });
    expect(parsed.topic).toBe('otlp_spans.sampled');
    expect(parsed.decision_ttl).toBe(3_600_000);
    expect(parsed.store).toBe('tail-sampling');
    expect(parsed.policies.map(policyOf)).toEqual([
      { name: 'errors', type: 'status_code', statusCodes: ['ERROR'] },
      { name: 'slow', type: 'latency', thresholdMs: 2000, upperThresholdMs: undefined },
      { name: 'route', type: 'string_attribute', key: 'http.route', values: ['^/api/'], regex: true, invert: false },
      { name: 'code', type: 'numeric_attribute', key: 'http.response.status_code', min: 500, max: undefined, invert: false },
      { name: 'forced', type: 'boolean_attribute', key: 'app.force_sample', value: true, invert: false },
      { name: 'big', type: 'span_count', min: 100, max: undefined },
      {
        name: 'rest',
        type: 'and',
        policies: [
          { name: 'ten', type: 'probabilistic', percentage: 10, salt: '' },
          { name: 'cap', type: 'rate_limiting', limit: 20, unit: 'traces', per: 'root_service' },
        ],
      },
      { name: 'health', type: 'drop', policies: [{ name: 'h', type: 'string_attribute', key: 'http.route', values: ['/health'], regex: false, invert: false }] },
      { name: 'everything', type: 'always_sample' },
    ]);
  });

  it('topologies/tail-sampling.yaml loads', () => {
    expect(problems(readFileSync('topologies/tail-sampling.yaml', 'utf8'))).toEqual([]);
  });

  // Each case: the policy list (indented under `policies:` at line 7) and the problems expected.
  it.each([
    ['an unknown type', '        - {name: a, type: sometimes}\n', /t\.yaml:7:\d+ steps\[1\]\.tail_sample\.policies\[0\]\.type: .*always_sample/],
    ['a missing block', '        - {name: a, type: latency}\n', /t\.yaml:7:\d+ steps\[1\]\.tail_sample\.policies\[0\]\.latency: /],
    ['an unknown option', '        - {name: a, type: latency, latency: {threshold: 2s}}\n', /steps\[1\]\.tail_sample\.policies\[0\]\.latency(\.threshold_ms)?: /],
    ['an upper threshold below the threshold', '        - {name: a, type: latency, latency: {threshold_ms: 500, upper_threshold_ms: 100}}\n', /policies\[0\]\.latency\.upper_threshold_ms: upper_threshold_ms must not be below threshold_ms/],
    ['an unknown status', '        - {name: a, type: status_code, status_code: {status_codes: [FAILED]}}\n', /policies\[0\]\.status_code\.status_codes\[0\]: /],
    ['a bad regex', '        - {name: a, type: string_attribute, string_attribute: {key: k, values: [ok, "(open"], enabled_regex_matching: true}}\n', /t\.yaml:7:\d+ steps\[1\]\.tail_sample\.policies\[0\]\.string_attribute\.values\[1\]: not a regular expression/],
    ['a numeric policy without bounds', '        - {name: a, type: numeric_attribute, numeric_attribute: {key: k}}\n', /policies\[0\]\.numeric_attribute: expected min_value, max_value or both/],
    ['a percentage over 100', '        - {name: a, type: probabilistic, probabilistic: {sampling_percentage: 150}}\n', /policies\[0\]\.probabilistic\.sampling_percentage: /],
    ['a rate of both kinds', '        - {name: a, type: rate_limiting, rate_limiting: {spans_per_second: 1, traces_per_second: 1}}\n', /policies\[0\]\.rate_limiting: expected either spans_per_second or traces_per_second/],
    ['a rate per something unknown', '        - {name: a, type: rate_limiting, rate_limiting: {traces_per_second: 1, per: tenant}}\n', /policies\[0\]\.rate_limiting\.per: /],
    ['a repeated name', '        - {name: a, type: always_sample}\n        - {name: a, type: always_sample}\n', /t\.yaml:8:\d+ steps\[1\]\.tail_sample\.policies\[1\]\.name: policy name "a" is already used by \[0\]/],
    ['only drop policies', '        - {name: d, type: drop, drop: {drop_sub_policy: [{name: x, type: always_sample}]}}\n', /policies: only drop policies/],
    ['a nested and', '        - {name: a, type: and, and: {and_sub_policy: [{name: b, type: and, and: {and_sub_policy: []}}]}}\n', /policies\[0\]\.and\.and_sub_policy\[0\]\.type: /],
    ['an empty and', '        - {name: a, type: and, and: {and_sub_policy: []}}\n', /policies\[0\]\.and\.and_sub_policy: expected at least one sub-policy/],
    ['a bad policy name', '        - {name: "a b", type: always_sample}\n', /policies\[0\]\.name: expected a policy name/],
    ['no policies', '        []\n', /steps\[1\]\.tail_sample\.policies: expected at least one policy/],
  ])('refuses %s', (_case, policies, expected) => {
    const found = problems(file(policies));
    expect(found.length, found.join('\n')).toBeGreaterThan(0);
    expect(found.join('\n')).toMatch(expected);
  });

  it('refuses a bad decision_ttl and topic', () => {
    const found = problems(file('        - {name: a, type: always_sample}\n', '      decision_ttl: 60\n      topic: "no spaces"\n'));
    expect(found.join('\n')).toMatch(/steps\[1\]\.tail_sample\.decision_ttl: /);
    expect(found.join('\n')).toMatch(/steps\[1\]\.tail_sample\.topic: expected a Kafka topic name/);
  });

  it('must follow assemble', () => {
    const text = 'application: ts\nsource: {type: otlp_spans}\nsteps:\n  - tail_sample:\n      policies: [{name: a, type: always_sample}]\n';
    expect(problems(text)).toEqual(['t.yaml:5:7 steps[0].tail_sample: tail_sample decides on whole traces, so it must follow the assemble step']);
  });
});
