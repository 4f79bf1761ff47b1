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

/** Partition count of one existing topic (throws if it does not exist). */
export async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.length;
  } finally {
    await admin.disconnect();
  }
}
