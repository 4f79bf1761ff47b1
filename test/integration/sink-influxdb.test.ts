// The influx sink against a real InfluxDB (the stack's 1.8, through its 2.x write API): topologies/sink-influxdb.yaml
// (this test's own application and topics) writes the 1m rollups of the metrics chain's traffic; read back with
// InfluxQL they equal brute force over the raw points; a replay leaves every point as it was (InfluxDB overwrites a
// point with the same measurement, tags and time); a point InfluxDB refuses (a field type conflict) lands in the
// dead-letter topic with InfluxDB's answer while the rest of its request lands. (The 60 s outage of this sink is
// tested against VictoriaMetrics in sink-victoriametrics.test.ts: the same code, through a proxy.)
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envLayer, resolveConfig, type Config } from '../../src/config/index.ts';
import { DLQ_HEADERS, DLQ_TOPIC } from '../../src/dlq/index.ts';
import type { Attribute } from '../../src/otlp/index.ts';
import { Worker } from '../../src/runtime/index.ts';
import { SINK_HEADER } from '../../src/sinks/util/index.ts';
import { parseTopology } from '../../src/topology/index.ts';
import { chainLevel, chainTraffic, MINUTE } from '../fixtures/metricsChain.ts';
import { influxSeries, ORACLE_FIELDS, sendChainInput, sinkCounter } from '../fixtures/sinkChain.ts';
import { readTopic } from '../helpers/consume.ts';
import { seriesText } from '../helpers/promql.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const str = (key: string, value: string): Attribute => ({ key, type: 'string', value });
const PARTITIONS = 2;

type Samples = Map<string, Array<[number, number]>>;

