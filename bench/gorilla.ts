// Gorilla chunks (src/chunks): bytes per sample on four series shapes, and encode/decode points/s on one core.
// Baselines measured in the same run on the same points: Prometheus TSDB blocks written by `promtool tsdb
// create-blocks-from openmetrics`, and VictoriaMetrics (the stack's binary) after /api/v1/import, a flush and a
// merge. Sizes are deterministic (seeded generator); speeds are medians of several runs on a shared 2-core machine.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { chunkInfo, decodeChunk, encodeChunk, type ValueEncoding } from '../src/chunks/index.ts';
import { freePort, startDetached, stopProcess, waitUntil } from '../src/stack/processes.ts';
import { median, report, type BenchResult } from './report.ts';
import { envNumber, itemsPerSecond, note, rng, round, sleep } from './lib/util.ts';

const SERIES = envNumber('GORILLA_SERIES', 1000);
const SAMPLES = 480;
const STEP_MS = 15_000;
/** Aligned to a 2 h boundary so Prometheus puts each series into one block. */
const T0 = Math.floor(1_750_000_000_000 / 7_200_000) * 7_200_000;
const RUNS = envNumber('GORILLA_RUNS', 5);
const MIN_RUN_MS = 300;
/** GORILLA_BASELINES=0 skips Prometheus and VictoriaMetrics (quick codec-only runs). */
const BASELINES = process.env.GORILLA_BASELINES !== '0';

type Shape = 'random-walk' | 'counter' | 'constant' | 'ratio' | 'jittered-walk';
const SHAPES: Shape[] = ['random-walk', 'counter', 'constant', 'ratio', 'jittered-walk'];
const DESCRIPTIONS: Record<Shape, string> = {
  'random-walk': 'gauge, random walk with two decimals (steps ~N(0, 0.5)), from 100.00..200.00',
  counter: 'monotonic integer counter, increments 0..199 per 15 s',
  constant: 'constant gauge, one integer 0..999 per series',
  ratio: 'noisy 0..1 ratio: 0.5 + 0.2 sin + uniform noise, full float64 precision',
  'jittered-walk': 'the random walk pushed every 15 s with 0..19 ms of jitter on each timestamp (extra shape)',
};

const regularTimestamps = Float64Array.from({ length: SAMPLES }, (_, i) => T0 + i * STEP_MS);

/** One series: its timestamps (ms) and values. */
interface Series {
  timestamps: Float64Array;
  values: Float64Array;
}

