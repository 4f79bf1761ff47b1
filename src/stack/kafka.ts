// Apache Kafka in KRaft combined mode (broker + controller), from Maven Central jars, run with `java -cp`.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from '../kafka/kafkajs.ts';
import { ensureTopics } from '../kafka/topics.ts';
import { run } from './exec.ts';
import { fetchArtifacts, type Artifact } from './maven.ts';
import { startDetached, waitUntil, type ManagedProcess } from './processes.ts';
import type { ComponentContext } from './types.ts';

/**
 * A random KRaft cluster id (16 bytes, base64url). Like Kafka's own Uuid.randomUuid it never starts with '-':
 * kafka-storage's argument parser would read such an id as an option (1 start in 64 failed that way).
 */
export function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Kafka versions the stack can run, with the logging backend each needs (the release tarball bundles one; Maven does not). */
const VERSIONS: Record<string, { logging: Artifact[]; log4j2: boolean }> = {
  '3.9.1': {
    logging: [
      { groupId: 'ch.qos.reload4j', artifactId: 'reload4j', version: '1.2.25' },
      { groupId: 'org.slf4j', artifactId: 'slf4j-reload4j', version: '1.7.36' },
    ],
    log4j2: false,
  },
  '4.1.1': {
    logging: [
      { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: '2.24.3' },
      { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: '2.24.3' },
    ],
    log4j2: true,
  },
};

export const DEFAULT_KAFKA_VERSION = '3.9.1';
export const KAFKA_VERSIONS = Object.keys(VERSIONS);

/** Downloads the broker's jars once; returns the folder holding them. */
export async function fetchKafka(cache: string, version: string): Promise<string> {
  const spec = VERSIONS[version];
  if (!spec) throw new Error(`unsupported Kafka version ${version}; choose one of ${KAFKA_VERSIONS.join(', ')}`);
  const libs = join(cache, `kafka-${version}`, 'libs');
  await fetchArtifacts(libs, [{ groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version }, ...spec.logging]);
  return libs;
}

function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    // One node: internal topics cannot be replicated; fewer partitions make the first group and transaction requests quick.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    '',
  ].join('\n');
}

const LOG4J1 = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
`;

const LOG4J2 = `Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        ref: STDOUT
`;

/** Formats fresh storage and starts the broker; resolves once it answers group and transaction requests. */
export async function startKafka(ctx: ComponentContext, version: string): Promise<{ proc: ManagedProcess; brokers: string[] }> {
  const libs = await fetchKafka(ctx.cache, version);
  const home = join(ctx.dir, 'kafka');
  rmSync(home, { recursive: true, force: true });
  const dataDir = join(home, 'data');
  mkdirSync(dataDir, { recursive: true });
  const port = await ctx.port('KAFKA');
  const controllerPort = await ctx.port('KAFKA_CONTROLLER');
  const props = join(home, 'server.properties');
  writeFileSync(props, serverProperties(port, controllerPort, dataDir));
  const log4j = join(home, VERSIONS[version].log4j2 ? 'log4j2.yaml' : 'log4j.properties');
  writeFileSync(log4j, VERSIONS[version].log4j2 ? LOG4J2 : LOG4J1);
  const logProp = VERSIONS[version].log4j2 ? `-Dlog4j2.configurationFile=${log4j}` : `-Dlog4j.configuration=file:${log4j}`;
  const classpath = `${libs}/*`;

  await run('java', [logProp, '-cp', classpath, 'kafka.tools.StorageTool', 'format', `--cluster-id=${kafkaClusterId()}`, '-c', props]);

  const proc = startDetached(
    'kafka',
    'java',
    ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true', logProp, '-cp', classpath, 'kafka.Kafka', props],
    join(ctx.dir, 'kafka.log'),
  );
  ctx.spawned(proc);
  const brokers = [`127.0.0.1:${port}`];
  await waitUntil(`Kafka ${version} on ${brokers[0]}`, () => kafkaReady(brokers), { timeoutMs: 90_000, proc });
  return { proc, brokers };
}

/**
 * True once the broker serves metadata, creates a topic whose partition its leader answers for, and answers as a
 * consumer-group coordinator and a transaction coordinator, with every partition of the coordinators' internal topics
 * led. Right after a (re)start these answer "coordinator is loading" or "does not host this topic-partition" for a
 * while; tests must not see that.
 */
export async function kafkaReady(brokers: string[]): Promise<boolean> {
  const kafka = new Kafka({ clientId: 'otlp-streams-stack', brokers, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 }, connectionTimeout: 2000 });
  const admin = kafka.admin();
  const producer = kafka.producer({ transactionalId: 'otlp-streams-stack-ready', idempotent: true, maxInFlightRequests: 1 });
  try {
    await admin.connect();
    await admin.describeCluster();
    const topic = '__otlp_streams_ready';
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }], { waitMs: 5_000 });
    await admin.fetchOffsets({ groupId: 'otlp-streams-stack-ready', topics: [topic] });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic, messages: [{ value: 'ready' }] });
    await tx.commit();
    const internal = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets', '__transaction_state'] });
    return internal.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Starts again a broker that startKafka ran in `ctx.dir` and that was stopped, keeping its data and ports
 * (for tests of what clients do while a broker is down and after it comes back). Resolves once it is ready
 * (kafkaReady), or at once with `waitForReady: false`, for tests of clients meeting a broker that is still loading.
 */
export async function restartKafka(ctx: ComponentContext, version: string, opts: { waitForReady?: boolean } = {}): Promise<{ proc: ManagedProcess; brokers: string[] }> {
  const libs = await fetchKafka(ctx.cache, version);
  const home = join(ctx.dir, 'kafka');
  const props = join(home, 'server.properties');
  if (!existsSync(props)) throw new Error(`no broker to restart in ${home}`);
  const port = /^listeners=PLAINTEXT:\/\/[^:]+:(\d+)/m.exec(readFileSync(props, 'utf8'))?.[1];
  const log4j = join(home, VERSIONS[version].log4j2 ? 'log4j2.yaml' : 'log4j.properties');
  const logProp = VERSIONS[version].log4j2 ? `-Dlog4j2.configurationFile=${log4j}` : `-Dlog4j.configuration=file:${log4j}`;
  const proc = startDetached(
    'kafka',
    'java',
    ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true', logProp, '-cp', `${libs}/*`, 'kafka.Kafka', props],
    join(ctx.dir, 'kafka.log'),
  );
  ctx.spawned(proc);
  const brokers = [`127.0.0.1:${port}`];
  if (opts.waitForReady !== false) await waitUntil(`Kafka ${version} on ${brokers[0]} (restarted)`, () => kafkaReady(brokers), { timeoutMs: 90_000, proc });
  return { proc, brokers };
}
