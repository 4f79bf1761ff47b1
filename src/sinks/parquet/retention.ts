// Retention of Parquet files: an hour directory goes once every window that starts in it is older than the retention.
import { readdir, rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { listHourDirs, type HourDir } from './layout.ts';

const HOUR = 3_600_000;

/** Hour directories whose whole hour of window starts lies before `now - retentionMs`. */
export function expiredHourDirs(dirs: readonly HourDir[], now: number, retentionMs: number): HourDir[] {
  const cutoff = now - retentionMs;
  return dirs.filter((d) => d.hourStart + HOUR <= cutoff);
}

/** Deletes the expired hour directories under the root, and day directories left empty; returns the hours deleted. */
export async function applyRetention(root: string, now: number, retentionMs: number): Promise<string[]> {
  const expired = expiredHourDirs(await listHourDirs(root), now, retentionMs);
  const days = new Set<string>();
  for (const dir of expired) {
    await rm(dir.path, { recursive: true, force: true });
    days.add(dirname(dir.path));
  }
  for (const day of days) {
    // Another writer may be adding an hour to this day right now: only an empty day goes, and only if still empty.
    if ((await readdir(day).catch(() => ['?'])).length === 0) await rmdir(day).catch(() => {});
  }
  return expired.map((d) => d.path);
}
