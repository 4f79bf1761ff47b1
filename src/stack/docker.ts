// The same stack as containers, for machines with a Docker engine (users' laptops, CI with Docker), via Testcontainers.
import { getContainerRuntimeClient, GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { freePort } from './processes.ts';
import type { StackEndpoints } from '../config/index.ts';

export const IMAGES = {
  kafka: 'apache/kafka:3.9.1',
  registry: 'apicurio/apicurio-registry:3.0.9',
  postgres: 'timescale/timescaledb:latest-pg16',
  victoriaMetrics: 'victoriametrics/victoria-metrics:v1.79.5',
  prometheus: 'prom/prometheus:v2.42.0',
  influx: 'influxdb:1.8.10',
} as const;

/** True when Testcontainers finds a reachable container runtime; false (quickly) when there is none. */
export async function dockerAvailable(): Promise<boolean> {
  if (process.env.OTLP_STREAMS_STACK === 'native') return false;
  try {
    const probe = getContainerRuntimeClient();
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 10_000).unref());
    await Promise.race([probe, timeout]);
    return true;
  } catch {
    return false;
  }
}

/** Starts every component as a container; the containers outlive this process until `stack down`. */
export async function startDockerStack(log: (line: string) => void): Promise<{ endpoints: StackEndpoints; containers: string[] }> {
  // `stack up` exits after start-up; the reaper would remove the containers with it.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const kafkaPort = await freePort();
  const started: StartedTestContainer[] = [];
  const start = async (what: string, container: GenericContainer) => {
    log(`starting ${what} container…`);
    const c = await container.start();
    started.push(c);
    return c;
  };
  try {
    // Kafka advertises the host port, so it is fixed before start.
    await start(
      'Kafka',
      new GenericContainer(IMAGES.kafka)
        .withExposedPorts({ container: kafkaPort, host: kafkaPort })
        .withEnvironment({
          KAFKA_NODE_ID: '1',
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_LISTENERS: `PLAINTEXT://:${kafkaPort},CONTROLLER://:9093`,
          KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        })
        .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/)),
    );
    const registry = await start('schema registry', new GenericContainer(IMAGES.registry).withExposedPorts(8080).withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080)));
    const postgres = await start(
      'TimescaleDB',
      new GenericContainer(IMAGES.postgres)
        .withExposedPorts(5432)
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2)),
    );
    const vm = await start(
      'VictoriaMetrics',
      new GenericContainer(IMAGES.victoriaMetrics)
        .withCommand(['-search.latencyOffset=0s', '-search.disableCache'])
        .withExposedPorts(8428)
        .withWaitStrategy(Wait.forHttp('/health', 8428)),
    );
    const prom = await start(
      'Prometheus',
      new GenericContainer(IMAGES.prometheus)
        .withCommand(['--config.file=/etc/prometheus/prometheus.yml', '--web.enable-remote-write-receiver'])
        .withExposedPorts(9090)
        .withWaitStrategy(Wait.forHttp('/-/ready', 9090)),
    );
    const influx = await start(
      'InfluxDB',
      new GenericContainer(IMAGES.influx).withEnvironment({ INFLUXDB_DB: 'otlp', INFLUXDB_REPORTING_DISABLED: 'true' }).withExposedPorts(8086).withWaitStrategy(Wait.forHttp('/ping', 8086).forStatusCode(204)),
    );
    const host = (c: StartedTestContainer, port: number) => `http://${c.getHost()}:${c.getMappedPort(port)}`;
    return {
      endpoints: {
        kafka: { brokers: [`127.0.0.1:${kafkaPort}`] },
        schemaRegistry: { url: `${host(registry, 8080)}/apis/ccompat/v7` },
        postgres: { url: `postgres://postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/postgres` },
        victoriaMetrics: { url: host(vm, 8428) },
        prometheus: { url: host(prom, 9090) },
        influx: { url: host(influx, 8086) },
      },
      containers: started.map((c) => c.getId()),
    };
  } catch (err) {
    await Promise.allSettled(started.map((c) => c.stop()));
    throw err;
  }
}

/** Stops and removes the containers a docker stack started. */
export async function stopContainers(ids: string[]): Promise<void> {
  const client = await getContainerRuntimeClient();
  await Promise.allSettled(
    ids.map(async (id) => {
      const container = client.container.getById(id);
      await client.container.stop(container, { timeout: 10 });
      await client.container.remove(container, { removeVolumes: true });
    }),
  );
}
