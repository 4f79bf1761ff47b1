// Where rows go on disk: <root>/tenant=<t>/dt=YYYY-MM-DD/hour=HH/part-<partition>-<from offset>-<first row>.parquet,
// Hive-style directories by the window start (UTC), so DuckDB, Spark and pyarrow prune by tenant, day and hour.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

const HOUR = 3_600_000;

/** The hour directory of a window start, relative to the root: `tenant=acme/dt=2026-12-04/hour=03`. */
export function hourDir(tenant: string, windowStart: number): string {
  const start = new Date(Math.floor(windowStart / HOUR) * HOUR).toISOString();
  return `tenant=${encodeURIComponent(tenant)}/dt=${start.slice(0, 10)}/hour=${start.slice(11, 13)}`;
}

/** The file a checkpoint's request writes in every hour directory its rows fall in. */
export function partFile(partition: number, fromOffset: bigint, firstRow: number): string {
  return `part-${partition}-${fromOffset}-${firstRow}.parquet`;
}

const PART = /^part-(\d+)-(\d+)-(\d+)\.parquet$/;
/** A file being written: hidden and not *.parquet, so no reader's glob picks it up before its rename. */
const TEMP = /^\.part-(\d+)-(\d+)-(\d+)\.parquet\.[0-9a-f]+\.tmp$/;

/** The temporary name a file is written under before it is renamed into place. */
export function tempFile(file: string, nonce: string): string {
  return `.${file}.${nonce}.tmp`;
}

/** A data file (or a leftover temporary one) and the checkpoint that wrote it. */
export interface PartFile {
  path: string;
  partition: number;
  fromOffset: bigint;
}

/** Parses a file name written by this sink; undefined for anything else. */
export function parsePartFile(name: string): Omit<PartFile, 'path'> | undefined {
  const m = PART.exec(name) ?? TEMP.exec(name);
  return m ? { partition: Number(m[1]), fromOffset: BigInt(m[2]) } : undefined;
}

/**
 * Files a checkpoint starting at `fromOffset` of `partition` replaces: that partition's files written from
 * `fromOffset` on. The offset committed is `fromOffset`, so every such file comes from a checkpoint whose commit did
 * not happen (a crash, a failed transaction, a rebalance): its records are being processed again now.
 */
export function uncommittedFiles(files: readonly PartFile[], partition: number, fromOffset: bigint): PartFile[] {
  return files.filter((f) => f.partition === partition && f.fromOffset >= fromOffset);
}

/** An hour directory under the root, with the start of its hour. */
export interface HourDir {
  path: string;
  hourStart: number;
}

const TENANT_DIR = /^tenant=/;
const DT_DIR = /^dt=(\d{4}-\d{2}-\d{2})$/;
const HOUR_DIR = /^hour=(\d{2})$/;

async function dirs(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every hour directory under the root (other entries are left alone). */
export async function listHourDirs(root: string): Promise<HourDir[]> {
  const out: HourDir[] = [];
  for (const tenant of (await dirs(root)).filter((d) => TENANT_DIR.test(d))) {
    for (const dt of await dirs(join(root, tenant))) {
      const day = DT_DIR.exec(dt);
      if (!day) continue;
      for (const hour of await dirs(join(root, tenant, dt))) {
        const h = HOUR_DIR.exec(hour);
        if (h) out.push({ path: join(root, tenant, dt, hour), hourStart: Date.parse(`${day[1]}T${h[1]}:00:00Z`) });
      }
    }
  }
  return out;
}

/** Every file this sink wrote under the root. */
export async function listPartFiles(root: string): Promise<PartFile[]> {
  const out: PartFile[] = [];
  for (const dir of await listHourDirs(root)) {
    for (const name of await readdir(dir.path)) {
      const parsed = parsePartFile(name);
      if (parsed) out.push({ path: join(dir.path, name), ...parsed });
    }
  }
  return out;
}
