// Shared sink machinery: the ExternalSink contract and the SinkRunner every sink is written through.
export type { BatchLimits, ExternalSink, SinkBatch, SinkFailure } from './contract.ts';
export { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './backoff.ts';
export { CircuitBreaker, DEFAULT_BREAKER, type BreakerDecision, type BreakerOptions, type BreakerState } from './breaker.ts';
export { DEFAULT_LIMITS, estimateRowBytes, lastPerKey, splitBatches } from './batch.ts';
export { realClock, SinkTimeoutError, withTimeout, type SinkClock } from './clock.ts';
export type { RequestOutcome, SinkObserver, SinkStatus } from './managedSink.ts';
export {
  DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS, SinkRunner, SinkWriteCancelled,
  type SinkDeadLetter, type SinkRunnerOptions, type SinkSource, type WriteHooks,
} from './sinkRunner.ts';
export { SINK_HEADER, SinkRejectedError, sinkDeadLetterRecord, type SinkRowSource } from './deadLetters.ts';
