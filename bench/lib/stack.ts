// The local stack for a bench: reuse a running one or start one, and stop it at the end only if this bench started it.
import { envLayer, resolveConfig, type Config } from '../../src/config/index.ts';
import { createKafka } from '../../src/kafka/index.ts';
import { stackDown, stackEnv, stackUp } from '../../src/stack/index.ts';
import type { Kafka } from 'kafkajs';
import { note } from './util.ts';

export interface BenchStack {
  config: Config;
  kafka: Kafka;
  brokers: string[];
  /** Stops the stack if this bench started it. */
  close(): Promise<void>;
}

export async function benchStack(): Promise<BenchStack> {
  const up = await stackUp({ log: (line) => note(line) });
  note(up.reused ? `reusing the running stack (${up.state.kafka.brokers.join(',')})` : `started a stack in ${up.seconds} s`);
  const config = resolveConfig([envLayer(stackEnv(up.state))]);
  return {
    config,
    kafka: createKafka(config, { clientId: 'otlp-streams-bench' }),
    brokers: up.state.kafka.brokers,
    close: async () => {
      if (!up.reused) {
        note('stopping the stack this bench started');
        await stackDown();
      }
    },
  };
}
