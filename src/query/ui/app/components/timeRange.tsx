// The time range every view shares: a preset (`range=1h`) or absolute bounds (`start`/`end` in ms) in the route.
import type { JSX } from 'preact';

export const PRESETS = ['5m', '15m', '1h', '6h', '24h', '7d', '30d'] as const;

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

export interface TimeRange {
  startMs: number;
  endMs: number;
}

/** The range a route's parameters name (default: the last hour), at `nowMs`. */
export function resolveRange(params: URLSearchParams, nowMs = Date.now()): TimeRange {
  const start = Number(params.get('start'));
  const end = Number(params.get('end'));
  if (params.get('start') && params.get('end') && Number.isFinite(start) && Number.isFinite(end) && start < end) return { startMs: start, endMs: end };
  const m = /^(\d+)([mhd])$/.exec(params.get('range') ?? '1h');
  const span = m ? Number(m[1]) * UNIT_MS[m[2]] : UNIT_MS.h;
  return { startMs: nowMs - span, endMs: nowMs };
}

interface Props {
  params: URLSearchParams;
  onChange: (range: { range?: string; start?: string; end?: string }) => void;
}

/** Preset buttons; the active one pressed. */
export function TimeRangePicker({ params, onChange }: Props): JSX.Element {
  const active = params.get('start') ? '' : (params.get('range') ?? '1h');
  return (
    <div class="range" role="group" aria-label="time range">
      {PRESETS.map((p) => (
        <button type="button" key={p} aria-pressed={p === active} onClick={() => onChange({ range: p, start: undefined, end: undefined })}>
          {p}
        </button>
      ))}
    </div>
  );
}
