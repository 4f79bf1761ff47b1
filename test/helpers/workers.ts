// Worker processes for the crash and scaling tests: spawn, watch their structured logs, kill.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Kafka } from 'kafkajs';
import { join } from 'node:path';

export interface WorkerProcess {
  child: ChildProcess;
  name: string;
  /** Everything the process wrote so far. */
  output: () => string;
  /** Resolves when a log line contains `text`. */
  waitFor: (text: string, timeoutMs?: number) => Promise<void>;
  exited: Promise<number | null>;
}

const script = join(import.meta.dirname, '../fixtures/counting-worker.ts');

const cli = join(import.meta.dirname, '../../src/cli/main.ts');

/** Starts a worker process with the given environment: the counting topology, or `otlp-streams run <file>` of a topology file. */
export function startWorker(name: string, env: Record<string, string>, topologyFile?: string): WorkerProcess {
  const args = topologyFile === undefined ? [script] : [cli, 'run', topologyFile, '--http-port', '0', ...(env.SESSION_TIMEOUT ? ['--session-timeout', `${env.SESSION_TIMEOUT}ms`] : [])];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners.splice(0)) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (text: string, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`${name}: no "${text}" within ${timeoutMs} ms\n${out.slice(-3000)}`)), timeoutMs);
      const check = () => {
        if (out.includes(text)) {
          clearTimeout(deadline);
          resolve();
        } else if (child.exitCode !== null) {
          clearTimeout(deadline);
          reject(new Error(`${name} exited (${child.exitCode}) before "${text}"\n${out.slice(-3000)}`));
        } else listeners.push(check);
      };
      check();
    });
  return { child, name, output: () => out, waitFor, exited };
}

/** A small seeded generator for kill timings. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/**
 * Waits until the group's committed offsets of `topic` (per partition, 0 where none) satisfy `done`, and returns
 * them: for tests that must act after a worker committed (its state is then in the changelog), however slow the
 * machine. Fails with the workers' output if one of them exits or nothing is committed within `timeoutMs`.
 */
export async function waitForCommitted(client: Kafka, groupId: string, topic: string, done: (offsets: bigint[]) => boolean, workers: WorkerProcess[], timeoutMs = 120_000): Promise<bigint[]> {
  const admin = client.admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const offsets = committed.partitions.sort((a, b) => a.partition - b.partition).map((p) => (BigInt(p.offset) > 0n ? BigInt(p.offset) : 0n));
      if (done(offsets)) return offsets;
      const exited = workers.find((w) => w.child.exitCode !== null);
      if (exited || Date.now() > deadline) {
        const who = exited ?? workers[0];
        throw new Error(`no commit of group ${groupId} as awaited (${exited ? `${exited.name} exited` : `${timeoutMs / 1000} s passed`}); offsets ${offsets.join(', ')}\n${who?.output().slice(-3000) ?? ''}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until the group has committed every record of `topic`: only then are all its outputs committed. A full sink
 * table is no such sign — sink rows are written before the Kafka transaction of the same checkpoint, and a
 * checkpoint whose transaction failed is redone by the task's next incarnation, which a worker stopped at that
 * moment leaves to the group's next member.
 */
export async function waitForAllCommitted(client: Kafka, groupId: string, topic: string, workers: WorkerProcess[], timeoutMs = 180_000): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const end = ends.sort((a, b) => a.partition - b.partition).map((p) => BigInt(p.high));
  await waitForCommitted(client, groupId, topic, (offsets) => offsets.length === end.length && offsets.every((o, i) => o >= end[i]), workers, timeoutMs);
}

/**
 * Waits until the group has committed more of `topic` than `previous` records in all, or all of it (a worker that
 * finished its input commits no more); returns the committed total.
 */
export async function waitForProgress(client: Kafka, groupId: string, topic: string, previous: bigint, workers: WorkerProcess[], timeoutMs = 180_000): Promise<bigint> {
  const admin = client.admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const [[committed], ends] = await Promise.all([admin.fetchOffsets({ groupId, topics: [topic] }), admin.fetchTopicOffsets(topic)]);
      const total = committed.partitions.reduce((sum, p) => sum + (BigInt(p.offset) > 0n ? BigInt(p.offset) : 0n), 0n);
      const end = ends.reduce((sum, p) => sum + BigInt(p.high), 0n);
      if (total > previous || (end > 0n && total >= end)) return total;
      const exited = workers.find((w) => w.child.exitCode !== null);
      if (exited || Date.now() > deadline) throw new Error(`group ${groupId} made no progress on ${topic} past ${previous} of ${end} (${exited ? `${exited.name} exited` : `${timeoutMs / 1000} s passed`})\n${(exited ?? workers[0])?.output().slice(-3000) ?? ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}
