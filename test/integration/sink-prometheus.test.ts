// The remote_write sink on the real stack: topologies/sink-prometheus.yaml (this test's own application and topics)
// sends the 1m rollups of the metrics chain's traffic to the stack's Prometheus, through a TCP proxy this test can
// close. Read back through PromQL, the samples equal brute force over the raw points; a replay leaves them as they
// were; a sample Prometheus refuses lands in the dead-letter topic with its answer; the proxy closed for 60 s under
// load ends with every sample stored and the worker's memory bounded.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig, type Config } from '../../src/config/index.ts';
import { DLQ_HEADERS, DLQ_TOPIC } from '../../src/dlq/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { SINK_HEADER } from '../../src/sinks/util/index.ts';
import { parseTopology } from '../../src/topology/index.ts';
import type { Attribute } from '../../src/otlp/index.ts';
import { chainLevel, MINUTE } from '../fixtures/metricsChain.ts';
import { capturedLogger, outageThroughProxy, prometheusSeries, rollupLoad, sendChainInput, sinkCounter } from '../fixtures/sinkChain.ts';
import { gaugeRollup, preparedCodec, produceRollups } from '../fixtures/rollupRecords.ts';
import { readTopic } from '../helpers/consume.ts';
import { seriesSamples, seriesText } from '../helpers/promql.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';
import { tcpProxy, type TcpProxy } from '../helpers/tcpProxy.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });
const PARTITIONS = 2;
const SINK = 'prometheus';

