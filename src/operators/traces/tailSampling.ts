// Tail sampling of assembled traces. A trace lives in one partition, so its task sees all of it and decides exactly —
// no load-balancing tier in front, unlike the Collector's tail_sampling processor. The first fragment of a trace is
// decided by the policies (tailSamplingPolicies.ts); the decision is remembered in a changelogged store for
// `decisionTtlMs` of stream time, and later (late) fragments follow it, so a kept trace is kept whole. Kept fragments
// go to the sampled topic in the otlp_spans format (an ExportTraceServiceRequest, uncompressed, keyed by the trace id
// in hex, with the tenant header) — what a Collector's kafka receiver reads — and are forwarded.
//
// Decisions depend only on the trace, the trace id's hash and stream time, and every piece of state they use (the
// decisions, the rate budgets) is in a store: a replay or a restored task decides every trace as the first run did.
import { encodeTraces, TENANT_HEADER, type Span } from '../../otlp/index.ts';
import type { ProcessorContext, ProcessorDefinition, ProcessorRecord } from '../../runtime/processor.ts';
import { keyValueStore } from '../../runtime/stores.ts';
import { jsonSerde, stringSerde, uvarintSerde, type KeyValueStore } from '../../state/index.ts';
import type { AssembledTrace } from './model.ts';
import { compilePolicy, type Evaluate, type Policy, type PolicyContext, type RateBudget } from './tailSamplingPolicies.ts';

export type { Policy, StatusName } from './tailSamplingPolicies.ts';

/** Options of `tailSampling`. */
export interface TailSamplingOptions {
  /** Policies; a trace is kept when no `drop` policy matches and some other policy samples it. */
  policies: readonly Policy[];
  /** The topic kept traces go to (otlp_spans format). */
  topic: string;
  /** Store of the decisions; its changelog is `<application>-<store>-changelog` (rate budgets: `<store>-rates`). */
  store: string;
  /** How long (stream time since the trace's last fragment) a decision is remembered for late fragments. */
  decisionTtlMs: number;
  /** Largest record value written; a fragment over it is split into several requests with the same key. */
  maxRecordBytes?: number;
}

/** Below Kafka's default max.message.bytes (1 MiB), leaving room for the key, headers and batch overhead. */
export const DEFAULT_MAX_RECORD_BYTES = 900_000;

const KEPT = 1;
const DROPPED = 0;

/** One record value per request: the spans as one request, or split in halves until each part fits. */
export function sampledRequests(spans: readonly Span[], maxBytes: number): { requests: Buffer[]; oversized: Span[] } {
  const requests: Buffer[] = [];
  const oversized: Span[] = [];
  const split = (part: readonly Span[]) => {
    const bytes = encodeTraces(part);
    if (bytes.length <= maxBytes) requests.push(bytes);
    else if (part.length === 1) oversized.push(part[0]);
    else {
      const half = Math.ceil(part.length / 2);
      split(part.slice(0, half));
      split(part.slice(half));
    }
  };
  if (spans.length > 0) split(spans);
  return { requests, oversized };
}

interface CompiledPolicy {
  name: string;
  evaluate: Evaluate;
  /** Votes: sampled / not sampled (dropped / not dropped for drop policies). */
  yes: number;
  no: number;
}

