// The stream runtime: topologies (DSL and YAML) run by workers in a consumer group, with exactly-once inside Kafka.
export { topology, Stream, WindowedStream, toJson, type Materialized, type Produced, type WindowOptions } from './dsl.ts';
export type { EmitOutput, Flow, OutputTopicSpec, SinkContext, SinkOutput, SinkSpec, SourceItem, SourceMessage, SourceSpec, StoreSpec, TaskContext, TaskOutput, Topology } from './topology.ts';
export { Worker, type WorkerOptions } from './worker.ts';
export type { Cancellable, Processor, ProcessorContext, ProcessorDefinition, ProcessorOutput, ProcessorRecord, PunctuationType, StoreDefinition } from './processor.ts';
export { keyValueStore, windowStore, type KeyValueStoreDefinition, type WindowStoreDefinition } from './stores.ts';
export { TopologyTestDriver, type DriverRecord } from './testing.ts';
export { changelogTopic } from './changelog.ts';
export type { ExternalSink } from './sinks.ts';
export { backfill, backfillTopology, checkBackfillOptions, type BackfillOptions, type BackfillProgress, type BackfillResult, type BackfillShape } from './backfill.ts';
