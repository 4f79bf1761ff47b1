// Tail sampling policies: what each one asks of a whole trace, with the OpenTelemetry Collector's tail_sampling names
// (latency, status_code, string/numeric/boolean attribute, span_count, probabilistic, rate_limiting, and, drop).
// Pure: a policy sees the trace, the task's stream time and the rate budgets it may spend, and answers yes or no.
// Nothing here reads the wall clock or a random source, so a replay decides every trace the same way.
import type { AnyValue, Span } from '../../otlp/index.ts';
import { StatusCode } from '../../otlp/index.ts';
import type { AssembledTrace } from './model.ts';

/** A status code by its OTLP name. */
export type StatusName = keyof typeof StatusCode;

/** A policy: one rule over a whole trace; `name` labels its decision counts. */
export type Policy =
  | { name: string; type: 'always_sample' }
  /** Trace duration (latest span end − earliest span start) in [thresholdMs, upperThresholdMs]. */
  | { name: string; type: 'latency'; thresholdMs: number; upperThresholdMs?: number }
  /** Some span has one of these statuses. */
  | { name: string; type: 'status_code'; statusCodes: readonly StatusName[] }
  /** Some span (span or resource attribute) has `key` as a string equal to one of `values`, or matching one as a regex. */
  | { name: string; type: 'string_attribute'; key: string; values: readonly string[]; regex?: boolean; invert?: boolean }
  /** Some span has `key` as a number in [min, max] (either bound optional). */
  | { name: string; type: 'numeric_attribute'; key: string; min?: number; max?: number; invert?: boolean }
  /** Some span has `key` as this boolean. */
  | { name: string; type: 'boolean_attribute'; key: string; value: boolean; invert?: boolean }
  /** The trace's span count in [min, max]. */
  | { name: string; type: 'span_count'; min?: number; max?: number }
  /** A fixed share of traces, chosen by a hash of the trace id (and salt): the same trace always gets the same answer. */
  | { name: string; type: 'probabilistic'; percentage: number; salt?: string }
  /**
   * At most `limit` spans (or traces) per second of stream time, per task or per tenant and root service: a trace
   * is sampled while the second's budget covers it, and then spends it.
   */
  | { name: string; type: 'rate_limiting'; limit: number; unit: 'spans' | 'traces'; per: 'task' | 'root_service' }
  /** Every sub-policy samples (evaluated in order, stopping at the first that does not: put rate limits last). */
  | { name: string; type: 'and'; policies: readonly Policy[] }
  /** Every sub-policy matches: the trace is dropped whatever the other policies say. */
  | { name: string; type: 'drop'; policies: readonly Policy[] };

/** A rate limit's use of one second of stream time. */
export interface RateBudget {
  /** The second (stream time / 1000, floored). */
  second: number;
  /** Spans or traces spent in that second. */
  used: number;
}

/** What policies may read and spend besides the trace. */
export interface PolicyContext {
  /** The task's stream time, ms. */
  streamTime: number;
  budget(key: string): RateBudget | undefined;
  spend(key: string, budget: RateBudget): void;
}

/** A compiled policy. */
export type Evaluate = (trace: AssembledTrace, ctx: PolicyContext) => boolean;

const NANOS_PER_MS = 1_000_000;