/** Keeps or drops whole traces by policy; writes kept traces to the sampled topic and forwards them. */
export function tailSampling(o: TailSamplingOptions): ProcessorDefinition<AssembledTrace, AssembledTrace> {
  if (o.policies.length === 0) throw new RangeError('tail sampling: at least one policy is needed');
  const names = o.policies.map((p) => p.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) throw new RangeError(`tail sampling: policy name "${repeated}" is used twice`);
  if (!(o.decisionTtlMs > 0)) throw new RangeError(`tail sampling: decision TTL must be > 0 ms, got ${o.decisionTtlMs}`);
  const maxBytes = o.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  // Each trace key maps to its decision; the TTL counts from the trace's latest fragment.
  const decisionStore = keyValueStore<string, number>({ name: o.store, keySerde: stringSerde, valueSerde: uvarintSerde, ttl: o.decisionTtlMs });
  // A budget is only read within its own second: a minute of TTL bounds the store to the services of the last minute.
  const rateStore = keyValueStore<string, RateBudget>({ name: `${o.store}-rates`, keySerde: stringSerde, valueSerde: jsonSerde<RateBudget>(), ttl: 60_000 });
  const label = `store="${o.store}"`;

  return {
    name: `tail sampling ${o.store}`,
    stores: [decisionStore, rateStore],
    outputs: { sampled: { topic: o.topic, coPartitioned: true } },
    create() {
      let ctx: ProcessorContext<AssembledTrace>;
      let decisions: KeyValueStore<string, number>;
      let rates: KeyValueStore<string, RateBudget>;
      const compile = (p: Policy): CompiledPolicy => ({ name: p.name, evaluate: compilePolicy(p), yes: 0, no: 0 });
      const drops = o.policies.filter((p) => p.type === 'drop').map(compile);
      const samplers = o.policies.filter((p) => p.type !== 'drop').map(compile);
      const traces = { kept: 0, dropped: 0 };
      const spans = { kept: 0, dropped: 0 };
      const lateFragments = { kept: 0, dropped: 0 };
      let undecidedFragments = 0;
      let oversizedSpans = 0;

      // Drop policies first: the first that matches drops the trace. Otherwise every other policy votes (each vote
      // counted, each rate limit spending only when it samples), and one sampling vote keeps the trace.
      const decide = (trace: AssembledTrace, record: ProcessorRecord<AssembledTrace>): boolean => {
        const streamTime = ctx.streamTime();
        const policyContext: PolicyContext = {
          streamTime: Number.isFinite(streamTime) ? streamTime : record.timestamp,
          budget: (key) => rates.get(key),
          spend: (key, budget) => rates.put(key, budget),
        };
        for (const drop of drops) {
          if (drop.evaluate(trace, policyContext)) {
            drop.yes++;
            return false;
          }
          drop.no++;
        }
        let keep = false;
        for (const sampler of samplers) {
          if (sampler.evaluate(trace, policyContext)) {
            sampler.yes++;
            keep = true;
          } else sampler.no++;
        }
        return keep;
      };

      const write = (trace: AssembledTrace, record: ProcessorRecord<AssembledTrace>) => {
        const headers: Record<string, string> = trace.tenant ? { [TENANT_HEADER]: trace.tenant } : {};
        const { requests, oversized } = sampledRequests(trace.spans, maxBytes);
        for (const value of requests) ctx.emit('sampled', { key: trace.traceId, timestamp: record.timestamp, value, headers });
        for (const span of oversized) {
          oversizedSpans++;
          ctx.deadLetter({ ...record, value: encodeTraces([span]) }, new Error(`span ${span.spanId} of trace ${trace.traceId} is over ${maxBytes} bytes even alone; not written to ${o.topic}`));
        }
      };

      return {
        init(context) {
          ctx = context;
          decisions = ctx.store(decisionStore);
          rates = ctx.store(rateStore);
          for (const p of samplers) {
            ctx.gauge(`tail_sampling_policy_decisions_total{${label},policy="${p.name}",decision="sampled"}`, () => p.yes);
            ctx.gauge(`tail_sampling_policy_decisions_total{${label},policy="${p.name}",decision="not_sampled"}`, () => p.no);
          }
          for (const p of drops) {
            ctx.gauge(`tail_sampling_policy_decisions_total{${label},policy="${p.name}",decision="dropped"}`, () => p.yes);
            ctx.gauge(`tail_sampling_policy_decisions_total{${label},policy="${p.name}",decision="not_dropped"}`, () => p.no);
          }
          for (const decision of ['kept', 'dropped'] as const) {
            ctx.gauge(`tail_sampling_traces_total{${label},decision="${decision}"}`, () => traces[decision]);
            ctx.gauge(`tail_sampling_spans_total{${label},decision="${decision}"}`, () => spans[decision]);
            ctx.gauge(`tail_sampling_late_fragments_total{${label},decision="${decision}"}`, () => lateFragments[decision]);
          }
          ctx.gauge(`tail_sampling_undecided_fragments_total{${label}}`, () => undecidedFragments);
          ctx.gauge(`tail_sampling_oversized_spans_total{${label}}`, () => oversizedSpans);
          ctx.gauge(`tail_sampling_decisions{${label}}`, () => decisions.size);
        },
        process(record) {
          const trace = record.value;
          const remembered = decisions.get(trace.key);
          let keep: boolean;
          if (remembered !== undefined) {
            keep = remembered === KEPT;
            lateFragments[keep ? 'kept' : 'dropped']++;
          } else {
            // A late fragment whose decision expired (or was never seen) is decided on what it carries: its spans and
            // the summary of the whole trace so far.
            if (trace.fragment > 0) undecidedFragments++;
            keep = decide(trace, record);
            traces[keep ? 'kept' : 'dropped']++;
          }
          // Written again for every fragment: the TTL then counts from the trace's latest fragment.
          decisions.put(trace.key, keep ? KEPT : DROPPED);
          spans[keep ? 'kept' : 'dropped'] += trace.spans.length;
          if (!keep) return;
          write(trace, record);
          ctx.forward(record);
        },
      };
    },
  };
}