function generate(shape: Shape, seed: number): Series[] {
  const random = rng(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  // 53 random bits, so the noise is not limited to the 32 bits of one rng() draw.
  const random53 = (): number => (Math.floor(random() * 2 ** 26) * 2 ** 27 + Math.floor(random() * 2 ** 27)) / 2 ** 53;
  return Array.from({ length: SERIES }, () => {
    const v = new Float64Array(SAMPLES);
    let timestamps = regularTimestamps;
    if (shape === 'jittered-walk') timestamps = Float64Array.from(regularTimestamps, (t) => t + Math.floor(random() * 20));
    if (shape === 'random-walk' || shape === 'jittered-walk') {
      let cents = 10_000 + Math.floor(random() * 10_000);
      for (let i = 0; i < SAMPLES; i++) v[i] = (cents += Math.round(gaussian() * 50)) / 100;
    } else if (shape === 'counter') {
      let c = Math.floor(random() * 1_000_000);
      for (let i = 0; i < SAMPLES; i++) v[i] = c += Math.floor(random() * 200);
    } else if (shape === 'constant') {
      v.fill(Math.floor(random() * 1000));
    } else {
      const phase = random() * 2 * Math.PI;
      for (let i = 0; i < SAMPLES; i++) v[i] = Math.min(1, Math.max(0, 0.5 + 0.2 * Math.sin(i / 40 + phase) + (random53() - 0.5) * 0.2));
    }
    return { timestamps, values: v };
  });
}

// ---- ours ----------------------------------------------------------------------------------------------

interface Ours {
  bytes: number;
  bytesCompressed: number;
  encodings: Partial<Record<ValueEncoding, number>>;
  compressedChosen: number;
  encodeRate: number;
  decodeRate: number;
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  const x = new BigUint64Array(a.buffer, a.byteOffset, a.length);
  const y = new BigUint64Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Points per second of `work` (which handles `points` points), median of RUNS runs of at least MIN_RUN_MS. */
function rate(points: number, work: () => void): number {
  work(); // warm-up
  return median(Array.from({ length: RUNS }, () => itemsPerSecond(points, work, MIN_RUN_MS)));
}

function measureOurs(series: Series[]): Ours {
  const chunks = series.map((s) => encodeChunk(s));
  const encodings: Partial<Record<ValueEncoding, number>> = {};
  let bytes = 0;
  for (const [i, c] of chunks.entries()) {
    bytes += c.length;
    const e = chunkInfo(c).valueEncoding;
    encodings[e] = (encodings[e] ?? 0) + 1;
    const d = decodeChunk(c);
    if (!sameBits(d.values, series[i].values) || !sameBits(d.timestamps, series[i].timestamps)) throw new Error(`series ${i} does not round-trip`);
  }
  let bytesCompressed = 0;
  let compressedChosen = 0;
  for (const s of series) {
    const c = encodeChunk(s, { compression: 'auto' });
    bytesCompressed += c.length;
    if (chunkInfo(c).compression !== 'none') compressedChosen++;
  }
  const points = series.length * SAMPLES;
  let sink = 0;
  const encodeRate = rate(points, () => {
    for (const s of series) sink += encodeChunk(s).length;
  });
  const decodeRate = rate(points, () => {
    for (const c of chunks) sink += decodeChunk(c).values.length;
  });
  if (sink === 0) throw new Error('nothing encoded');
  return { bytes, bytesCompressed, encodings, compressedChosen, encodeRate, decodeRate };
}

// ---- Prometheus (promtool) -----------------------------------------------------------------------------

const metricName = (shape: Shape): string => `gorilla_bench_${shape.replace('-', '_')}`;

async function writeLines(file: string, lines: (write: (s: string) => boolean) => Generator<void>): Promise<void> {
  const out = createWriteStream(file);
  for (const _ of lines((s) => out.write(s))) {
    if (out.writableNeedDrain) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function filesUnder(dir: string): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push({ path, size: statSync(path).size });
  }
  return out;
}

interface Baseline {
  bytes?: number;
  extraBytes?: number;
  why?: string;
}

async function measurePrometheus(shape: Shape, series: Series[], work: string): Promise<Baseline> {
  const file = join(work, `${shape}.om`);
  const name = metricName(shape);
  await writeLines(file, function* (write) {
    write(`# TYPE ${name} gauge\n`);
    for (const [s, { timestamps, values }] of series.entries()) {
      let text = '';
      // Seconds with exactly three decimals, so promtool's float seconds come back as the same milliseconds.
      for (let i = 0; i < SAMPLES; i++) text += `${name}{series="${s}"} ${values[i]} ${(timestamps[i] / 1000).toFixed(3)}\n`;
      write(text);
      yield;
    }
    write('# EOF\n');
  });
  const outDir = join(work, `prom-${shape}`);
  const run = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, outDir], { encoding: 'utf8' });
  rmSync(file);
  if (run.error || run.status !== 0) return { why: `promtool failed: ${run.error?.message ?? run.stderr.trim().split('\n').slice(-2).join(' ')}` };
  const files = filesUnder(outDir);
  const chunkBytes = files.filter((f) => /\/chunks\/\d+$/.test(f.path)).reduce((a, f) => a + f.size, 0);
  const indexBytes = files.filter((f) => f.path.endsWith('/index')).reduce((a, f) => a + f.size, 0);
  rmSync(outDir, { recursive: true });
  if (chunkBytes === 0) return { why: 'promtool wrote no chunk files' };
  return { bytes: chunkBytes, extraBytes: indexBytes };
}

