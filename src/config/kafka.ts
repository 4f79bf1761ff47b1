// kafkajs client options from the typed config.
import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { Config } from './index.ts';

/** Builds the kafkajs client configuration (brokers, client id, TLS, SASL). */
export function kafkaClientConfig(config: Config, overrides: Partial<KafkaConfig> = {}): KafkaConfig {
  const { kafka } = config;
  const out: KafkaConfig = { clientId: kafka.clientId, brokers: kafka.brokers, ...overrides };
  if (kafka.tls?.enabled) {
    out.ssl = {
      rejectUnauthorized: kafka.tls.rejectUnauthorized,
      ca: kafka.tls.ca ? [readFileSync(kafka.tls.ca, 'utf8')] : undefined,
      cert: kafka.tls.cert ? readFileSync(kafka.tls.cert, 'utf8') : undefined,
      key: kafka.tls.key ? readFileSync(kafka.tls.key, 'utf8') : undefined,
    };
  }
  if (kafka.sasl) out.sasl = { mechanism: kafka.sasl.mechanism, username: kafka.sasl.username, password: kafka.sasl.password } as SASLOptions;
  return out;
}
