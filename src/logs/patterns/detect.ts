// A rate-jump detector for a template's line counts per time bucket. The rule, in full:
//
//   history  = the up to `history` buckets before the current one (the last count)
//   baseline = mean of history;  spread = max(population stddev of history, √baseline)
//   threshold = max(minCount, baseline + k · spread)
//   jump when current ≥ threshold.
//   No history, or only zeros in it: the template is new to the window; it is flagged ('new') when current ≥ minCount.
//
// √baseline is the standard deviation of a Poisson count with that mean: a steady history (stddev near 0) would
// otherwise flag every small wobble. minCount keeps rare templates (a few lines) from ever being flagged.
// Pure and cheap: one pass over at most `history` numbers.

/** How jumpy a detector is. */
export interface JumpOptions {
  /** Buckets before the current one that make the baseline. */
  history: number;
  /** Spreads above the baseline a count must reach. */
  k: number;
  /** Counts below this are never a jump (nor a 'new' template). */
  minCount: number;
}

export const DEFAULT_JUMP_OPTIONS: Readonly<JumpOptions> = Object.freeze({ history: 12, k: 3, minCount: 10 });

/** Why a count was or was not flagged. */
export type JumpReason = 'new' | 'jump' | 'steady';

/** The detector's verdict on the current bucket, with the numbers behind it. */
export interface JumpVerdict {
  jump: boolean;
  /** The current bucket's count. */
  current: number;
  /** Mean of the history (0 without history). */
  baseline: number;
  /** The count the current bucket had to reach. */
  threshold: number;
  /** 'new': no (non-zero) history and current ≥ minCount; 'jump': current ≥ threshold; 'steady': otherwise. */
  reason: JumpReason;
}

/** Whether the last bucket of `counts` (oldest first) jumps above the ones before it; the rule is at the top of this file. */
export function detectJump(counts: readonly number[], options: Partial<JumpOptions> = {}): JumpVerdict {
  const { history, k, minCount } = { ...DEFAULT_JUMP_OPTIONS, ...options };
  if (!Number.isInteger(history) || history < 1) throw new RangeError(`detectJump: history ${history} is not a positive integer`);
  if (!(k >= 0 && Number.isFinite(k))) throw new RangeError(`detectJump: k ${k} is not a finite number ≥ 0`);
  if (!(minCount >= 0 && Number.isFinite(minCount))) throw new RangeError(`detectJump: minCount ${minCount} is not a finite number ≥ 0`);
  if (counts.length === 0) throw new RangeError('detectJump: counts is empty (the last count is the current bucket)');
  counts.forEach((c, i) => {
    if (!(c >= 0 && Number.isFinite(c))) throw new RangeError(`detectJump: counts[${i}] ${c} is not a finite count ≥ 0`);
  });

  const current = counts[counts.length - 1];
  const past = counts.slice(Math.max(0, counts.length - 1 - history), counts.length - 1);
  if (past.every((c) => c === 0)) {
    const jump = current >= minCount;
    return { jump, current, baseline: 0, threshold: minCount, reason: jump ? 'new' : 'steady' };
  }
  const baseline = past.reduce((t, c) => t + c, 0) / past.length;
  const variance = past.reduce((t, c) => t + (c - baseline) ** 2, 0) / past.length;
  const threshold = Math.max(minCount, baseline + k * Math.max(Math.sqrt(variance), Math.sqrt(baseline)));
  const jump = current >= threshold;
  return { jump, current, baseline, threshold, reason: jump ? 'jump' : 'steady' };
}
