#!/usr/bin/env node
// otlp-streams: the command line. Each sub-command lives in its own file in src/cli/.
import { Command, Option } from 'commander';
import { maskText } from '../config/index.ts';
import { KAFKA_VERSIONS, DEFAULT_KAFKA_VERSION } from '../stack/index.ts';
import { down, status, up } from './stack.ts';
import { DEFAULT_TOPOLOGIES, start, type StartOptions } from './start.ts';
import { showConfig } from './config.ts';
import { ingestCommand } from './ingest.ts';
import { genCommand } from './gen.ts';
import { runCommand } from './run.ts';
import { validateCommand } from './validate.ts';
import { backfillCommand } from './backfill.ts';
import { tailCommand } from './tail.ts';
import { chunksCommand } from './chunks.ts';
import { queryCommand } from './query.ts';

const program = new Command('otlp-streams')
  .description('OpenTelemetry data on Kafka: OTLP ingest, stream topologies, rollups, indexes and sinks')
  .showHelpAfterError();

const kafkaVersion = new Option('--kafka-version <version>', 'Kafka version for a native stack').choices(KAFKA_VERSIONS).default(DEFAULT_KAFKA_VERSION);
const stackMode = new Option('--mode <mode>', 'auto: Docker if reachable, else native processes').choices(['auto', 'native', 'docker']).default('auto');

const stack = program.command('stack').description('a local single-node stack: Kafka, schema registry, PostgreSQL, VictoriaMetrics, Prometheus');
stack
  .command('up')
  .description('start the stack (or reuse the running one) and print its connection settings')
  .addOption(kafkaVersion)
  .addOption(stackMode)
  .action(async (o: { kafkaVersion: string; mode: 'auto' | 'native' | 'docker' }) => {
    await up({ kafkaVersion: o.kafkaVersion, mode: o.mode });
  });
stack
  .command('down')
  .description('stop every process or container the stack started')
  .action(async () => down());
stack
  .command('status')
  .description('show each component and whether it answers')
  .action(async () => {
    if (!(await status())) process.exitCode = 1;
  });

const portNumber = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`expected a port number, got "${v}"`);
  return n;
};
program
  .command('start')
  .description('the main job: the stack, the ingest gateway, the topology workers and the query service, until Ctrl-C; then stops what it started')
  .addOption(kafkaVersion)
  .addOption(stackMode)
  .option('--no-gateway', 'do not run the ingest gateway')
  .option('--http-port <port>', 'gateway OTLP/HTTP port (0: any free port)', portNumber, 4318)
  .option('--grpc-port <port>', 'gateway OTLP/gRPC port (0: any free port)', portNumber, 4317)
  .option('--metrics-port <port>', 'first /metrics port of the topology workers (0: any free port)', portNumber, 9464)
  .option('--query-port <port>', 'query service port (0: any free port)', portNumber, 3200)
  .option('--no-query', 'do not run the query service')
  .option('--topology <files...>', 'topology files to run (default: the metrics chain, 1m → 1d with span metrics and the service graph, its PostgreSQL sinks, compress, trace-index, tail-sampling and log-index)', DEFAULT_TOPOLOGIES)
  .action(async (o: Omit<StartOptions, 'queryPort'> & { query: boolean; queryPort: number }) => start({ ...o, queryPort: o.query ? o.queryPort : false }));

program
  .command('config')
  .description('print the resolved configuration (environment, config file, local stack), secrets masked')
  .option('-c, --config <file>', 'YAML or JSON config file')
  .action((o: { config?: string }) => showConfig(o.config));

program.addCommand(ingestCommand());
program.addCommand(genCommand());
program.addCommand(validateCommand());
program.addCommand(runCommand());
program.addCommand(backfillCommand());
program.addCommand(tailCommand());
program.addCommand(chunksCommand());
program.addCommand(queryCommand());

try {
  await program.parseAsync();
} catch (err) {
  console.error(`otlp-streams: ${maskText((err as Error).message)}`);
  process.exit(1);
}
