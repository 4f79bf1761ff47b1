// Creating the topics a component needs, and refusing to run on ones whose partition count differs from what it expects.
import type { Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** e.g. { 'cleanup.policy': 'compact' } */
  config?: Record<string, string>;
}

/**
 * Creates missing topics; for existing ones checks the partition count (co-partitioned state depends on it)
 * and returns the counts found. Safe when several processes create the same topics at once.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], opts: { allowMorePartitions?: boolean; waitMs?: number } = {}): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      try {
        await admin.createTopics({
          waitForLeaders: false,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.numPartitions,
            configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
          })),
        });
      } catch (err) {
        // Another worker may have created them a moment ago; the metadata check below decides.
        if (!/already exists/i.test(describe(err))) throw err;
      }
    }
    const counts = await waitForMetadata(admin, specs.map((s) => s.topic), opts.waitMs ?? 15_000);
    for (const spec of specs) {
      const found = counts.get(spec.topic) ?? 0;
      const ok = found === spec.numPartitions || (opts.allowMorePartitions && found > spec.numPartitions);
      if (!ok) throw new Error(`topic ${spec.topic} has ${found} partitions, expected ${spec.numPartitions}`);
    }
    return counts;
  } finally {
    await admin.disconnect();
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; errors?: Array<{ message?: string; type?: string }> };
  return [e.message, ...(e.errors ?? []).map((x) => `${x.type} ${x.message}`)].join(' ');
}

/** Partition counts once every topic has all its partitions led (new topics take a moment to appear). */
async function waitForMetadata(admin: ReturnType<Kafka['admin']>, topics: string[], waitMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const ready = metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
      if (Date.now() > deadline) throw new Error('partitions without a leader');
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} not ready after ${waitMs} ms: ${(err as Error).message}`, { cause: err });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Partition count of one existing topic; a topic created a moment ago gets a few seconds to appear in the metadata. */
export async function partitionCount(kafka: Kafka, topic: string, waitMs = 10_000): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + waitMs;
  try {
    for (;;) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        if (topics[0]?.partitions.length > 0) return topics[0].partitions.length;
        throw new Error('no partitions');
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`topic ${topic} does not exist or has no partitions (${(err as Error).message})`, { cause: err });
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
