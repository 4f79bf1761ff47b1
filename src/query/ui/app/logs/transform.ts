// Pure shapes of the logs view: the API's answers (docs/logs.md), the histogram as stacked bars per severity level,
// the pattern rows with their jump flags, and a search for a template's lines.

/** A hit of GET /api/logs/search. */
export interface LogHit {
  /** ns since the epoch, as text (beyond a double's precision). */
  time: string;
  timestamp: string;
  severity: string;
  severityNumber: number;
  level: string;
  service: string;
  body: string;
  traceId?: string;
  spanId?: string;
  attributes: Record<string, string>;
  resource: Record<string, string>;
}

export interface SearchPage {
  logs: LogHit[];
  next: string | null;
  stats?: { segmentsScanned: number; elapsedMs: number };
  partial?: string[];
}

export interface HistogramBucket {
  startMs: number;
  count: number;
  levels: Record<string, number>;
  services: Record<string, number>;
}

export interface HistogramAnswer {
  step: number;
  buckets: HistogramBucket[];
  partial: boolean;
}

export interface PatternVerdict {
  jump: boolean;
  current: number;
  baseline: number;
  threshold: number;
  reason: 'new' | 'jump' | 'steady';
}

export interface Pattern {
  service: string;
  template: string;
  total: number;
  counts: number[];
  folded?: number;
  jump: boolean;
  verdict: PatternVerdict;
}

export interface PatternsAnswer {
  step: number;
  startMs: number;
  patterns: Pattern[];
  partial?: string[];
}

/** Severity levels bottom to top of a stacked bar (the API's `level` names). */
export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'unknown'] as const;

/** The CSS variable of a level's colour (unknown levels share the muted colour). */
export function levelColorVar(level: string): string {
  return (LEVELS as readonly string[]).includes(level) && level !== 'unknown' ? `--sev-${level}` : '--fg-muted';
}

/** The histogram as uPlot wants stacked bars: x in seconds, and per level present the running sum up to it. */
export interface StackedHistogram {
  /** Bucket starts, unix seconds. */
  xs: number[];
  /** Levels that have a count somewhere, bottom to top. */
  levels: string[];
  /** Per level: its own counts per bucket. */
  counts: number[][];
  /** Per level: the sum of its counts and those of the levels below it (the top of its bar segment). */
  stacked: number[][];
  /** Sum of every bar: the number of matches over the range. */
  total: number;
}

export function stackHistogram(buckets: readonly HistogramBucket[]): StackedHistogram {
  const present = new Set<string>();
  for (const b of buckets) for (const [level, n] of Object.entries(b.levels)) if (n > 0) present.add(level);
  // Levels the API knows in their order; anything else (should not happen) on top, by name.
  const levels = [...LEVELS.filter((l) => present.has(l)), ...[...present].filter((l) => !(LEVELS as readonly string[]).includes(l)).sort()];
  const counts = levels.map((l) => buckets.map((b) => b.levels[l] ?? 0));
  const running = buckets.map(() => 0);
  const stacked = counts.map((row) => row.map((n, i) => (running[i] += n)));
  const total = running.reduce((t, n) => t + n, 0);
  return { xs: buckets.map((b) => b.startMs / 1000), levels, counts, stacked, total };
}

/** A time in ms as the API's ns text (exact: ms are integers here). */
export function msToNanosText(ms: number): string {
  return `${Math.floor(ms)}000000`;
}

/** The ms range a drag over [fromFrac, toFrac] of the plot's width selects, the x axis spanning [minMs, maxMs]. */
export function selectedRange(fromFrac: number, toFrac: number, minMs: number, maxMs: number): { startMs: number; endMs: number } | undefined {
  const clamp = (f: number) => Math.min(1, Math.max(0, f));
  const [a, b] = [clamp(Math.min(fromFrac, toFrac)), clamp(Math.max(fromFrac, toFrac))];
  const startMs = Math.floor(minMs + a * (maxMs - minMs));
  const endMs = Math.ceil(minMs + b * (maxMs - minMs));
  return endMs - startMs >= 1000 ? { startMs, endMs } : undefined;
}

/** Patterns of one service, the flagged ones first, then by total. */
export interface ServicePatterns {
  service: string;
  total: number;
  flagged: number;
  patterns: Pattern[];
}

export function groupPatterns(patterns: readonly Pattern[]): ServicePatterns[] {
  const byService = new Map<string, Pattern[]>();
  for (const p of patterns) {
    const list = byService.get(p.service);
    if (list === undefined) byService.set(p.service, [p]);
    else list.push(p);
  }
  const groups = [...byService].map(([service, list]) => ({
    service,
    total: list.reduce((t, p) => t + p.total, 0),
    flagged: list.filter((p) => p.jump).length,
    patterns: [...list].sort((a, b) => Number(b.jump) - Number(a.jump) || b.total - a.total || (a.template < b.template ? -1 : 1)),
  }));
  return groups.sort((a, b) => b.flagged - a.flagged || b.total - a.total || (a.service < b.service ? -1 : 1));
}

/**
 * A search for a template's lines: the service, and each run of fixed text between `<*>` as a phrase (punctuation
 * does not count in a phrase, and quotes and backslashes are only punctuation, so they are dropped).
 */
export function templateQuery(service: string, template: string): string {
  const phrases = template
    .split('<*>')
    .map((part) => part.replace(/["\\]/g, ' ').trim())
    .filter((part) => /[\p{L}\p{N}]/u.test(part))
    .map((part) => `"${part}"`);
  const svc = service === '' ? [] : [`service:"${service.replace(/["\\]/g, '')}"`];
  return [...svc, ...phrases].join(' ');
}

/** SVG polyline points for a sparkline of `counts` in a `width`×`height` box (0 at the bottom). */
export function sparkPoints(counts: readonly number[], width: number, height: number): string {
  if (counts.length === 0) return '';
  const max = Math.max(1, ...counts);
  const dx = counts.length > 1 ? width / (counts.length - 1) : 0;
  const round = (n: number) => Math.round(n * 10) / 10;
  return counts.map((c, i) => `${round(i * dx)},${round(height - 1 - (c / max) * (height - 2))}`).join(' ');
}

/** Attributes as sorted key/value pairs. */
export function sortedEntries(record: Record<string, string> | undefined): Array<[string, string]> {
  return Object.entries(record ?? {}).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The ms of a hit's ns time text. */
export function hitMs(hit: Pick<LogHit, 'time'>): number {
  return Number(hit.time.slice(0, -6) || '0');
}