/** topologies/sink-influxdb.yaml with this test's application, source and sink name. */
function sinkTopology(application: string, source: string, name: string, bucket?: string) {
  const doc = parse(readFileSync('topologies/sink-influxdb.yaml', 'utf8')) as { application: string; source: { topic: string }; steps: Array<Record<string, Record<string, unknown>>> };
  doc.application = application;
  doc.source.topic = source;
  doc.steps[0].sink.name = name;
  if (bucket !== undefined) doc.steps[0].sink.bucket = bucket;
  const loaded = parseTopology(stringify(doc), 'sink-influxdb.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.topology;
}

interface InfluxResult {
  results: Array<{ error?: string; series?: Array<{ name: string; columns: string[]; values: Array<Array<string | number | null>> }> }>;
}

async function influxql(q: string, db = 'otlp'): Promise<InfluxResult> {
  const res = await fetch(`${stackSettings().INFLUX_URL}/query?${new URLSearchParams({ db, epoch: 'ms', q })}`, { method: /^(CREATE|DROP)/.test(q) ? 'POST' : 'GET' });
  if (!res.ok) throw new Error(`InfluxQL ${q}: ${res.status} ${await res.text()}`);
  return (await res.json()) as InfluxResult;
}

/** The chain's points in InfluxDB as samples per measurement_field and tags (the `series` tag left out), like influxSeries. */
async function readBack(instancePrefix: string): Promise<Samples> {
  const out: Samples = new Map();
  const body = await influxql(`SELECT * FROM /^chain[.]/ WHERE "service.instance.id" =~ /^${instancePrefix}/`);
  for (const series of body.results[0]?.series ?? []) {
    const tagColumns = ['host.name', 'service.instance.id', 'service.name', 'tenant'];
    for (const field of ORACLE_FIELDS) {
      const f = series.columns.indexOf(field);
      if (f < 0) continue;
      for (const row of series.values) {
        if (row[f] === null) continue;
        const labels: Record<string, string> = { __name__: `${series.name}_${field}` };
        for (const t of tagColumns) {
          const i = series.columns.indexOf(t);
          if (i >= 0 && row[i] !== null && row[i] !== '') labels[t] = String(row[i]);
        }
        const key = seriesText(labels);
        out.set(key, [...(out.get(key) ?? []), [Number(row[0]), Number(row[f])]]);
      }
    }
  }
  for (const samples of out.values()) samples.sort((a, b) => a[0] - b[0]);
  return out;
}

const count = (s: Samples) => [...s.values()].reduce((n, v) => n + v.length, 0);

describe('influx sink (topologies/sink-influxdb.yaml) on a real InfluxDB', () => {
  const id = unique('influxsink');
  const client = kafka();
  const topics = { input: `${id}.metrics`, rollup: `${id}.rollup.1m`, series: `${id}.series` };
  const base = Math.floor((Date.now() - 40 * MINUTE) / MINUTE) * MINUTE;
  const instanceOf = (host: string) => `${id}-${host}`;
  const workers: Worker[] = [];
  let config: Config;
  let expected: Samples;
  const until = async (samples: number, timeoutMs = 60_000) => {
    let got: Samples = new Map();
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(500)) {
      got = await readBack(`${id}-`);
      if (count(got) >= samples) break;
    }
    return got;
  };

  beforeAll(async () => {
    config = resolveConfig([envLayer(stackSettings())]);
    expected = influxSeries(await sendChainInput(client, topics, base, instanceOf, PARTITIONS), instanceOf);
    const oneMinute = new Worker({ topology: chainLevel('topologies/metrics-rollup.yaml', `${id}-1m`, { source: topics.input, output: topics.rollup, series: topics.series }), config, logger: pino({ level: 'warn' }) });
    workers.push(oneMinute);
    await oneMinute.start();
  });

  afterAll(async () => {
    for (const w of workers.reverse()) await w.stop();
  });

  it('writes points that read back through InfluxQL equal to brute force; a replay leaves them as they were', async () => {
    const sinks = new Worker({ topology: sinkTopology(`${id}-influx`, topics.rollup, 'influxdb'), config, logger: pino({ level: 'warn' }) });
    workers.push(sinks);
    await sinks.start();
    expect(await until(count(expected))).toEqual(expected);
    // One field per aggregate: beside what the oracle checks, the gauge's average and quantiles, the counter's rate.
    const fields = await influxql('SHOW FIELD KEYS FROM "chain.cpu"');
    expect(fields.results[0].series?.[0].values.map((v) => v[0])).toEqual(expect.arrayContaining(['avg', 'p50', 'p99', 'last', 'count']));

    const replay = new Worker({ topology: sinkTopology(`${id}-replay`, topics.rollup, 'influxdb-replay'), config, logger: pino({ level: 'warn' }) });
    workers.push(replay);
    await replay.start();
    const rows = 4 * 4 * 16;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && (await sinkCounter(replay, 'otlp_streams_sink_rows_total', 'influxdb-replay')) < rows; ) await sleep(500);
    expect(await sinkCounter(replay, 'otlp_streams_sink_rows_total', 'influxdb-replay')).toBe(rows);
    expect(await readBack(`${id}-`)).toEqual(expected);
  });

  it('a point InfluxDB refuses (field type conflict) lands in the dead-letter topic with its answer; the others land', async () => {
    // `points` of chain.bytes is an integer field; written first as a float, InfluxDB refuses the integer points of
    // chain.bytes (field types are per measurement and shard) and keeps the rest of the request. A database of its own,
    // since other runs' points of this week share the shard.
    const db = id.replace(/-/g, '_');
    await influxql(`CREATE DATABASE ${db}`);
    const host = 'host-0';
    const instance = `${id}-conflict-${host}`;
    const traffic = chainTraffic({ base, hosts: 1, partitions: 1, minutes: 16, resource: () => [str('service.name', 'chain'), str('service.instance.id', instance)] });
    const conflict = await fetch(`${stackSettings().INFLUX_URL}/api/v2/write?${new URLSearchParams({ bucket: db, org: 'otlp', precision: 'ms' })}`, {
      method: 'POST',
      body: `chain.bytes,host.name=${host},service.instance.id=${instance},service.name=chain points=1.5 ${base}`,
    });
    expect(conflict.status).toBe(204);
    const input = `${id}.conflict.metrics`;
    const rollup = `${id}.conflict.rollup.1m`;
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 1 }, { topic: rollup, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: input, acks: -1, messages: traffic.records.map((r) => ({ partition: 0, value: r.value, headers: r.tenant ? { tenant: r.tenant } : {} })) });
    await producer.disconnect();
    const level = new Worker({ topology: chainLevel('topologies/metrics-rollup.yaml', `${id}-conflict-1m`, { source: input, output: rollup, series: `${id}.conflict.series` }), config, logger: pino({ level: 'warn' }) });
    const sink = new Worker({ topology: sinkTopology(`${id}-conflict`, rollup, 'influxdb-conflict', db), config, logger: pino({ level: 'error' }) });
    workers.push(level, sink);
    await Promise.all([level.start(), sink.start()]);
    const rows = 4 * 16;
    const done = async () => (await sinkCounter(sink, 'otlp_streams_sink_rows_total', 'influxdb-conflict')) + (await sinkCounter(sink, 'otlp_streams_sink_dead_letters_total', 'influxdb-conflict'));
    for (const deadline = Date.now() + 90_000; Date.now() < deadline && (await done()) < rows; ) await sleep(500);
    expect(await sinkCounter(sink, 'otlp_streams_sink_dead_letters_total', 'influxdb-conflict')).toBe(16);
    const letters = (await readTopic(client, DLQ_TOPIC, { quietMs: 2_000, timeoutMs: 30_000 })).filter((m) => m.headers?.[SINK_HEADER]?.toString() === 'influxdb-conflict' && m.headers?.[DLQ_HEADERS.sourceTopic]?.toString() === rollup);
    expect(letters).toHaveLength(16);
    for (const m of letters) {
      expect(m.headers![DLQ_HEADERS.error]!.toString()).toMatch(/^400 .*field type conflict/);
      expect(JSON.parse(m.value!.toString())).toMatch(/^chain\.bytes,/);
    }
    const landed = await influxql(`SELECT count("last") FROM "chain.cpu" WHERE "service.instance.id" = '${instance}'`, db);
    await influxql(`DROP DATABASE ${db}`);
    expect(landed.results[0].series?.[0].values[0][1]).toBe(16);
  });
});