/** topologies/sink-prometheus.yaml with this test's application and source topic, and a sink name of its own. */
function sinkTopology(application: string, source: string, sinkName = SINK) {
  const doc = parse(readFileSync('topologies/sink-prometheus.yaml', 'utf8')) as { application: string; source: { topic: string }; steps: Array<{ sink?: { name: string } }> };
  doc.application = application;
  doc.source.topic = source;
  doc.steps[0].sink!.name = sinkName;
  const loaded = parseTopology(stringify(doc), 'sink-prometheus.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.topology;
}

describe('remote_write sink (topologies/sink-prometheus.yaml) on the real Prometheus', () => {
  const id = unique('promsink');
  const promUrl = stackSettings().PROM_URL;
  const client = kafka();
  const topics = { input: `${id}.metrics`, rollup: `${id}.rollup.1m`, series: `${id}.series` };
  // Recent windows: Prometheus refuses samples older than an hour before its newest one.
  const base = Math.floor((Date.now() - 40 * MINUTE) / MINUTE) * MINUTE;
  const instanceOf = (host: string) => `${id}-${host}`;
  const workers: Worker[] = [];
  const log = capturedLogger();
  let config: Config;
  let proxy: TcpProxy;
  let sinkWorker: Worker;
  let expected: Map<string, Array<[number, number]>>;
  const chainSelector = `{job="chain",instance=~"${id}-host-.*"}`;
  const readChain = () => seriesSamples(promUrl, chainSelector, base + 17 * MINUTE, 17 * MINUTE);

  beforeAll(async () => {
    config = resolveConfig([envLayer(stackSettings())]);
    expected = prometheusSeries(await sendChainInput(client, topics, base, instanceOf, PARTITIONS), instanceOf);

    const prom = new URL(promUrl);
    proxy = await tcpProxy({ host: prom.hostname, port: Number(prom.port) });
    const oneMinute = new Worker({ topology: chainLevel('topologies/metrics-rollup.yaml', `${id}-1m`, { source: topics.input, output: topics.rollup, series: topics.series }), config, logger: pino({ level: 'warn' }) });
    workers.push(oneMinute);
    sinkWorker = new Worker({ topology: sinkTopology(`${id}-prom`, topics.rollup), config, logger: log.logger, sinkTargets: { [SINK]: `http://127.0.0.1:${proxy.port}/api/v1/write` } });
    workers.push(sinkWorker);
    await Promise.all([oneMinute.start(), sinkWorker.start()]);
  });

  afterAll(async () => {
    for (const w of workers.reverse()) await w.stop();
    await proxy?.stop();
  });

  it('the samples read back through PromQL equal brute force over the raw points', async () => {
    const samples = expected.size === 0 ? 0 : [...expected.values()].reduce((n, s) => n + s.length, 0);
    let got = new Map<string, Array<[number, number]>>();
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(500)) {
      got = await readChain();
      if ([...got.values()].reduce((n, s) => n + s.length, 0) >= samples) break;
    }
    expect(got).toEqual(expected);
    // Labels sorted and unique, as sent: PromQL gives them back as a set, so check the written shape on one series.
    expect([...got.keys()].some((k) => k.startsWith('chain_latency_bucket{') && k.includes('le="+Inf"') && k.includes('tenant="acme"'))).toBe(true);
  });

  it('a sample Prometheus refuses (hours old) lands in the dead-letter topic with its answer; the rest of the batch lands', async () => {
    const codec = await preparedCodec(topics.rollup, config);
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    const resource = (who: string) => [str('service.name', 'chain'), str('service.instance.id', `${id}-${who}`)];
    const old = gaugeRollup(codec, { name: 'sinktest.gauge', resource: resource('old'), tenant: '', start: now - 4 * 60 * MINUTE, end: now - 4 * 60 * MINUTE + MINUTE, values: [7] });
    const fresh = gaugeRollup(codec, { name: 'sinktest.gauge', resource: resource('fresh'), tenant: '', start: now - 2 * MINUTE, end: now - MINUTE, values: [3, 5] });
    await produceRollups(client, topics.rollup, [{ ...old, tenant: '' }, { ...fresh, tenant: '' }]);

    const dead = async () => (await readTopic(client, DLQ_TOPIC, { quietMs: 2_000, timeoutMs: 30_000 })).filter((m) => m.headers?.[DLQ_HEADERS.sourceTopic]?.toString() === topics.rollup && m.headers?.[SINK_HEADER]?.toString() === SINK);
    let letters = await dead();
    for (const deadline = Date.now() + 30_000; letters.length === 0 && Date.now() < deadline; await sleep(1_000)) letters = await dead();
    expect(letters).toHaveLength(1);
    expect(letters[0].headers![DLQ_HEADERS.error]!.toString()).toBe('400 out of bounds');
    expect(letters[0].value!.toString()).toContain(`${id}-old`);
    const back = await seriesSamples(promUrl, `sinktest_gauge{instance="${id}-fresh"}`, now, 10 * MINUTE);
    expect([...back.values()]).toEqual([[[now - MINUTE, 5]]]);
  });

  it('a replay (a new consumer group from the start) leaves the stored samples unchanged', async () => {
    const before = await readChain();
    expect(before).toEqual(expected);
    const replaySink = `${SINK}-replay`;
    const replay = new Worker({ topology: sinkTopology(`${id}-replay`, topics.rollup, replaySink), config, logger: pino({ level: 'error' }), sinkTargets: { [replaySink]: `${promUrl}/api/v1/write` } });
    workers.push(replay);
    await replay.start();
    // Every record of the topic is either acknowledged or refused: 256 windows of the chain, the old and the fresh one.
    const total = 4 * 4 * 16 + 2;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(500)) {
      const done = (await sinkCounter(replay, 'otlp_streams_sink_rows_total', replaySink)) + (await sinkCounter(replay, 'otlp_streams_sink_dead_letters_total', replaySink));
      if (done >= total) break;
    }
    const accepted = await sinkCounter(replay, 'otlp_streams_sink_rows_total', replaySink);
    const refused = await sinkCounter(replay, 'otlp_streams_sink_dead_letters_total', replaySink);
    expect(accepted + refused).toBe(total);
    // Prometheus takes a series' newest sample again (an exact duplicate) and refuses the older ones as out of order.
    expect(accepted).toBeGreaterThanOrEqual(4 * 4);
    const letters = (await readTopic(client, DLQ_TOPIC, { quietMs: 2_000, timeoutMs: 30_000 })).filter((m) => m.headers?.[SINK_HEADER]?.toString() === replaySink && m.headers?.[DLQ_HEADERS.sourceTopic]?.toString() === topics.rollup);
    expect(letters).toHaveLength(refused);
    for (const m of letters) expect(m.headers![DLQ_HEADERS.error]!.toString()).toMatch(/^400 (out of order sample|out of bounds)$/);
    expect(await readChain()).toEqual(before);
    await replay.stop();
    workers.splice(workers.indexOf(replay), 1);
  });

  it('Prometheus unreachable for 60 s under load: the partitions pause, memory stays bounded, and every sample arrives', { timeout: 180_000 }, async () => {
    const load = rollupLoad(client, await preparedCodec(topics.rollup, config), topics.rollup, id);
    const loadSelector = `sinktest_load{job="load",instance=~"${id}-load-.*"}`;
    while ((await seriesSamples(promUrl, loadSelector, Date.now(), 60 * MINUTE)).size < load.series) await sleep(500);
    await outageThroughProxy(proxy, log, load);

    const want = new Map(Array.from({ length: load.series }, (_, s) => [seriesText({ __name__: 'sinktest_load', job: 'load', instance: `${id}-load-${s}` }), load.samples(s)]));
    let got = new Map<string, Array<[number, number]>>();
    const ticks = load.ticks();
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(1_000)) {
      got = await seriesSamples(promUrl, loadSelector, load.base + (ticks + 1) * load.step, (ticks + 2) * load.step);
      if ([...got.values()].reduce((n, v) => n + v.length, 0) >= load.series * ticks) break;
    }
    expect(got).toEqual(want);
  });
});
