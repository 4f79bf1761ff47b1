// Crash and scaling test of the metrics chain: the 1m and 5m levels run as `otlp-streams run` processes of the real
// topology files and are killed with SIGKILL in turn at random moments, then each level gets a second worker and the
// 1m level's first leaves. At the end otlp.rollup.1m and otlp.rollup.5m (read committed, decoded through the
// registry's own client) hold every window exactly once with the brute-force values. Every kill waits until the
// killed level has committed since the previous kill (or all its input), so restores have state to restore.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainOracle, chainTraffic, decodeRollups, MINUTE, recentBase, rollupView, writeChainLevel } from '../fixtures/metricsChain.ts';
import { readTopic } from '../helpers/consume.ts';
import { kafka, stackSettings, unique } from '../helpers/stack.ts';
import { seededRandom, startWorker, waitForAllCommitted, waitForProgress, type WorkerProcess } from '../helpers/workers.ts';

const PARTITIONS = 4;
const MINUTES = 60;

describe('metrics chain exactly-once under SIGKILL and scaling', () => {
  it('the 1m and 5m levels survive kills, a worker joining and one leaving, with every window once and exact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metrics-crash-'));
    const client = kafka();
    const id = unique('mcrash');
    const base = recentBase() - 2 * 3_600_000;
    const topics = { input: `${id}.metrics`, rollup1m: `${id}.rollup.1m`, rollup5m: `${id}.rollup.5m`, series: `${id}.series` };
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topics.input, numPartitions: PARTITIONS }] });
    await admin.disconnect();
    const running: WorkerProcess[] = [];
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      const { records, sent } = chainTraffic({ base, hosts: 40, partitions: PARTITIONS, minutes: MINUTES, seed: 11 });
      await producer.connect();
      // The input arrives in three parts: before the start, after the first kill of the 1m level (its restored
      // incarnation carries open windows, series and stream time over from the changelog into new records) and after
      // the levels scaled out.
      const parts = [records.slice(0, records.length / 3), records.slice(records.length / 3, (2 * records.length) / 3), records.slice((2 * records.length) / 3)];
      const send = async (part: typeof records) => {
        for (let i = 0; i < part.length; i += 2000) {
          await producer.send({ topic: topics.input, acks: -1, messages: part.slice(i, i + 2000).map((r) => ({ partition: r.partition, value: r.value, headers: r.tenant ? { tenant: r.tenant } : {} })) });
        }
      };
      await send(parts[0]);

      const levels = [
        { name: '1m', group: `${id}-1m`, input: topics.input, file: writeChainLevel(dir, 'topologies/metrics-rollup.yaml', `${id}-1m`, { source: topics.input, output: topics.rollup1m, series: topics.series }) },
        { name: '5m', group: `${id}-5m`, input: topics.rollup1m, file: writeChainLevel(dir, 'topologies/metrics-rollup-5m.yaml', `${id}-5m`, { source: topics.rollup1m, output: topics.rollup5m }) },
      ];
      const env = { ...stackSettings(), SESSION_TIMEOUT: '8000' };
      const start = async (level: (typeof levels)[number], name: string) => {
        const worker = startWorker(name, env, level.file);
        running.push(worker);
        await worker.waitFor('"msg":"running"', 120_000);
        return worker;
      };
      const workers = [await start(levels[0], '1m-0'), await start(levels[1], '5m-0')];

      const random = seededRandom(7);
      const committed = [0n, 0n];
      for (let kill = 1; kill <= 4; kill++) {
        const l = (kill + 1) % 2; // the 1m level first, while it still has most of its input ahead
        const level = levels[l];
        committed[l] = await waitForProgress(client, level.group, level.input, committed[l], [workers[l]]);
        await new Promise((r) => setTimeout(r, 200 + random() * 800));
        workers[l].child.kill('SIGKILL');
        await workers[l].exited;
        console.log(`kill ${kill}: ${level.name} level after ${committed[l]} committed input records`);
        workers[l] = await start(level, `${level.name}-${kill}`);
        if (kill === 1) await send(parts[1]);
      }

      // Scaling: a second worker joins each level (the partitions rebalance and move with their state), the last
      // part arrives, and once the 1m level has moved on, its older worker leaves the group cleanly.
      const joined = [await start(levels[0], '1m-joined'), await start(levels[1], '5m-joined')];
      await send(parts[2]);
      await producer.disconnect();
      committed[0] = await waitForProgress(client, levels[0].group, topics.input, committed[0], [workers[0], joined[0]]);
      workers[0].child.kill('SIGTERM');
      expect(await workers[0].exited, workers[0].output().slice(-2000)).toBe(0);
      console.log(`scaled: two workers per level, then the older 1m worker left after ${committed[0]} committed input records`);
      const remaining = [joined[0], workers[1], joined[1]];

      // Every input record of the 1m level committed, then every record it wrote committed by the 5m level.
      await waitForAllCommitted(client, levels[0].group, topics.input, [joined[0]]);
      await waitForAllCommitted(client, levels[1].group, topics.rollup1m, [workers[1], joined[1]]);
      for (const w of remaining) {
        w.child.kill('SIGTERM');
        expect(await w.exited, w.output().slice(-2000)).toBe(0);
      }

      const registry = new SchemaRegistry({ host: stackSettings().SCHEMA_REGISTRY_URL });
      const clean = (m: Map<string, unknown>) => new Map([...m].map(([k, v]) => [k, JSON.parse(JSON.stringify(v)) as unknown]));
      const expected1m = chainOracle(sent, MINUTE, base + MINUTES * MINUTE);
      const rows1m = await decodeRollups(registry, await readTopic(client, topics.rollup1m, { count: expected1m.size + 1, timeoutMs: 15_000 }));
      expect(clean(rollupView(rows1m))).toEqual(clean(expected1m));
      // Grace 3m: the 1m results end at minute 60, so 5m windows ending by minute 57 closed.
      const expected5m = chainOracle(sent, 5 * MINUTE, base + (MINUTES - 3) * MINUTE);
      const rows5m = await decodeRollups(registry, await readTopic(client, topics.rollup5m, { count: expected5m.size + 1, timeoutMs: 15_000 }));
      expect(clean(rollupView(rows5m))).toEqual(clean(expected5m));
    } finally {
      for (const w of running) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