/** Compiles a policy (regexes once); `path` names its rate budgets (`<policy>` or `<policy>/<sub-policy>`). */
export function compilePolicy(policy: Policy, path: string = policy.name): Evaluate {
  switch (policy.type) {
    case 'always_sample':
      return () => true;
    case 'latency': {
      const low = policy.thresholdMs * NANOS_PER_MS;
      const high = policy.upperThresholdMs === undefined ? Infinity : policy.upperThresholdMs * NANOS_PER_MS;
      return (t) => t.summary.durationNanos >= low && t.summary.durationNanos <= high;
    }
    case 'status_code': {
      const codes = new Set(policy.statusCodes.map((name) => StatusCode[name] as number));
      return (t) => t.spans.some((s) => codes.has(s.statusCode));
    }
    case 'string_attribute': {
      const values = new Set(policy.values);
      const patterns = policy.regex ? policy.values.map((v) => new RegExp(v, 'u')) : [];
      const matches = policy.regex ? (v: string) => patterns.some((p) => p.test(v)) : (v: string) => values.has(v);
      return inverted(policy.invert, (t) => anyValue(t.spans, policy.key, (v) => v.type === 'string' && matches(v.value)));
    }
    case 'numeric_attribute': {
      const min = policy.min ?? -Infinity;
      const max = policy.max ?? Infinity;
      return inverted(policy.invert, (t) =>
        anyValue(t.spans, policy.key, (v) => {
          const n = v.type === 'int' ? Number(v.value) : v.type === 'double' ? v.value : NaN;
          return n >= min && n <= max;
        }),
      );
    }
    case 'boolean_attribute':
      return inverted(policy.invert, (t) => anyValue(t.spans, policy.key, (v) => v.type === 'bool' && v.value === policy.value));
    case 'span_count': {
      const min = policy.min ?? 0;
      const max = policy.max ?? Infinity;
      return (t) => t.summary.spans >= min && t.summary.spans <= max;
    }
    case 'probabilistic': {
      const threshold = probabilityThreshold(policy.percentage);
      const salt = policy.salt ?? '';
      return (t) => traceIdHash(t.traceId, salt) < threshold;
    }
    case 'rate_limiting':
      return (t, ctx) => {
        const key = policy.per === 'task' ? path : `${path}\u0000${t.tenant ?? ''}\u0000${t.summary.rootService}`;
        const cost = policy.unit === 'spans' ? t.spans.length : 1;
        const second = Math.floor(ctx.streamTime / 1000);
        const current = ctx.budget(key);
        const used = current !== undefined && current.second === second ? current.used : 0;
        if (used + cost > policy.limit) return false;
        ctx.spend(key, { second, used: used + cost });
        return true;
      };
    case 'and':
    case 'drop': {
      const parts = policy.policies.map((p) => compilePolicy(p, `${path}/${p.name}`));
      return (t, ctx) => parts.every((evaluate) => evaluate(t, ctx));
    }
  }
}

function inverted(invert: boolean | undefined, evaluate: Evaluate): Evaluate {
  return invert ? (t, ctx) => !evaluate(t, ctx) : evaluate;
}

/** Whether some span has attribute `key` (a span or a resource attribute) with a value that `test` accepts. */
function anyValue(spans: readonly Span[], key: string, test: (value: AnyValue) => boolean): boolean {
  const seen = new Set<object>();
  for (const span of spans) {
    if (span.attributes.some((a) => a.key === key && test(a))) return true;
    // Spans of one resource share its object: look at each resource once.
    if (seen.has(span.resource)) continue;
    seen.add(span.resource);
    if (span.resource.attributes.some((a) => a.key === key && test(a))) return true;
  }
  return false;
}

const TWO_64 = 1n << 64n;
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = TWO_64 - 1n;

/** The hash below which a trace is sampled at `percentage` (0–100): 2^64 · percentage / 100. */
export function probabilityThreshold(percentage: number): bigint {
  if (!(percentage >= 0 && percentage <= 100)) throw new RangeError(`probabilistic: percentage must be in [0, 100], got ${percentage}`);
  // Parts per 10^9 keep small percentages (0.001 %) exact enough without floating point at 2^64.
  return (TWO_64 * BigInt(Math.round(percentage * 1e7))) / 1_000_000_000n;
}

/**
 * A 64-bit hash of the salt's UTF-8 bytes followed by the trace id's bytes: FNV-1a, then MurmurHash3's finalizer so
 * that trace ids differing in a few bits (sequential test ids, not only random ones) spread evenly.
 */
export function traceIdHash(traceId: string, salt = ''): bigint {
  let h = FNV_OFFSET;
  for (const byte of Buffer.from(salt, 'utf8')) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK_64;
  for (let i = 0; i + 2 <= traceId.length; i += 2) h = ((h ^ BigInt(parseInt(traceId.slice(i, i + 2), 16))) * FNV_PRIME) & MASK_64;
  h ^= h >> 33n;
  h = (h * 0xff51afd7ed558ccdn) & MASK_64;
  h ^= h >> 33n;
  h = (h * 0xc4ceb9fe1a85ec53n) & MASK_64;
  h ^= h >> 33n;
  return h;
}