function promtoolVersion(): string {
  const run = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  return (run.stdout || run.stderr || 'promtool: version unknown').split('\n')[0].trim();
}

// ---- VictoriaMetrics -----------------------------------------------------------------------------------

async function vmMetrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(vm_[a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

const storageSum = (m: Map<string, number>, metric: string): number => (m.get(`${metric}{type="storage/small"}`) ?? 0) + (m.get(`${metric}{type="storage/big"}`) ?? 0);

/**
 * A private VictoriaMetrics (the binary the stack runs) per shape, so its data size holds exactly these points and
 * nothing the tests sharing the stack's instance write; a long retention keeps the fixed, past timestamps.
 */
async function measureVictoria(shape: Shape, series: Series[], work: string): Promise<Baseline> {
  const dataDir = join(work, `vm-${shape}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc;
  try {
    proc = startDetached('victoria-metrics', 'victoria-metrics', [`-storageDataPath=${dataDir}`, `-httpListenAddr=127.0.0.1:${port}`, '-retentionPeriod=100y'], join(work, `vm-${shape}.log`));
  } catch (err) {
    return { why: `could not start victoria-metrics: ${(err as Error).message}` };
  }
  try {
    await waitUntil(`VictoriaMetrics on ${port}`, async () => (await fetch(`${url}/health`)).ok, { timeoutMs: 30_000, proc });
    const name = metricName(shape);
    const batch = 100;
    for (let s = 0; s < series.length; s += batch) {
      const body = series
        .slice(s, s + batch)
        .map(({ timestamps, values }, j) =>
          JSON.stringify({ metric: { __name__: name, series: String(s + j) }, values: Array.from(values), timestamps: Array.from(timestamps) }),
        )
        .join('\n');
      const res = await fetch(`${url}/api/v1/import`, { method: 'POST', body });
      if (!res.ok) return { why: `VictoriaMetrics import answered ${res.status}: ${await res.text()}` };
    }
    const expected = series.length * SAMPLES;
    const deadline = Date.now() + 60_000;
    let m = await vmMetrics(url);
    while (storageSum(m, 'vm_rows') < expected && Date.now() < deadline) {
      await fetch(`${url}/internal/force_flush`);
      await sleep(500);
      m = await vmMetrics(url);
    }
    if (storageSum(m, 'vm_rows') !== expected) return { why: `VictoriaMetrics holds ${storageSum(m, 'vm_rows')} rows, expected ${expected}` };
    // Merge everything into as few parts as it will: the steady state a long-running server reaches.
    await fetch(`${url}/internal/force_merge`);
    let last = -1;
    for (let i = 0; i < 60; i++) {
      await sleep(500);
      m = await vmMetrics(url);
      const size = storageSum(m, 'vm_data_size_bytes');
      if (storageSum(m, 'vm_active_merges') === 0 && size === last) break;
      last = size;
    }
    return { bytes: storageSum(m, 'vm_data_size_bytes'), extraBytes: m.get('vm_data_size_bytes{type="indexdb"}') ?? 0 };
  } catch (err) {
    return { why: `VictoriaMetrics: ${(err as Error).message}` };
  } finally {
    await stopProcess(proc);
  }
}

// ---- run -----------------------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'gorilla-bench-'));
const results: BenchResult[] = [];
const table: string[] = [];
const samples = SERIES * SAMPLES;
const perSample = (b: number | undefined): string => (b === undefined ? 'n/a' : (b / samples).toFixed(3));
let totalPoints = 0;
let encodeSeconds = 0;
let decodeSeconds = 0;
const notes: string[] = [];
try {
  for (const [i, shape] of SHAPES.entries()) {
    note(`${shape}: generating ${SERIES} series × ${SAMPLES} samples`);
    const series = generate(shape, 1_000 + i);
    note(`${shape}: ours`);
    const ours = measureOurs(series);
    note(`${shape}: Prometheus (promtool tsdb create-blocks-from openmetrics)`);
    const prom = BASELINES ? await measurePrometheus(shape, series, work) : { why: 'skipped (GORILLA_BASELINES=0)' };
    note(`${shape}: VictoriaMetrics (/api/v1/import, force_flush, force_merge)`);
    const vm = BASELINES ? await measureVictoria(shape, series, work) : { why: 'skipped (GORILLA_BASELINES=0)' };
    if (prom.why) notes.push(`Prometheus ${shape}: ${prom.why}`);
    if (vm.why) notes.push(`VictoriaMetrics ${shape}: ${vm.why}`);
    totalPoints += samples;
    encodeSeconds += samples / ours.encodeRate;
    decodeSeconds += samples / ours.decodeRate;
    const encodings = Object.entries(ours.encodings).map(([e, n]) => `${e} ${n}`).join(', ');
    table.push(
      `${shape.padEnd(13)}${perSample(ours.bytes).padStart(7)} ${perSample(ours.bytesCompressed).padStart(9)} ${perSample(prom.bytes).padStart(7)} ${perSample(vm.bytes).padStart(7)}   ` +
        `${(ours.encodeRate / 1e6).toFixed(1).padStart(6)} ${(ours.decodeRate / 1e6).toFixed(1).padStart(6)}   ${encodings}${ours.compressedChosen ? `; body compression helped ${ours.compressedChosen}` : ''}`,
    );
    const key = shape;
    results.push({ metric: `${key} ours bytes/sample`, value: round(ours.bytes / samples, 4), unit: 'B/sample' });
    results.push({ metric: `${key} ours+compression bytes/sample`, value: round(ours.bytesCompressed / samples, 4), unit: 'B/sample' });
    if (prom.bytes !== undefined) {
      results.push({ metric: `${key} prometheus chunks bytes/sample`, value: round(prom.bytes / samples, 4), unit: 'B/sample' });
      results.push({ metric: `${key} prometheus index bytes/sample`, value: round((prom.extraBytes ?? 0) / samples, 4), unit: 'B/sample' });
    }
    if (vm.bytes !== undefined) {
      results.push({ metric: `${key} victoriametrics data bytes/sample`, value: round(vm.bytes / samples, 4), unit: 'B/sample' });
      results.push({ metric: `${key} victoriametrics indexdb bytes/sample`, value: round((vm.extraBytes ?? 0) / samples, 4), unit: 'B/sample' });
      results.push({ metric: `${key} ours ÷ victoriametrics`, value: round(ours.bytes / vm.bytes, 3), unit: 'ratio' });
    }
    results.push({ metric: `${key} encode`, value: Math.round(ours.encodeRate), unit: 'points/s' });
    results.push({ metric: `${key} decode`, value: Math.round(ours.decodeRate), unit: 'points/s' });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
results.push({ metric: 'all shapes encode', value: Math.round(totalPoints / encodeSeconds), unit: 'points/s' });
results.push({ metric: 'all shapes decode', value: Math.round(totalPoints / decodeSeconds), unit: 'points/s' });

console.log(`\nGorilla chunks: ${SERIES} series × ${SAMPLES} samples per shape, ${STEP_MS / 1000} s apart, one chunk per series (2 h block)`);
for (const shape of SHAPES) console.log(`  ${shape}: ${DESCRIPTIONS[shape]}`);
console.log('\n  bytes/sample                                        M points/s (1 core)');
console.log('shape           ours  +deflate/   Prom      VM       encode decode   value encodings chosen');
console.log('                       brotli   chunks    data');
for (const line of table) console.log(line);
console.log('\n  Prom chunks = chunk files of the blocks promtool wrote (index excluded, listed in the JSON);');
console.log('  VM data = vm_data_size_bytes of storage/small + storage/big after import, flush and merge (indexdb excluded, in the JSON),');
console.log("    measured on a private instance of the stack's victoria-metrics binary per shape: the shared instance holds the tests' data.");
console.log(`  ${promtoolVersion()}`);
console.log(`  Speeds: median of ${RUNS} runs on a shared 2-core machine with other work running: expect noise.`);
for (const n of notes) console.log(`  baseline not measured — ${n}`);
report('gorilla', results);
