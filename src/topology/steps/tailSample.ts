// `tail_sample`: keeps or drops whole traces by policy (docs/tail-sampling.md). Follows `assemble`; kept traces go to
// a topic in the otlp_spans format (default `otlp_spans.sampled`) and on to the next step. Policies are written as the
// OpenTelemetry Collector's tail_sampling processor writes them (`name`, `type`, and a block named after the type).
import { z } from 'zod';
import { tailSampling, type Policy } from '../../operators/traces/tailSampling.ts';
import type { StepComponent } from '../component.ts';
import { positiveDuration } from '../duration.ts';
import { storeName, topicName } from '../names.ts';

/** A policy name: it labels the decision counts on /metrics. */
const policyName = z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, "expected a policy name (letters, digits, '.', '_', '-')");
const attributeKey = z.string().min(1, 'expected an attribute key');
const percentage = z.number().min(0).max(100);

// Leaf policies: each a mapping with name, type, and the type's block (always_sample has none).
const leafPolicies = [
  z.strictObject({ name: policyName, type: z.literal('always_sample') }),
  z.strictObject({
    name: policyName,
    type: z.literal('latency'),
    latency: z
      .strictObject({
        /** Traces at least this long (latest span end − earliest span start) are sampled. */
        threshold_ms: z.number().nonnegative(),
        /** …and at most this long, when given. */
        upper_threshold_ms: z.number().nonnegative().optional(),
      })
      .refine((o) => o.upper_threshold_ms === undefined || o.upper_threshold_ms >= o.threshold_ms, { path: ['upper_threshold_ms'], message: 'upper_threshold_ms must not be below threshold_ms' }),
  }),
  z.strictObject({
    name: policyName,
    type: z.literal('status_code'),
    status_code: z.strictObject({ status_codes: z.array(z.enum(['UNSET', 'OK', 'ERROR'])).min(1, 'expected at least one status code') }),
  }),
  z.strictObject({
    name: policyName,
    type: z.literal('string_attribute'),
    string_attribute: z
      .strictObject({
        key: attributeKey,
        values: z.array(z.string()).min(1, 'expected at least one value'),
        /** `values` are regular expressions (unanchored, as in the Collector). */
        enabled_regex_matching: z.boolean().default(false),
        /** Sampled when no span has a matching value. */
        invert_match: z.boolean().default(false),
      })
      .superRefine((o, ctx) => {
        if (!o.enabled_regex_matching) return;
        for (const [i, value] of o.values.entries()) {
          try {
            new RegExp(value, 'u');
          } catch (err) {
            ctx.addIssue({ code: 'custom', path: ['values', i], message: `not a regular expression: ${(err as Error).message}` });
          }
        }
      }),
  }),
  z.strictObject({
    name: policyName,
    type: z.literal('numeric_attribute'),
    numeric_attribute: z
      .strictObject({ key: attributeKey, min_value: z.number().optional(), max_value: z.number().optional(), invert_match: z.boolean().default(false) })
      .superRefine((o, ctx) => {
        if (o.min_value === undefined && o.max_value === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'expected min_value, max_value or both' });
        else if (o.min_value !== undefined && o.max_value !== undefined && o.max_value < o.min_value) ctx.addIssue({ code: 'custom', path: ['max_value'], message: 'max_value must not be below min_value' });
      }),
  }),
  z.strictObject({
    name: policyName,
    type: z.literal('boolean_attribute'),
    boolean_attribute: z.strictObject({ key: attributeKey, value: z.boolean(), invert_match: z.boolean().default(false) }),
  }),
  z.strictObject({
    name: policyName,
    type: z.literal('span_count'),
    span_count: z
      .strictObject({ min_spans: z.int().nonnegative().optional(), max_spans: z.int().nonnegative().optional() })
      .superRefine((o, ctx) => {
        if (o.min_spans === undefined && o.max_spans === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'expected min_spans, max_spans or both' });
        else if (o.min_spans !== undefined && o.max_spans !== undefined && o.max_spans < o.min_spans) ctx.addIssue({ code: 'custom', path: ['max_spans'], message: 'max_spans must not be below min_spans' });
      }),
  }),
  z.strictObject({
    name: policyName,
    type: z.literal('probabilistic'),
    probabilistic: z.strictObject({
      sampling_percentage: percentage,
      /** Changes which traces a percentage picks (two tail samplers with different salts choose independently). */
      hash_salt: z.string().default(''),
    }),
  }),
  z.strictObject({
    name: policyName,
    type: z.literal('rate_limiting'),
    rate_limiting: z
      .strictObject({
        spans_per_second: z.number().positive().optional(),
        traces_per_second: z.number().positive().optional(),
        /** `task`: one budget per partition; `root_service`: one per tenant and root service in each partition. */
        per: z.enum(['task', 'root_service']).default('task'),
      })
      .superRefine((o, ctx) => {
        if ((o.spans_per_second === undefined) === (o.traces_per_second === undefined)) ctx.addIssue({ code: 'custom', path: [], message: 'expected either spans_per_second or traces_per_second' });
      }),
  }),
] as const;

