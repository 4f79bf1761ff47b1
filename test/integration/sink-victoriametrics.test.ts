// The influx sink on the real stack: topologies/sink-victoriametrics.yaml (this test's own application and topics)
// writes the 1m rollups of the metrics chain's traffic to the stack's VictoriaMetrics as line protocol, and the same
// worker sends them with remote write too (the remote_write sink against VictoriaMetrics), both through a TCP proxy
// this test can close. Read back through VictoriaMetrics' PromQL API, both equal brute force over the raw points; a
// replay writes the same timestamps and values again; a refused request lands in the dead-letter topic with the
// server's answer; the proxy closed for 60 s under load ends with every point stored and the memory bounded.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig, type Config } from '../../src/config/index.ts';
import { DLQ_HEADERS, DLQ_TOPIC } from '../../src/dlq/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { SINK_HEADER } from '../../src/sinks/util/index.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { chainLevel, MINUTE } from '../fixtures/metricsChain.ts';
import { preparedCodec } from '../fixtures/rollupRecords.ts';
import { capturedLogger, influxSeries, ORACLE_FIELDS, outageThroughProxy, prometheusSeries, rollupLoad, sendChainInput, sinkCounter } from '../fixtures/sinkChain.ts';
import { readTopic } from '../helpers/consume.ts';
import { seriesText } from '../helpers/promql.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';
import { tcpProxy, type TcpProxy } from '../helpers/tcpProxy.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PARTITIONS = 2;
const INFLUX = 'victoriametrics';
const REMOTE = 'vm-remote-write';

type Samples = Map<string, Array<[number, number]>>;

