// The baseline of the overhead ratio, in a process of its own: plain kafkajs as published (none of the module
// replacements src/kafka/kafkajs.ts installs in our processes) consuming a topic with eachBatch.
// Usage: node bench/lib/stockConsume.ts '{"brokers":[…],"topic":…,"total":…,"maxBytesPerPartition":…,"partitionsConsumedConcurrently":…}'
// Prints one JSON line: the ConsumeRun.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- the point: stock kafkajs, not ours
import { Kafka, logLevel } from 'kafkajs';
import { plainConsume } from './kafka.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as { brokers: string[]; topic: string; total: number; maxBytesPerPartition?: number; partitionsConsumedConcurrently?: number };
const kafka = new Kafka({ clientId: 'otlp-streams-bench-stock', brokers: args.brokers, logLevel: logLevel.WARN });
const run = await plainConsume(kafka, args.topic, args.total, { maxBytesPerPartition: args.maxBytesPerPartition, partitionsConsumedConcurrently: args.partitionsConsumedConcurrently });
process.stdout.write(`${JSON.stringify(run)}\n`);
