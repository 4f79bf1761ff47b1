// The tail sampling topology on the real Kafka: generated traces (with late spans) are produced to a two-partition
// otlp_spans topic, otlp_spans → assemble → tail_sample runs in a worker, and the sampled topic — read back with our
// OTLP decoder, as a Collector's kafka receiver would read it — holds every span of exactly the traces the oracle
// keeps, each record keyed by its trace id, with the tenant header, on the trace's own partition. The decisions are
// counted on /metrics.
import { afterAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig } from '../../src/config/index.ts';
import { decodeTraces } from '../../src/otlp/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { policyOf } from '../../src/topology/steps/tailSample.ts';
import { recentBase } from '../fixtures/metricsChain.ts';
import { chainInput, oracle, sampleTraces, shiftTraces } from '../fixtures/tailSampling.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';
import { waitForAllCommitted } from '../helpers/workers.ts';

describe('tail sampling topology', () => {
  const workers: Worker[] = [];
  afterAll(async () => {
    for (const w of workers) await w.stop();
  });

  it('writes every span of exactly the traces the policies keep to the sampled topic, in the otlp_spans format', async () => {
    const client = kafka();
    const config = resolveConfig([envLayer(stackSettings())]);
    const id = unique('tail-sampling');
    const topics = { input: `${id}.spans`, sampled: `${id}.sampled`, late: `${id}.late` };
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.input, numPartitions: 2 }] });
    await admin.disconnect();

    const traces = shiftTraces(sampleTraces(4242, 12), recentBase());
    const { records, events } = chainInput(traces, 2);
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: topics.input, acks: -1, messages: records.map((r) => ({ partition: r.partition, key: r.key, value: r.value, headers: r.headers })) });
    await producer.disconnect();

    const yaml = `
application: ${id}
source: { type: otlp_spans, topic: ${topics.input} }
steps:
  - assemble: { gap: 2s, max_duration: 1m, late_horizon: 1h, late_topic: ${topics.late} }
  - tail_sample:
      topic: ${topics.sampled}
      decision_ttl: 1h
      policies:
        - { name: probes, type: drop, drop: { drop_sub_policy: [{ name: health, type: string_attribute, string_attribute: { key: http.route, values: ['^/health$'], enabled_regex_matching: true } }] } }
        - { name: errors, type: status_code, status_code: { status_codes: [ERROR] } }
        - { name: slow, type: latency, latency: { threshold_ms: 2500 } }
        - { name: server-errors, type: numeric_attribute, numeric_attribute: { key: http.response.status_code, min_value: 500, max_value: 599 } }
        - { name: some, type: and, and: { and_sub_policy: [{ name: pay, type: string_attribute, string_attribute: { key: http.route, values: [/api/pay] } }, { name: third, type: probabilistic, probabilistic: { sampling_percentage: 33 } }] } }
`;
    const loaded = parseTopology(yaml, `${id}.yaml`);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const worker = new Worker({ topology: loaded.topology, config, commitIntervalMs: 200, httpPort: 0 });
    workers.push(worker);
    await worker.start();
    await waitForAllCommitted(client, id, topics.input, []);

    const spec = loaded.spec.steps[1] as { tail_sample: { policies: Parameters<typeof policyOf>[0][] } };
    const expected = oracle(spec.tail_sample.policies.map(policyOf), events);
    const keptTraces = [...expected.kept.values()].filter(Boolean).length;
    // The generated traffic exercises both outcomes.
    expect(keptTraces).toBeGreaterThan(0);
    expect(keptTraces).toBeLessThan(expected.kept.size);

    const sampled = await readTopic(client, topics.sampled, { count: 1, quietMs: 3000, timeoutMs: 30_000 }).then(async (first) => (first.length > 0 ? readTopic(client, topics.sampled, { quietMs: 3000 }) : first));
    const partitionOf = new Map(records.map((r) => [r.key, r.partition]));
    const tenantOf = new Map(traces.map((t) => [t.traceId, t.tenant]));
    const spans: string[] = [];
    for (const message of sampled) {
      const key = message.key!.toString();
      for (const span of decodeTraces(message.value!)) {
        expect(span.traceId).toBe(key);
        spans.push(`${span.traceId}/${span.spanId}`);
      }
      expect(message.partition, key).toBe(partitionOf.get(key));
      expect(message.headers?.tenant?.toString(), key).toBe(tenantOf.get(key));
    }
    expect(spans.sort()).toEqual([...expected.keptSpans].sort());

    // The decisions are counted per policy on /metrics (summed over both tasks).
    const metrics = await (await fetch(`http://127.0.0.1:${worker.httpPort}/metrics`)).text();
    const total = (name: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith('otlp_streams_task_gauge{') && line.includes(name.replaceAll('"', '\\"')))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    expect(total('tail_sampling_traces_total{store="tail-sampling",decision="kept"}')).toBe(keptTraces);
    expect(total('tail_sampling_traces_total{store="tail-sampling",decision="dropped"}')).toBe(expected.kept.size - keptTraces);
    expect(total('policy="errors",decision="sampled"') + total('policy="errors",decision="not_sampled"') + total('policy="probes",decision="dropped"')).toBe(expected.kept.size);
  });
});
