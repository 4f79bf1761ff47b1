// What the producer needs to know about its topics: partition counts (to partition records itself) and the
// largest record batch the broker accepts (max.message.bytes), read once per connection.
import kafkajs from '../kafka/kafkajs.ts';
import type { Kafka } from 'kafkajs';
import { ensureTopics } from '../kafka/index.ts';

// Not a named export Node's CommonJS detection finds in kafkajs, so taken from the default export.
const { ConfigResourceTypes } = kafkajs;

/** Partition count and message size limit of one topic. */
export interface TopicLayout {
  topic: string;
  partitions: number;
  maxMessageBytes: number;
}

/** Creates missing topics (with `numPartitions`), then reads the layout of every topic. */
export async function readTopicLayouts(kafka: Kafka, topics: string[], create: { numPartitions: number } | false): Promise<Map<string, TopicLayout>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (create) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length > 0) await ensureTopics(kafka, missing.map((topic) => ({ topic, numPartitions: create.numPartitions })));
    }
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
    });
    const layouts = new Map<string, TopicLayout>();
    for (const t of metadata) {
      const entry = configs.resources.find((r) => r.resourceName === t.name)?.configEntries.find((e) => e.configName === 'max.message.bytes');
      layouts.set(t.name, { topic: t.name, partitions: t.partitions.length, maxMessageBytes: Number(entry?.configValue ?? 1_048_588) });
    }
    return layouts;
  } finally {
    await admin.disconnect();
  }
}
