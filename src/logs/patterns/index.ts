// Log patterns: a Drain miner per (tenant, service), merging across partitions and a rate-jump detector.
export {
  DEFAULT_PATTERN_MINER_OPTIONS,
  PatternMiner,
  WILDCARD,
  logTokens,
  matchesTemplate,
  patternMinerOptions,
  templateTokens,
  type MinedLine,
  type PatternCluster,
  type PatternMinerOptions,
} from './drain.ts';
export { DEFAULT_JUMP_OPTIONS, detectJump, type JumpOptions, type JumpReason, type JumpVerdict } from './detect.ts';
export { coversTemplate, mergePatterns, type MergeOptions, type MergedPattern, type PatternCounts } from './merge.ts';
