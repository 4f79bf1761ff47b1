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
 * and returns the counts found.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[], opts: { allowMorePartitions?: boolean } = {}): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.numPartitions,
          configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
    const counts = new Map(topics.map((t) => [t.name, t.partitions.length]));
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
