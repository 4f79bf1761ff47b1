// Kafka fails under load: a dedicated broker (the shared stack stays untouched) is killed while clients keep
// sending to a gateway process, then restarted with its data. While it is down the gateway answers 503 with
// Retry-After and /readyz fails; afterwards every request that got 200 is on Kafka, and every other request
// is either wholly there or not at all (one transaction per group: nothing half-written).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from '../../src/kafka/kafkajs.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { Traffic } from '../../src/gen/index.ts';
import { registerSnappy } from '../../src/kafka/index.ts';
import { decodeTraces } from '../../src/otlp/index.ts';
import { cacheDir, DEFAULT_KAFKA_VERSION } from '../../src/stack/index.ts';
import { restartKafka, startKafka } from '../../src/stack/kafka.ts';
import { freePort, isAlive, stopProcess, type ManagedProcess } from '../../src/stack/processes.ts';
import type { ComponentContext } from '../../src/stack/types.ts';
import { readTopic } from '../helpers/consume.ts';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.ts';

interface Sent {
  status: number;
  retryAfter: string | null;
  spanIds: string[];
  phase: 'before' | 'down' | 'after';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gateway while Kafka fails', () => {
  const dir = mkdtempSync(join(tmpdir(), 'otlp-gw-failure-'));
  const procs: ManagedProcess[] = [];
  const ctx: ComponentContext = { dir, cache: cacheDir(), port: () => freePort(), log: () => {}, spawned: (p) => procs.push(p) };
  let gateway: GatewayProcess | undefined;

  afterAll(async () => {
    await gateway?.stop();
    for (const p of procs) await stopProcess(p);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while Kafka is down and loses no accepted request', async () => {
    const { brokers } = await startKafka(ctx, DEFAULT_KAFKA_VERSION);
    gateway = await startGatewayProcess(brokers.join(','), ['--no-grpc', '--partitions', '3', '--retry-after', '1', '--transactional-id', 'failure-gw']);
    const url = gateway.url;
    const sent: Sent[] = [];
    let phase: Sent['phase'] = 'before';
    let running = true;

    const client = async (seed: number) => {
      const traffic = new Traffic({ seed, startMs: 1_767_225_600_000 });
      while (running) {
        const { traces } = traffic.encodedTraces(40);
        const spanIds = decodeTraces(traces).map((s) => s.spanId);
        const at = phase;
        let status: number;
        let retryAfter: string | null = null;
        try {
          const res = await fetch(`${url}/v1/traces`, { method: 'POST', body: traces, headers: { 'Content-Type': 'application/x-protobuf' }, signal: AbortSignal.timeout(30_000) });
          status = res.status;
          retryAfter = res.headers.get('retry-after');
          await res.arrayBuffer();
        } catch {
          status = -1; // connection error or timeout: the client does not know
        }
        sent.push({ status, retryAfter, spanIds, phase: at });
        if (status !== 200) await sleep(100);
      }
    };
    const clients = [1, 2, 3, 4].map((seed) => client(seed));

    await sleep(3000);
    expect(sent.filter((s) => s.status === 200).length).toBeGreaterThan(10);
    const broker = procs[0];
    process.kill(-broker.pid, 'SIGKILL');
    while (isAlive(broker.pid)) await sleep(50);
    phase = 'down';
    await sleep(6000);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);

    await restartKafka(ctx, DEFAULT_KAFKA_VERSION);
    const deadline = Date.now() + 90_000;
    while ((await fetch(`${url}/readyz`)).status !== 200 && Date.now() < deadline) await sleep(250);
    phase = 'after';
    const afterStart = sent.length;
    while (sent.slice(afterStart).filter((s) => s.status === 200).length < 10 && Date.now() < deadline) await sleep(250);
    running = false;
    await Promise.all(clients);

    const down = sent.filter((s) => s.phase === 'down');
    expect(down.filter((s) => s.status === 503).length).toBeGreaterThan(0);
    for (const s of down.filter((x) => x.status === 503)) expect(s.retryAfter).toBe('1');
    expect(sent.filter((s) => s.phase === 'after' && s.status === 200).length).toBeGreaterThanOrEqual(10);

    registerSnappy();
    const reader = new Kafka({ clientId: 'failure-reader', brokers, logLevel: logLevel.NOTHING });
    const accepted = sent.filter((s) => s.status === 200);
    // A transaction whose commit reply was lost with the broker is completed by the coordinator after the restart,
    // partition by partition: read until every transaction is settled (or the time is up) before judging.
    const judge = async () => {
      const records = await readTopic(reader, 'otlp_spans', { quietMs: 5000, timeoutMs: 120_000 });
      const onKafka = new Set(records.flatMap((m) => decodeTraces(m.value!).map((s) => s.spanId)));
      const lost = accepted.filter((s) => s.spanIds.some((id) => !onKafka.has(id)));
      const partial = sent.filter((s) => s.status !== 200).filter((s) => {
        const found = s.spanIds.filter((id) => onKafka.has(id)).length;
        return found > 0 && found < s.spanIds.length;
      });
      return { onKafka, lost, partial };
    };
    let verdict = await judge();
    for (const until = Date.now() + 90_000; (verdict.lost.length > 0 || verdict.partial.length > 0) && Date.now() < until; ) {
      await sleep(3000);
      verdict = await judge();
    }
    const { onKafka, lost, partial } = verdict;
    expect(lost).toEqual([]);
    expect(partial).toEqual([]);
    console.log(
      `[failure] requests: ${sent.length}; 200: ${accepted.length}; 503: ${sent.filter((s) => s.status === 503).length}; ` +
        `other: ${sent.filter((s) => s.status !== 200 && s.status !== 503).length}; refused but wholly on Kafka: ` +
        `${sent.filter((s) => s.status !== 200 && s.spanIds.every((id) => onKafka.has(id))).length}`,
    );
    expect(await gateway.stop()).toBe(0);
  });
});
