// `otlp-streams backfill <file> --from <time> --to <time>`: replay a time range through a topology, into Kafka
// topics of its own (`--output-topic-suffix`, or the live ones with `--allow-live-topics`).
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { loadConfig } from './loadConfig.ts';
import { componentLogger } from '../log.ts';
import { backfill, checkBackfillOptions, type BackfillOptions, type BackfillProgress } from '../runtime/index.ts';
import { formatProblem, loadTopologyFile } from '../topology/index.ts';

/** An ISO 8601 time or epoch milliseconds. */
export function parseTime(value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`expected an ISO 8601 time (2026-01-01T00:00:00Z) or epoch milliseconds, got "${value}"`);
  return ms;
}

function sinkTarget(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) throw new Error(`--sink-target: expected <sink>=<target>, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

interface BackfillFlags {
  from?: number;
  to?: number;
  fromEventTime?: number;
  toEventTime?: number;
  outputTopicSuffix?: string;
  allowLiveTopics?: boolean;
  config?: string;
  sinkTarget: Record<string, string>;
}

/** The backfill options the flags give (checked before anything connects). */
export function backfillRange(flags: BackfillFlags): Pick<BackfillOptions, 'from' | 'to' | 'fromEventTime' | 'toEventTime' | 'outputTopicSuffix' | 'allowLiveTopics'> {
  const range = { from: flags.from, to: flags.to, fromEventTime: flags.fromEventTime, toEventTime: flags.toEventTime, outputTopicSuffix: flags.outputTopicSuffix, allowLiveTopics: flags.allowLiveTopics ?? false };
  checkBackfillOptions(range);
  return range;
}

async function runBackfill(file: string, flags: BackfillFlags): Promise<void> {
  const range = backfillRange(flags);
  const loaded = loadTopologyFile(file);
  if (!loaded.ok) {
    for (const problem of loaded.problems) console.error(formatProblem(problem));
    process.exit(1);
  }
  const config = loadConfig({ file: flags.config });
  const log = componentLogger('backfill-cli', { file });
  // A progress bar on a terminal; periodic log lines otherwise (CI, files, pipes).
  const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'backfill [{bar}] {percentage}% | {value}/{total} records | {rate} rec/s | ETA {eta_formatted}', stream: process.stderr }, cliProgress.Presets.shades_classic) : undefined;
  let lastLog = 0;
  const onProgress = (p: BackfillProgress) => {
    if (bar) {
      if (bar.getTotal() !== p.total) bar.start(p.total, p.done, { rate: 0 });
      bar.update(p.done, { rate: Math.round(p.recordsPerSecond) });
    } else if (Date.now() - lastLog >= 5000 || p.done === p.total) {
      lastLog = Date.now();
      log.info({ done: p.done, total: p.total, recordsPerSecond: Math.round(p.recordsPerSecond), etaSeconds: Number.isFinite(p.etaSeconds) ? Math.round(p.etaSeconds) : null }, 'backfill progress');
    }
  };
  const result = await backfill({ topology: loaded.topology, config, ...range, sinkTargets: flags.sinkTarget, onProgress });
  bar?.stop();
  console.log(`backfill of ${loaded.topology.application} finished: ${result.records} records in ${result.seconds.toFixed(1)} s (group ${result.groupId})`);
  if (result.skippedItems > 0) console.log(`  ${result.skippedItems} items outside the event-time range skipped`);
  for (const [live, own] of result.topics) console.log(`  ${live} → ${own}`);
}

/** The `backfill` command. */
export function backfillCommand(): Command {
  return new Command('backfill')
    .description('replay [from, to) of the input through a topology under its own group, transactional ids, state and output topics; stops at the end offsets seen at start')
    .argument('<file>', 'topology YAML file')
    .option('--from <time>', 'Kafka record time, start (inclusive): ISO 8601 or epoch ms; align to a window boundary (default: the log start)', parseTime)
    .option('--to <time>', 'Kafka record time, end (exclusive): ISO 8601 or epoch ms; align to a window boundary (default: the log end at start)', parseTime)
    .option('--from-event-time <time>', 'event time, start (inclusive): items before it are skipped', parseTime)
    .option('--to-event-time <time>', 'event time, end (exclusive): items at or after it are skipped', parseTime)
    .option('--output-topic-suffix <suffix>', 'outputs, late records and dead letters go to <topic><suffix> (default .backfill-<run id>)')
    .option('--allow-live-topics', 'write the topology’s own output, late and dead-letter topics, as the live run does')
    .option('--sink-target <sink=target>', 'write a sink somewhere else, e.g. --sink-target rollup_1m=rollup_1m_backfill (repeatable)', sinkTarget, {})
    .option('-c, --config <file>', 'YAML or JSON config file')
    .action((file: string, flags: BackfillFlags) => runBackfill(file, flags));
}
