// Several gateways on one broker, as behind a load balancer or `docker compose up --scale`: with default settings
// they must not fence each other; and a gateway process told to stop (SIGTERM) answers what it already accepted.
import { request, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Traffic } from '../../src/gen/index.ts';
import { createGateway, type Gateway } from '../../src/ingest/index.ts';
import { registerSnappy } from '../../src/kafka/index.ts';
import { decodeTraces } from '../../src/otlp/index.ts';
import { startGatewayProcess } from '../e2e/gateway-process.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';

const T0 = 1_767_225_600_000; // 2026-01-01
const LOAD_MS = 4000;

beforeAll(() => registerSnappy());

function topicsFor(prefix: string) {
  return { traces: unique(`${prefix}-spans`), metrics: unique(`${prefix}-metrics`), logs: unique(`${prefix}-logs`) };
}

/** Span ids on a topic, read committed. */
async function spanIdsOn(topic: string, spans: number): Promise<string[]> {
  const ids: string[] = [];
  const messages = await readTopic(kafka(), topic, { quietMs: 3000, timeoutMs: 60_000 });
  for (const m of messages) for (const s of decodeTraces(m.value!)) ids.push(s.spanId);
  if (ids.length < spans) throw new Error(`${ids.length} of ${spans} spans on ${topic}`);
  return ids.sort();
}

describe('gateway replicas', () => {
  const client = kafka();
  const topics = topicsFor('replicas');
  const gateways: Gateway[] = [];

  beforeAll(async () => {
    // Default settings apart from ports and topics: in particular no transactional id.
    for (let i = 0; i < 2; i++) gateways.push(createGateway(client, { httpPort: 0, grpcPort: null, topics, partitions: 3 }));
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
  });

  it('two gateways with default settings under concurrent load answer every request 200, and Kafka has every span', async () => {
    const ports: number[] = [];
    for (const g of gateways) ports.push((await g.start()).httpPort);
    expect(gateways[0].options.transactionalId).not.toBe(gateways[1].options.transactionalId);

    const traffic = new Traffic({ seed: 5, startMs: T0 });
    const bodies = Array.from({ length: 600 }, () => traffic.encodedTraces(40));
    const statuses = new Map<number, number>();
    const sentSpanIds: string[] = [];
    let next = 0;
    const until = Date.now() + LOAD_MS;
    // Four clients per gateway, each with one request in flight at a time.
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        const port = ports[c % 2];
        while (Date.now() < until && next < bodies.length) {
          const body = bodies[next++].traces;
          const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-protobuf' } });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 200) for (const s of decodeTraces(body)) sentSpanIds.push(s.spanId);
        }
      }),
    );
    expect([...statuses.keys()]).toEqual([200]);
    expect(statuses.get(200)).toBeGreaterThan(50);
    for (const g of gateways) expect(g.producer.state).toBe('ready');

    expect(await spanIdsOn(topics.traces, sentSpanIds.length)).toEqual(sentSpanIds.sort());
  });
});

interface Answer {
  status: number;
  body: Buffer;
}

/** A POST whose first `sent` bytes are on the wire; `finish()` sends the rest and resolves with the answer. */
function halfSentPost(port: number, body: Buffer, sent: number): { finish: () => Promise<Answer> } {
  const req: ClientRequest = request({
    host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', agent: false,
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
  });
  req.write(body.subarray(0, sent));
  return {
    finish: () => {
      req.end(body.subarray(sent));
      return answer;
    },
  };
}

async function inflightBytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^otlp_ingest_inflight_bytes (\d+)/m.exec(text);
  return m === null ? 0 : Number(m[1]);
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('gateway process on SIGTERM', () => {
  it('stops accepting, answers the requests in flight, puts them on Kafka and exits 0', async () => {
    const traces = unique('drain-spans');
    const gateway = await startGatewayProcess(stackSettings().KAFKA_BROKERS, ['--no-grpc', '--partitions', '2', '--traces-topic', traces]);
    try {
      const traffic = new Traffic({ seed: 9, startMs: T0 });
      const bodies = Array.from({ length: 6 }, () => traffic.encodedTraces(100).traces);
      const halves = bodies.map((b) => Math.floor(b.length / 2));
      // Each request's handler has started and reserved the half it received: these are in flight.
      const posts = bodies.map((b, i) => halfSentPost(gateway.httpPort, b, halves[i]));
      const held = halves.reduce((a, b) => a + b, 0);
      while ((await inflightBytes(gateway.url)) < held) await new Promise((r) => setTimeout(r, 20));

      gateway.proc.kill('SIGTERM');
      while (!(await refusesConnections(gateway.httpPort))) await new Promise((r) => setTimeout(r, 20));

      const answers = await Promise.all(posts.map((p) => p.finish()));
      expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 200));
      expect(await gateway.stop(), gateway.output()).toBe(0);
      expect(gateway.output()).toContain('stopped cleanly');

      const sent = bodies.flatMap((b) => decodeTraces(b).map((s) => s.spanId)).sort();
      expect(await spanIdsOn(traces, sent.length)).toEqual(sent);
    } finally {
      if (gateway.proc.exitCode === null) gateway.proc.kill('SIGKILL');
    }
  });
});
