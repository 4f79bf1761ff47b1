// How large the records a task writes may be. A broker refuses a record batch over its topic's max.message.bytes,
// the transaction holding it fails, and the task would retry the same records forever: dead letters are cut to fit
// the dead-letter topic, and changelog buckets are written in parts that fit the changelog topics.
import type { Kafka } from 'kafkajs';
import kafkajs from '../kafka/kafkajs.ts';
import { DEFAULT_DEAD_LETTER_MAX_BYTES } from '../dlq/index.ts';
import { DEFAULT_PART_BYTES } from './changelog.ts';

/** The record sizes a worker's tasks keep to. */
export interface RecordLimits {
  /** The dead-letter topic's max.message.bytes. */
  deadLetterMaxBytes: number;
  /** Largest changelog record: DEFAULT_PART_BYTES, or less where a changelog topic allows less. */
  changelogRecordBytes: number;
}

// Room under max.message.bytes for the record batch framing and the part's key.
const CHANGELOG_FRAMING = 1024;

/** Limits from each topic's max.message.bytes (undefined where unknown: the broker's defaults). */
export function recordLimits(maxMessageBytes: Map<string, number>, deadLetterTopic: string, changelogTopics: string[]): RecordLimits {
  let changelogRecordBytes = DEFAULT_PART_BYTES;
  for (const topic of changelogTopics) {
    const max = maxMessageBytes.get(topic);
    if (max !== undefined) changelogRecordBytes = Math.min(changelogRecordBytes, Math.max(1024, max - CHANGELOG_FRAMING));
  }
  return { deadLetterMaxBytes: maxMessageBytes.get(deadLetterTopic) ?? DEFAULT_DEAD_LETTER_MAX_BYTES, changelogRecordBytes };
}

/** The effective max.message.bytes of each topic (its own setting or the broker's default), as the broker reports it. */
export async function maxMessageBytes(kafka: Kafka, topics: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (topics.length === 0) return out;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
    });
    for (const resource of described.resources) {
      const value = Number(resource.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
      if (Number.isSafeInteger(value) && value > 0) out.set(resource.resourceName, value);
    }
  } finally {
    await admin.disconnect();
  }
  return out;
}
