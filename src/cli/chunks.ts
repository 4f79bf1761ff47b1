// `otlp-streams chunks <series>`: the raw points of one series read back from the compacted chunk topic
// (otlp.chunks, written by the compress topology), decoded and printed as JSON lines in time order.
import { Command } from 'commander';
import type { Kafka } from 'kafkajs';
import { decodeChunk } from '../chunks/index.ts';
import type { Config } from '../config/index.ts';
import { createKafka } from '../kafka/index.ts';
import { readToEnd } from '../kafka/readToEnd.ts';
import { chunkCodec, type ChunkRecord } from '../operators/compress.ts';
import { parseTime } from './backfill.ts';
import { loadConfig } from './loadConfig.ts';

export interface SeriesPoint {
  time: number;
  value: number;
}

/**
 * Every point of `series` in [from, to) from the chunk topic: reads the topic to the end offsets it sees at start
 * (a compacted topic holds the latest chunk per key; a tombstone removes one) and decodes the series' chunks.
 */
export async function readSeriesPoints(kafka: Kafka, config: Config, topic: string, series: string, from = -Infinity, to = Infinity): Promise<SeriesPoint[]> {
  const codec = chunkCodec(topic);
  await codec.prepare(config);
  const latest = new Map<string, ChunkRecord | null>();
  const prefix = `${series}@`;
  await readToEnd(
    kafka,
    topic,
    (message) => {
      const key = message.key?.toString() ?? '';
      if (key.startsWith(prefix)) latest.set(key, message.value === null ? null : codec.decode(message.value));
    },
    { group: 'otlp-streams-chunks', timeoutMs: 300_000 },
  );
  const points: SeriesPoint[] = [];
  for (const record of latest.values()) {
    if (record === null || record.block_end <= from || record.block_start >= to) continue;
    const { timestamps, values } = decodeChunk(record.chunk);
    for (let i = 0; i < timestamps.length; i++) if (timestamps[i] >= from && timestamps[i] < to) points.push({ time: timestamps[i], value: values[i] });
  }
  // Stable: points with one timestamp keep their order within a chunk.
  return points.sort((a, b) => a.time - b.time);
}

interface ChunksOptions {
  config?: string;
  topic: string;
  from?: number;
  to?: number;
}

async function run(series: string, o: ChunksOptions): Promise<void> {
  const config = loadConfig({ file: o.config });
  const points = await readSeriesPoints(createKafka(config), config, o.topic, series, o.from, o.to);
  // JSON has no NaN or ±Inf: they print as strings (a NaN with the staleness payload is still just "NaN" here).
  for (const p of points) console.log(JSON.stringify({ time: new Date(p.time).toISOString(), value: Number.isFinite(p.value) ? p.value : String(p.value) }));
  console.error(`[chunks] ${points.length} points of ${series} from ${o.topic}`);
}

/** The `chunks` command. */
export function chunksCommand(): Command {
  return new Command('chunks')
    .description('print the raw points of one series from the compacted chunk topic (written by topologies/compress.yaml) as JSON lines')
    .argument('<series>', 'the series key, as in otlp.series (tenant prefix included) or `tail otlp.chunks` keys without @<block>')
    .option('-c, --config <file>', 'YAML or JSON config file (default: the local stack)')
    .option('--topic <topic>', 'the chunk topic', 'otlp.chunks')
    .option('--from <time>', 'first point time (inclusive): ISO 8601 or epoch ms', parseTime)
    .option('--to <time>', 'end (exclusive): ISO 8601 or epoch ms', parseTime)
    .action((series: string, o: ChunksOptions) => run(series, o));
}
