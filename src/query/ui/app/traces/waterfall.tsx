// The waterfall of one trace: one scroll container of fixed-height rows, of which only those in view (and a few
// around) are in the DOM, so a trace of 10,000 spans draws as fast as one of 10. Bars are placed from the layout
// (layout.ts); the critical path's pieces are drawn over them. Keyboard: ↑/↓ move, ←/→ fold and unfold (or go to
// the parent), Enter folds or unfolds, Home/End/PageUp/PageDown jump.
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatNanos } from '../format.ts';
import { timeTicks, visibleRows, type WaterfallLayout } from './layout.ts';
import { serviceHue, type FlatSpan } from './model.ts';

export const ROW_HEIGHT = 24;
const OVERSCAN = 10;
const MAX_HEIGHT = 620;
const INDENT = 14;
const MAX_INDENT_DEPTH = 24;

interface Props {
  layout: WaterfallLayout<FlatSpan>;
  selected: string | undefined;
  onSelect: (spanId: string) => void;
}

export function Waterfall({ layout, selected, onSelect }: Props): JSX.Element {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [scrollTop, setScrollTop] = useState(0);
  const scroller = useRef<HTMLDivElement>(null);
  const visible = useMemo(() => visibleRows(layout, collapsed), [layout, collapsed]);
  // Position of each row in `visible` (-1 when folded away).
  const positionOf = useMemo(() => {
    const pos = new Int32Array(layout.rows.length).fill(-1);
    visible.forEach((row, k) => (pos[row] = k));
    return pos;
  }, [layout, visible]);
  const height = Math.min(MAX_HEIGHT, Math.max(ROW_HEIGHT, visible.length * ROW_HEIGHT));
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(visible.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const selectedRow = selected === undefined ? undefined : layout.index.get(selected);

  useEffect(() => {
    // The waterfall's rows are drawn (read by bench/ui.ts): after the next paint.
    requestAnimationFrame(() => setTimeout(() => performance.mark('traces:waterfall'), 0));
  }, [layout]);

  // A selected span (from the critical path, the logs or the route) is unfolded and scrolled into view.
  useLayoutEffect(() => {
    if (selectedRow === undefined) return;
    let hidden = false;
    for (let p = layout.rows[selectedRow].parent; p !== -1; p = layout.rows[p].parent) if (collapsed.has(layout.rows[p].span.spanId)) hidden = true;
    if (hidden) {
      const next = new Set(collapsed);
      for (let p = layout.rows[selectedRow].parent; p !== -1; p = layout.rows[p].parent) next.delete(layout.rows[p].span.spanId);
      setCollapsed(next);
      return;
    }
    const el = scroller.current;
    const k = positionOf[selectedRow];
    if (!el || k < 0) return;
    const top = k * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
  }, [selectedRow, positionOf]);

  const toggle = (spanId: string) => {
    const next = new Set(collapsed);
    if (next.has(spanId)) next.delete(spanId);
    else next.add(spanId);
    setCollapsed(next);
  };

  const onKey = (e: KeyboardEvent) => {
    const k = selectedRow === undefined ? -1 : positionOf[selectedRow];
    const page = Math.max(1, Math.floor(height / ROW_HEIGHT) - 1);
    const moveTo = (pos: number) => {
      const row = visible[Math.max(0, Math.min(visible.length - 1, pos))];
      if (row !== undefined) onSelect(layout.rows[row].span.spanId);
    };
    const row = selectedRow === undefined ? undefined : layout.rows[selectedRow];
    switch (e.key) {
      case 'ArrowDown':
        moveTo(k + 1);
        break;
      case 'ArrowUp':
        moveTo(k - 1);
        break;
      case 'PageDown':
        moveTo(k + page);
        break;
      case 'PageUp':
        moveTo(k - page);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        moveTo(visible.length - 1);
        break;
      case 'ArrowLeft':
        if (row === undefined) return;
        if (row.size > 1 && !collapsed.has(row.span.spanId)) toggle(row.span.spanId);
        else if (row.parent !== -1) onSelect(layout.rows[row.parent].span.spanId);
        break;
      case 'ArrowRight':
        if (row !== undefined && collapsed.has(row.span.spanId)) toggle(row.span.spanId);
        break;
      case 'Enter':
        if (row !== undefined && row.size > 1) toggle(row.span.spanId);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const ticks = timeTicks(layout.durationNanos);
  const rows: JSX.Element[] = [];
  for (let k = first; k < last; k++) {
    const i = visible[k];
    const r = layout.rows[i];
    const s = r.span;
    const folded = collapsed.has(s.spanId);
    const end = r.offset + r.width;
    const error = s.status === 'error';
    // The duration goes after the bar, before it when the bar ends near the right edge, inside it when both are full.
    const durInside = end > 0.78 && r.offset < 0.15;
    rows.push(
      <div
        key={s.spanId}
        class={`wf-row${i === selectedRow ? ' selected' : ''}${error ? ' error' : ''}`}
        style={{ top: `${k * ROW_HEIGHT}px` }}
        id={`wf-${s.spanId}`}
        role="option"
        aria-selected={i === selectedRow}
        data-testid="waterfall-row"
        data-span-id={s.spanId}
        data-critical={r.critical ? 'true' : 'false'}
        onClick={() => {
          onSelect(s.spanId);
          // The keys work from here on.
          scroller.current?.focus({ preventScroll: true });
        }}
      >
        <div class="wf-label" style={{ paddingLeft: `${Math.min(r.depth, MAX_INDENT_DEPTH) * INDENT + 4}px` }} title={`${s.service} ${s.name}`}>
          {r.size > 1 ? (
            <button
              type="button"
              class="wf-toggle"
              tabIndex={-1}
              aria-label={folded ? 'unfold' : 'fold'}
              aria-expanded={!folded}
              onClick={(e) => {
                e.stopPropagation();
                toggle(s.spanId);
              }}
            >
              {folded ? '▸' : '▾'}
            </button>
          ) : (
            <span class="wf-toggle" />
          )}
          {r.depth > MAX_INDENT_DEPTH ? <span class="wf-depth">{r.depth}</span> : null}
          <span class="svc-dot" style={{ '--hue': serviceHue(s.service) }} />
          <span class="wf-service">{s.service}</span>
          <span class="wf-name">{s.name}</span>
          {folded ? <span class="muted"> (+{r.size - 1})</span> : null}
          {error ? <span class="badge error">error</span> : null}
        </div>
        <div class="wf-track">
          <span
            class={`wf-bar${r.critical ? ' critical' : ''}`}
            style={{ left: `${r.offset * 100}%`, width: `max(2px, ${r.width * 100}%)`, '--hue': serviceHue(s.service) }}
          />
          {r.criticalPieces.map((p, j) => (
            <span key={j} class="wf-crit" style={{ left: `${p.offset * 100}%`, width: `max(2px, ${p.width * 100}%)` }} />
          ))}
          <span class={`wf-dur${durInside ? ' inside' : ''}`} style={end <= 0.78 ? { left: `${end * 100}%` } : durInside ? { right: `${(1 - end) * 100}%` } : { right: `${(1 - r.offset) * 100}%` }}>
            {formatNanos(Number(s.durationNanos))}
          </span>
        </div>
      </div>,
    );
  }

  return (
    <div class="waterfall" data-testid="waterfall">
      <div class="wf-axis" aria-hidden="true">
        <div class="wf-label muted">
          {layout.rows.length} span{layout.rows.length === 1 ? '' : 's'} · <span class="wf-crit-key" /> critical path
        </div>
        <div class="wf-track">
          {ticks.map((t) => (
            <span key={t} class="wf-tick" style={{ left: `${(t / Math.max(1, layout.durationNanos)) * 100}%` }}>
              {t === 0 ? '0' : formatNanos(t)}
            </span>
          ))}
        </div>
      </div>
      <div
        class="wf-scroll"
        ref={scroller}
        tabIndex={0}
        role="listbox"
        aria-label="spans of the trace (arrow keys move, Enter folds)"
        aria-activedescendant={selected !== undefined && selectedRow !== undefined && positionOf[selectedRow] >= first && positionOf[selectedRow] < last ? `wf-${selected}` : undefined}
        style={{ height: `${height}px` }}
        onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}
        onKeyDown={onKey}
      >
        <div class="wf-body" style={{ height: `${visible.length * ROW_HEIGHT}px` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
