// Parquet sink: a checkpoint's rollup rows as Parquet files, one per request and hour directory, named after the
// input partition and the checkpoint's first offset and written by temp file + rename. Files cannot be upserted, so
// idempotency comes from the names: a replay writes the same names again, and the first request of a checkpoint
// deletes the files of checkpoints that were written but never committed (docs/parquet.md).
import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { componentLogger } from '../../log.ts';
import type { SinkSpec } from '../../runtime/topology.ts';
import type { ExternalSink, SinkBatch, SinkFailure } from '../util/index.ts';
import { parquetBytes, rollupTable, type ParquetCompression } from './arrowBatch.ts';
import { hourDir, listPartFiles, partFile, tempFile, uncommittedFiles } from './layout.ts';
import { applyRetention } from './retention.ts';
import type { RollupRow } from './rollupRow.ts';

export interface ParquetSinkOptions {
  /** Sink name in the topology; `--sink-target <name>=<dir>` overrides the directory. */
  name: string;
  /** The root directory; files go under `<dir>/<level>/`. */
  dir: string;
  /** The level's directory under the root, e.g. `1h`. */
  level: string;
  compression: ParquetCompression;
  /** Hour directories whose windows all started longer ago than this are deleted; undefined keeps everything. */
  retentionMs?: number;
  /** How often retention runs at most (default: every 10 minutes, and at the first write). */
  retentionEveryMs?: number;
  /** Wall clock for retention (tests). */
  now?: () => number;
}

/** A write that cannot be named: the caller did not say which checkpoint its rows come from. */
export class UnplacedWriteError extends Error {
  constructor(sink: string) {
    super(`parquet sink ${sink}: a write needs its checkpoint (SinkBatch) to name its files`);
    this.name = 'UnplacedWriteError';
  }
}

/** System errors (disk full, permissions, a vanished directory) pass; anything else is about the rows. */
function classifyFileError(err: unknown): SinkFailure {
  const answer = err instanceof Error ? err.message : String(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? { kind: 'retryable', answer } : { kind: 'permanent', answer };
}

/** Writes bytes to `dir/file` atomically: a temporary file, fsync, rename, fsync of the directory. */
async function writeAtomically(dir: string, file: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dir, tempFile(file, randomBytes(6).toString('hex')));
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, file));
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const byTenantHour = (rows: readonly RollupRow[]) => {
  const groups = new Map<string, RollupRow[]>();
  for (const row of rows) {
    const dir = hourDir(row.tenant, row.window_start);
    const list = groups.get(dir);
    if (list) list.push(row);
    else groups.set(dir, [row]);
  }
  return groups;
};

const rowOrder = (a: RollupRow, b: RollupRow) => (a.series < b.series ? -1 : a.series > b.series ? 1 : a.window_start - b.window_start);

/** The sink of a `parquet` step. */
export function parquetSink(options: ParquetSinkOptions): SinkSpec {
  return {
    name: options.name,
    async create(ctx) {
      const root = join(ctx.targets[options.name] ?? options.dir, options.level);
      const log = componentLogger('sink', { sink: options.name, dir: root });
      const now = options.now ?? Date.now;
      const retentionEveryMs = options.retentionEveryMs ?? 600_000;
      // Per partition, the end offset of the last checkpoint written here: a checkpoint starting there follows a
      // committed one, so there is nothing uncommitted to clean up first.
      const writtenTo = new Map<number, bigint>();
      let retainedAt = -Infinity;

      const sink: ExternalSink<RollupRow> = {
        name: options.name,
        async write(rows, _signal, batch?: SinkBatch) {
          if (!batch) throw new UnplacedWriteError(options.name);
          if (batch.firstRow === 0 && writtenTo.get(batch.partition) !== batch.fromOffset) {
            const stale = uncommittedFiles(await listPartFiles(root), batch.partition, batch.fromOffset);
            for (const f of stale) await rm(f.path, { force: true });
            if (stale.length > 0) log.info({ partition: batch.partition, fromOffset: String(batch.fromOffset), files: stale.length }, 'deleted the files written from this offset on (a checkpoint not committed, or a replay) before writing it again');
          }
          const file = partFile(batch.partition, batch.fromOffset, batch.firstRow);
          for (const [dir, group] of byTenantHour(rows)) {
            const bytes = parquetBytes(rollupTable(group.sort(rowOrder)), options.compression);
            const path = join(root, dir);
            await mkdir(path, { recursive: true });
            await writeAtomically(path, file, bytes);
          }
          writtenTo.set(batch.partition, batch.toOffset);
          if (options.retentionMs !== undefined && now() - retainedAt >= retentionEveryMs) {
            retainedAt = now();
            const deleted = await applyRetention(root, retainedAt, options.retentionMs);
            if (deleted.length > 0) log.info({ hours: deleted.length, first: deleted[0] }, 'deleted hour directories past retention');
          }
        },
        classify: classifyFileError,
        async health() {
          await mkdir(root, { recursive: true });
          await access(root, constants.W_OK);
        },
        close: async () => {},
      };
      return sink as ExternalSink;
    },
  };
}
