// Stream operators of a task pipeline: event-time windows, aggregators and their envelope types.
export { count, last, lastValueSerde, max, min, sum, summary, summarySerde } from './aggregators.ts';
export type { Aggregator, LastValue, Summary } from './aggregators.ts';
export * from './metrics/index.ts';
export { deduplicate } from './deduplicate.ts';
export type { DeduplicateOptions } from './deduplicate.ts';
export { lateRecords } from './lateRecords.ts';
export { flushWindows, streamTimeTick, taskRecord, toTaskRecord } from './taskEvent.ts';
export type { CommitMarker, FlushWindows, RecordPosition, StreamTimeTick, TaskEvent, TaskRecord } from './taskEvent.ts';
export { windowedAggregate } from './windowedAggregate.ts';
export type { IdleFlush, WindowedAggregateOptions } from './windowedAggregate.ts';
export { windowedAggregateProcessor } from './windowedAggregateProcessor.ts';
export type { WindowedAggregateProcessorOptions } from './windowedAggregateProcessor.ts';
export { windowCounters } from './windowOutput.ts';
export type {
  InvalidRecord,
  LateRecord,
  WindowCounters,
  WindowOutput,
  WindowResult,
  WindowRetraction,
} from './windowOutput.ts';
export { windowResults } from './windowResults.ts';
export {
  assignWindows,
  formatWindow,
  hoppingWindows,
  sessionWindowOf,
  sessionWindows,
  tumblingWindows,
  validateWindowSpec,
  windowsOverlap,
} from './windows.ts';
export type { FixedWindows, HoppingWindows, SessionWindows, TumblingWindows, Window, WindowSpec } from './windows.ts';