/** topologies/sink-victoriametrics.yaml with this test's application and source, sinks renamed, plus a remote_write sink (unless `remote` is undefined). */
function sinkTopology(application: string, source: string, names: { influx: string; remote?: string }) {
  const doc = parse(readFileSync('topologies/sink-victoriametrics.yaml', 'utf8')) as { application: string; source: { topic: string }; steps: Array<Record<string, Record<string, unknown>>> };
  doc.application = application;
  doc.source.topic = source;
  doc.steps[0].sink.name = names.influx;
  if (names.remote !== undefined) doc.steps.push({ sink: { type: 'remote_write', name: names.remote } });
  const loaded = parseTopology(stringify(doc), 'sink-victoriametrics.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.topology;
}

interface Matrix {
  status: string;
  error?: string;
  data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
}

/** Raw samples (duplicates included) of `selector` over `rangeMs` before `atMs`, of series whose labels pass `keep`. */
async function rawSeries(selector: string, atMs: number, rangeMs: number, keep: (labels: Record<string, string>) => boolean): Promise<Array<{ metric: Record<string, string>; values: Array<[number, number]> }>> {
  const params = new URLSearchParams({ query: `${selector}[${Math.ceil(rangeMs / 1000)}s]`, time: String(atMs / 1000) });
  const res = await fetch(`${stackSettings().VM_URL}/api/v1/query?${params}`);
  const body = (await res.json()) as Matrix;
  if (body.status !== 'success') throw new Error(`${selector}: ${body.error ?? res.status}`);
  return body.data.result.filter((r) => keep(r.metric)).map((r) => ({ metric: r.metric, values: r.values.map(([t, v]) => [Math.round(t * 1000), Number(v)] as [number, number]) }));
}

/**
 * Series as text (the `series` tag left out) with one sample per timestamp. VictoriaMetrics keeps a sample written
 * twice (a replay, a retried request) twice: every copy must carry the same value.
 */
function distinct(rows: Array<{ metric: Record<string, string>; values: Array<[number, number]> }>, fields?: readonly string[]): Samples {
  const out: Samples = new Map();
  for (const { metric, values } of rows) {
    const { series, ...labels } = metric;
    if (fields && !fields.some((f) => labels.__name__.endsWith(`_${f}`))) continue;
    if (fields) expect(series, seriesText(metric)).toMatch(/./);
    const byTime = new Map<number, number>();
    for (const [t, v] of values) {
      if (byTime.has(t)) expect(v, `${seriesText(metric)} at ${t}`).toBe(byTime.get(t));
      byTime.set(t, v);
    }
    out.set(seriesText(labels), [...byTime].sort(([a], [b]) => a - b));
  }
  return out;
}

const count = (s: Samples) => [...s.values()].reduce((n, v) => n + v.length, 0);

describe('influx sink (topologies/sink-victoriametrics.yaml) and remote_write sink on the real VictoriaMetrics', () => {
  const id = unique('vmsink');
  const vmUrl = stackSettings().VM_URL;
  const client = kafka();
  const topics = { input: `${id}.metrics`, rollup: `${id}.rollup.1m`, series: `${id}.series` };
  const base = Math.floor((Date.now() - 40 * MINUTE) / MINUTE) * MINUTE;
  const instanceOf = (host: string) => `${id}-${host}`;
  const ours = (labels: Record<string, string>) => (labels['service.instance.id'] ?? '').startsWith(`${id}-`);
  const workers: Worker[] = [];
  const log = capturedLogger();
  let config: Config;
  let proxy: TcpProxy;
  let expectedInflux: Samples;
  let expectedRemote: Samples;
  const readInflux = async () => distinct(await rawSeries('{__name__=~"chain[.].*"}', base + 17 * MINUTE, 17 * MINUTE, ours), ORACLE_FIELDS);
  const readRemote = async () => distinct(await rawSeries(`{job="chain",instance=~"${id}-host-.*"}`, base + 17 * MINUTE, 17 * MINUTE, () => true));
  const until = async (read: () => Promise<Samples>, samples: number, timeoutMs = 60_000) => {
    let got: Samples = new Map();
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(500)) {
      got = await read();
      if (count(got) >= samples) break;
    }
    return got;
  };

  beforeAll(async () => {
    config = resolveConfig([envLayer(stackSettings())]);
    const oracle = await sendChainInput(client, topics, base, instanceOf, PARTITIONS);
    expectedInflux = influxSeries(oracle, instanceOf);
    expectedRemote = prometheusSeries(oracle, instanceOf);

    const vm = new URL(vmUrl);
    proxy = await tcpProxy({ host: vm.hostname, port: Number(vm.port) });
    const proxied = `http://127.0.0.1:${proxy.port}`;
    const oneMinute = new Worker({ topology: chainLevel('topologies/metrics-rollup.yaml', `${id}-1m`, { source: topics.input, output: topics.rollup, series: topics.series }), config, logger: pino({ level: 'warn' }) });
    const sinks = new Worker({
      topology: sinkTopology(`${id}-vm`, topics.rollup, { influx: INFLUX, remote: REMOTE }),
      config,
      logger: log.logger,
      sinkTargets: { [INFLUX]: proxied, [REMOTE]: `${proxied}/api/v1/write` },
    });
    workers.push(oneMinute, sinks);
    await Promise.all([oneMinute.start(), sinks.start()]);
  });

  afterAll(async () => {
    for (const w of workers.reverse()) await w.stop();
    await proxy?.stop();
  });

  it('line protocol and remote write read back through PromQL equal brute force over the raw points', async () => {
    expect(await until(readInflux, count(expectedInflux))).toEqual(expectedInflux);
    expect(await until(readRemote, count(expectedRemote))).toEqual(expectedRemote);
    // One field per aggregate: the gauge's average and quantiles, the counter's rate, beside what the oracle checks.
    const names = new Set((await rawSeries('{__name__=~"chain[.].*"}', base + 17 * MINUTE, 17 * MINUTE, ours)).map((r) => r.metric.__name__));
    for (const name of ['chain.cpu_avg', 'chain.cpu_p50', 'chain.cpu_p99', 'chain.requests_rate', 'chain.requests_resets', 'chain.latency_avg', 'chain.latency_p90']) expect(names).toContain(name);
  });

  it('a request the server refuses lands in the dead-letter topic with its answer', async () => {
    // VictoriaMetrics takes any line protocol (it logs lines it cannot parse and answers 204); what it refuses is a
    // request to a path it does not serve: a sink configured with a wrong URL prefix.
    const refused = 'vm-refused';
    const worker = new Worker({ topology: sinkTopology(`${id}-refused`, topics.rollup, { influx: refused }), config, logger: pino({ level: 'error' }), sinkTargets: { [refused]: `${vmUrl}/wrong/prefix` } });
    workers.push(worker);
    await worker.start();
    const rows = 4 * 4 * 16;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && (await sinkCounter(worker, 'otlp_streams_sink_dead_letters_total', refused)) < rows; ) await sleep(500);
    expect(await sinkCounter(worker, 'otlp_streams_sink_dead_letters_total', refused)).toBe(rows);
    await worker.stop();
    workers.splice(workers.indexOf(worker), 1);
    const letters = (await readTopic(client, DLQ_TOPIC, { quietMs: 2_000, timeoutMs: 30_000 })).filter((m) => m.headers?.[SINK_HEADER]?.toString() === refused && m.headers?.[DLQ_HEADERS.sourceTopic]?.toString() === topics.rollup);
    expect(letters).toHaveLength(rows);
    for (const m of letters) {
      expect(m.headers![DLQ_HEADERS.error]!.toString()).toMatch(/^400 .*unsupported path requested: "\/wrong\/prefix\/api\/v2\/write"/);
      expect(JSON.parse(m.value!.toString())).toMatch(/^chain\.(cpu|requests|bytes|latency),/);
    }
  });

  it('a replay (a new consumer group from the start) writes the same timestamps and values', async () => {
    const replay = new Worker({
      topology: sinkTopology(`${id}-replay`, topics.rollup, { influx: 'vm-replay', remote: 'vm-replay-rw' }),
      config,
      logger: pino({ level: 'warn' }),
      sinkTargets: { 'vm-replay': vmUrl, 'vm-replay-rw': `${vmUrl}/api/v1/write` },
    });
    workers.push(replay);
    await replay.start();
    const rows = 4 * 4 * 16;
    const done = async () => Math.min(await sinkCounter(replay, 'otlp_streams_sink_rows_total', 'vm-replay'), await sinkCounter(replay, 'otlp_streams_sink_rows_total', 'vm-replay-rw'));
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && (await done()) < rows; ) await sleep(500);
    expect(await done()).toBe(rows);
    await replay.stop();
    workers.splice(workers.indexOf(replay), 1);
    // The copies VictoriaMetrics keeps carry the same values (checked in `distinct`); one per timestamp equals the oracle.
    expect(await until(readInflux, count(expectedInflux))).toEqual(expectedInflux);
    expect(await until(readRemote, count(expectedRemote))).toEqual(expectedRemote);
  });

  it('VictoriaMetrics unreachable for 60 s under load: the partitions pause, memory stays bounded, and every point arrives', { timeout: 180_000 }, async () => {
    const load = rollupLoad(client, await preparedCodec(topics.rollup, config), topics.rollup, id);
    const readLoadInflux = async () => distinct(await rawSeries('{__name__="sinktest.load_last"}', Date.now(), 60 * MINUTE, ours));
    const readLoadRemote = async () => distinct(await rawSeries(`sinktest_load{job="load",instance=~"${id}-load-.*"}`, Date.now(), 60 * MINUTE, () => true));
    while ((await readLoadInflux()).size < load.series || (await readLoadRemote()).size < load.series) await sleep(500);
    await outageThroughProxy(proxy, log, load);

    const every = Array.from({ length: load.series }, (_, s) => s);
    const wantInflux = new Map(every.map((s) => [seriesText({ __name__: 'sinktest.load_last', 'service.name': 'load', 'service.instance.id': `${id}-load-${s}` }), load.samples(s)]));
    const wantRemote = new Map(every.map((s) => [seriesText({ __name__: 'sinktest_load', job: 'load', instance: `${id}-load-${s}` }), load.samples(s)]));
    expect(await until(readLoadInflux, load.series * load.ticks())).toEqual(wantInflux);
    expect(await until(readLoadRemote, load.series * load.ticks())).toEqual(wantRemote);
  });
});