const leafPolicy = z.discriminatedUnion('type', [...leafPolicies]);

/** Sub-policies of `and` and `drop`: leaf policies, with names unique among them. */
function subPolicies(field: string) {
  return z.strictObject({
    [field]: z
      .array(leafPolicy)
      .min(1, 'expected at least one sub-policy')
      .superRefine((list, ctx) => uniqueNames(list, ctx)),
  });
}

const policy = z.discriminatedUnion('type', [
  ...leafPolicies,
  z.strictObject({ name: policyName, type: z.literal('and'), and: subPolicies('and_sub_policy') }),
  z.strictObject({ name: policyName, type: z.literal('drop'), drop: subPolicies('drop_sub_policy') }),
]);

function uniqueNames(list: readonly { name: string }[], ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  for (const [i, p] of list.entries()) {
    const at = first.get(p.name);
    if (at !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `policy name "${p.name}" is already used by [${at}]` });
    else first.set(p.name, i);
  }
}

const options = z.strictObject({
  /** Evaluated for every new trace; kept when no drop policy matches and some other policy samples. */
  policies: z
    .array(policy)
    .min(1, 'expected at least one policy')
    .superRefine((list, ctx) => {
      uniqueNames(list, ctx);
      if (list.every((p) => p.type === 'drop')) ctx.addIssue({ code: 'custom', path: [], message: 'only drop policies: every trace would be dropped; add a sampling policy' });
    }),
  /** Where kept traces go, in the otlp_spans format (a Collector's kafka receiver reads it). */
  topic: topicName.default('otlp_spans.sampled'),
  /** How long (stream time after a trace's latest fragment) its decision is remembered for late fragments; at least the assembler's late horizon. */
  decision_ttl: positiveDuration.default(3_600_000),
  /** Names the changelog topics `<application>-<store>-changelog` and `…-<store>-rates-changelog`. */
  store: storeName.default('tail-sampling'),
});

type PolicyOptions = z.output<typeof policy>;
type LeafPolicyOptions = z.output<typeof leafPolicy>;

/** A YAML policy as the operator's policy. */
export function policyOf(p: PolicyOptions): Policy {
  switch (p.type) {
    case 'and':
      return { name: p.name, type: 'and', policies: p.and.and_sub_policy.map(leafPolicyOf) };
    case 'drop':
      return { name: p.name, type: 'drop', policies: p.drop.drop_sub_policy.map(leafPolicyOf) };
    default:
      return leafPolicyOf(p);
  }
}

function leafPolicyOf(p: LeafPolicyOptions): Policy {
  const { name } = p;
  switch (p.type) {
    case 'always_sample':
      return { name, type: 'always_sample' };
    case 'latency':
      return { name, type: 'latency', thresholdMs: p.latency.threshold_ms, upperThresholdMs: p.latency.upper_threshold_ms };
    case 'status_code':
      return { name, type: 'status_code', statusCodes: p.status_code.status_codes };
    case 'string_attribute': {
      const o = p.string_attribute;
      return { name, type: 'string_attribute', key: o.key, values: o.values, regex: o.enabled_regex_matching, invert: o.invert_match };
    }
    case 'numeric_attribute': {
      const o = p.numeric_attribute;
      return { name, type: 'numeric_attribute', key: o.key, min: o.min_value, max: o.max_value, invert: o.invert_match };
    }
    case 'boolean_attribute': {
      const o = p.boolean_attribute;
      return { name, type: 'boolean_attribute', key: o.key, value: o.value, invert: o.invert_match };
    }
    case 'span_count':
      return { name, type: 'span_count', min: p.span_count.min_spans, max: p.span_count.max_spans };
    case 'probabilistic':
      return { name, type: 'probabilistic', percentage: p.probabilistic.sampling_percentage, salt: p.probabilistic.hash_salt };
    case 'rate_limiting': {
      const o = p.rate_limiting;
      const spans = o.spans_per_second !== undefined;
      return { name, type: 'rate_limiting', limit: (spans ? o.spans_per_second : o.traces_per_second)!, unit: spans ? 'spans' : 'traces', per: o.per };
    }
  }
}

/** Keeps whole traces that the policies select and writes them to the sampled topic. */
export const tailSampleStep: StepComponent<typeof options> = {
  options,
  follows: ['traces'],
  misplaced: 'tail_sample decides on whole traces, so it must follow the assemble step',
  output: () => 'traces',
  writes: true,
  claims: (o) => [`store "${o.store}"`, `store "${o.store}-rates"`],
  apply(stage, o) {
    if (stage.kind !== 'traces') throw new Error(this.misplaced);
    const definition = tailSampling({ policies: o.policies.map(policyOf), topic: o.topic, store: o.store, decisionTtlMs: o.decision_ttl });
    return { kind: 'traces', stream: stage.stream.process(definition) };
  },
};
