// Merges the patterns of one service mined by several miners (one per partition) into one list.
//
// Rules:
// 1. Templates with equal text are one pattern: their bucket counts add up.
// 2. Folding (on by default): a template that a more general one covers — same token count, and at every position
//    the general one has <*> or the same token — is folded into it, counts added. Each partition mines alone, so one
//    may still hold `user alice logged in` while another has already generalized it to `user <*> logged in`: the
//    same pattern. When several templates cover one, it goes to the most specific of them (fewest <*>, then the
//    smallest text), and on from there until a template nothing covers; covering adds <*> at every step, so this ends.
// 3. The result is ordered by total count, largest first, then by template text.
import { WILDCARD, templateTokens } from './drain.ts';

/** A template's line counts over a bucket grid shared by every input (oldest first). */
export interface PatternCounts {
  template: string;
  counts: readonly number[];
}

/** A merged pattern: summed counts, their total and the templates folded into it. */
export interface MergedPattern {
  template: string;
  counts: number[];
  total: number;
  /** Other templates whose counts were added to this one (sorted); equal texts are not listed. */
  folded: string[];
}

export interface MergeOptions {
  /** Fold templates into the more general templates that cover them (rule 2). */
  fold: boolean;
}

/** Whether `general` covers `specific`: same token count, each token of `general` <*> or equal (a template covers itself). */
export function coversTemplate(general: string, specific: string): boolean {
  const g = templateTokens(general);
  const s = templateTokens(specific);
  return g.length === s.length && g.every((t, i) => t === WILDCARD || t === s[i]);
}

/** Patterns of several miners of one service as one list; the rules are at the top of this file. */
export function mergePatterns(patterns: readonly PatternCounts[], options: Partial<MergeOptions> = {}): MergedPattern[] {
  const fold = options.fold ?? true;
  const buckets = patterns.length > 0 ? patterns[0].counts.length : 0;
  const summed = new Map<string, number[]>();
  for (const p of patterns) {
    if (p.counts.length !== buckets) throw new RangeError(`mergePatterns: "${p.template}" has ${p.counts.length} buckets where the others have ${buckets}`);
    const into = summed.get(p.template);
    if (into) p.counts.forEach((c, i) => (into[i] += c));
    else summed.set(p.template, [...p.counts]);
  }

  const target = new Map<string, string>();
  if (fold) {
    // Only templates of one token count can cover each other.
    const byLength = new Map<number, Array<{ template: string; tokens: string[]; wildcards: number }>>();
    for (const template of summed.keys()) {
      const tokens = templateTokens(template);
      const group = byLength.get(tokens.length) ?? [];
      group.push({ template, tokens, wildcards: tokens.filter((t) => t === WILDCARD).length });
      byLength.set(tokens.length, group);
    }
    for (const group of byLength.values()) {
      for (const s of group) {
        let best: (typeof group)[number] | undefined;
        for (const g of group) {
          if (g === s || !g.tokens.every((t, i) => t === WILDCARD || t === s.tokens[i])) continue;
          if (!best || g.wildcards < best.wildcards || (g.wildcards === best.wildcards && g.template < best.template)) best = g;
        }
        if (best) target.set(s.template, best.template);
      }
    }
  }

  const merged = new Map<string, MergedPattern>();
  // Roots first, so every folded template finds its root's entry.
  for (const [template, counts] of summed) {
    if (!target.has(template)) merged.set(template, { template, counts, total: 0, folded: [] });
  }
  for (const [template, counts] of summed) {
    let root = template;
    while (target.has(root)) root = target.get(root)!;
    if (root === template) continue;
    const m = merged.get(root)!;
    counts.forEach((c, i) => (m.counts[i] += c));
    m.folded.push(template);
  }
  const out = [...merged.values()];
  for (const m of out) {
    m.total = m.counts.reduce((t, c) => t + c, 0);
    m.folded.sort();
  }
  return out.sort((a, b) => b.total - a.total || (a.template < b.template ? -1 : a.template > b.template ? 1 : 0));
}
