export { createKafka } from './client.ts';
export { ensureTopics, partitionCount, type TopicSpec } from './topics.ts';
export { registerSnappy, snappyDecompress } from './snappy.ts';
