// kafkajs clients built from the typed config, logging through our structured logger.
import { Kafka, logLevel } from './kafkajs.ts';
import type { KafkaConfig, logCreator } from 'kafkajs';
import type { Config } from '../config/index.ts';
import { kafkaClientConfig } from '../config/kafka.ts';
import { componentLogger } from '../log.ts';
import { registerSnappy } from './snappy.ts';

// kafkajs levels: NOTHING 0, ERROR 1, WARN 2, INFO 4, DEBUG 5.
const toPino: Record<number, 'error' | 'warn' | 'info' | 'debug'> = { 1: 'error', 2: 'warn', 4: 'info', 5: 'debug' };

const kafkajsLogs: logCreator = () => {
  const log = componentLogger('kafkajs');
  return ({ namespace, level, log: entry }) => {
    const { message, ...rest } = entry;
    const method = toPino[level];
    if (method) log[method]({ namespace, ...rest }, message);
  };
};

/** A kafkajs client for `config`, with snappy registered and logs in our format (kafkajs warnings and errors only by default). */
export function createKafka(config: Config, overrides: Partial<KafkaConfig> = {}): Kafka {
  registerSnappy();
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  return new Kafka({ logLevel: logLevel.WARN, logCreator: kafkajsLogs, ...kafkaClientConfig(config, overrides) });
}
