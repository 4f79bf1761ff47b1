// ensureTopics against a broker that is still starting: a dedicated broker (the shared stack stays untouched) is
// killed and started again, and topics are created at once, while it refuses connections, loads its logs and
// propagates new topics to its metadata. They must come back usable (every partition takes a write at once), and an
// error that waiting cannot fix must fail at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from '../../src/kafka/kafkajs.ts';
import { ensureTopics } from '../../src/kafka/topics.ts';
import { cacheDir, DEFAULT_KAFKA_VERSION } from '../../src/stack/index.ts';
import { restartKafka, startKafka } from '../../src/stack/kafka.ts';
import { freePort, isAlive, stopProcess, type ManagedProcess } from '../../src/stack/processes.ts';
import type { ComponentContext } from '../../src/stack/types.ts';

describe('ensureTopics on a restarting broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'otlp-topics-'));
  const procs: ManagedProcess[] = [];
  const ctx: ComponentContext = { dir, cache: cacheDir(), port: () => freePort(), log: () => {}, spawned: (p) => procs.push(p) };

  afterAll(async () => {
    for (const p of procs) await stopProcess(p);
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates topics that take writes at once, right after a restart; fails fast on an invalid spec', async () => {
    const { brokers } = await startKafka(ctx, DEFAULT_KAFKA_VERSION);
    const kafka = new Kafka({ clientId: 'topics-test', brokers, logLevel: logLevel.NOTHING });
    await ensureTopics(kafka, [{ topic: 'before', numPartitions: 3 }]);

    process.kill(-procs[0].pid, 'SIGKILL');
    while (isAlive(procs[0].pid)) await new Promise((r) => setTimeout(r, 50));
    await restartKafka(ctx, DEFAULT_KAFKA_VERSION, { waitForReady: false });

    const started = Date.now();
    const counts = await ensureTopics(kafka, [{ topic: 'after', numPartitions: 6 }, { topic: 'before', numPartitions: 3 }], { waitMs: 90_000 });
    console.log(`topics ready ${Date.now() - started} ms after the restart began`);
    expect(Object.fromEntries(counts)).toEqual({ after: 6, before: 3 });

    // Ready means usable: one acks=all write to every partition, with no retry allowed.
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      const sent = await producer.send({ topic: 'after', acks: -1, messages: Array.from({ length: 6 }, (_, p) => ({ partition: p, value: `p${p}` })) });
      expect(sent.map((r) => r.partition).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await producer.disconnect();
    }

    const invalid = Date.now();
    await expect(ensureTopics(kafka, [{ topic: 'bad', numPartitions: 2, config: { 'cleanup.policy': 'no-such-policy' } }], { waitMs: 60_000 })).rejects.toThrow(/creating topics bad/);
    expect(Date.now() - invalid).toBeLessThan(10_000);
  });
});
