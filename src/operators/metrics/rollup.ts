// A rollup level's aggregator: its records are the final partials of the level below, merged.
import type { Aggregator } from '../aggregators.ts';

/** Options of `rollupOf`. */
export interface RollupOptions<A> {
  /**
   * Applied to each incoming partial before it is merged. A final partial of the level below is
   * complete, so it can be compacted: e.g. `compactCumulativeSum` joins its runs into one.
   */
  compactInput?: (partial: A) => A;
}

/** Merges partials of an aggregator (a 5m level from 1m partials, …); the aggregator must have `merge`. */
export function rollupOf<A>(aggregator: Aggregator<never, A>, options: RollupOptions<A> = {}): Aggregator<A, A> {
  const merge = aggregator.merge;
  if (merge === undefined) throw new TypeError('rollupOf: the aggregator has no merge');
  const compact = options.compactInput ?? ((partial: A) => partial);
  return {
    init: aggregator.init,
    add: (acc, partial) => merge(acc, compact(partial)),
    merge,
    ...(aggregator.serde ? { serde: aggregator.serde } : {}),
  };
}
