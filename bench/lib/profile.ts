// CPU profiles of a bench phase (the V8 sampling profiler through node:inspector, the same data `node --cpu-prof`
// writes), saved as .cpuprofile for Chrome DevTools, plus a self-time summary by function.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  fn: string;
  where: string;
  ms: number;
  share: number;
}

/** Starts profiling; the returned function stops, writes `file` and returns the profile. */
export async function startProfile(file: string, intervalUs = 500): Promise<() => Promise<CpuProfile>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    session.disconnect();
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    return profile;
  };
}

/** Self time per function (name + file:line), largest first. */
export function selfTimes(profile: CpuProfile, root = process.cwd()): SelfTime[] {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const byNode = new Map<number, number>();
  for (let i = 0; i < samples.length; i++) byNode.set(samples[i], (byNode.get(samples[i]) ?? 0) + (deltas[i] ?? 0));
  const byFn = new Map<string, SelfTime>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = byNode.get(node.id) ?? 0;
    if (us === 0) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url || '(native)';
    const where = file === '(native)' ? file : `${file}:${lineNumber + 1}`;
    const fn = functionName || '(anonymous)';
    const key = `${fn} ${where}`;
    const entry = byFn.get(key) ?? { fn, where, ms: 0, share: 0 };
    entry.ms += us / 1000;
    byFn.set(key, entry);
  }
  const out = [...byFn.values()].sort((a, b) => b.ms - a.ms);
  for (const e of out) e.share = total > 0 ? (e.ms * 1000) / total : 0;
  return out;
}

/** Inclusive (total) time per function: samples whose stack contains it, counted once per sample. */
export function totalTimes(profile: CpuProfile, root = process.cwd()): SelfTime[] {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const label = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url || '(native)';
    return { fn: functionName || '(anonymous)', where: file === '(native)' ? file : `${file}:${lineNumber + 1}` };
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const totals = new Map<string, SelfTime>();
  let all = 0;
  for (let i = 0; i < samples.length; i++) {
    const us = deltas[i] ?? 0;
    all += us;
    const seen = new Set<string>();
    for (let id: number | undefined = samples[i]; id !== undefined; id = parent.get(id)) {
      const { fn, where } = label(byId.get(id)!);
      const key = `${fn} ${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = totals.get(key) ?? { fn, where, ms: 0, share: 0 };
      entry.ms += us / 1000;
      totals.set(key, entry);
    }
  }
  const out = [...totals.values()].sort((a, b) => b.ms - a.ms);
  for (const e of out) e.share = all > 0 ? (e.ms * 1000) / all : 0;
  return out;
}

/** Self time grouped by file (or package under node_modules), largest first. */
export function selfTimeByFile(rows: SelfTime[]): Array<{ file: string; ms: number; share: number }> {
  const byFile = new Map<string, { file: string; ms: number; share: number }>();
  for (const r of rows) {
    const path = r.where.replace(/:\d+$/, '');
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const file = pkg ? `${pkg} (package)` : path;
    const e = byFile.get(file) ?? { file, ms: 0, share: 0 };
    e.ms += r.ms;
    e.share += r.share;
    byFile.set(file, e);
  }
  return [...byFile.values()].sort((a, b) => b.ms - a.ms);
}

/** Prints the top self-time functions and files to stderr. */
export function printProfile(profile: CpuProfile, top = 25): void {
  const rows = selfTimes(profile);
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
  process.stderr.write(`\n  CPU profile, ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s wall; top self time by function:\n`);
  for (const r of rows.slice(0, top)) process.stderr.write(`    ${pct(r.share)} ${r.ms.toFixed(0).padStart(7)} ms  ${r.fn}  ${r.where}\n`);
  process.stderr.write('  total (inclusive) time of the project\'s own functions:\n');
  for (const r of totalTimes(profile).filter((t) => t.where.startsWith('src/')).slice(0, top)) process.stderr.write(`    ${pct(r.share)} ${r.ms.toFixed(0).padStart(7)} ms  ${r.fn}  ${r.where}\n`);
  process.stderr.write('  by file / package:\n');
  for (const f of selfTimeByFile(rows).slice(0, 15)) process.stderr.write(`    ${pct(f.share)} ${f.ms.toFixed(0).padStart(7)} ms  ${f.file}\n`);
}
