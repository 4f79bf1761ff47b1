// Producer library: OTLP requests to Kafka with the collector's keys, size splitting and acknowledged delivery.
export { createOtlpProducer, DEFAULT_TOPICS, type OtlpProducer, type OtlpProducerOptions, type PartitionerName, type PreparedRequest, type RequestFormat } from './otlpProducer.ts';
export { KafkaUnavailableError, ProducerClosedError } from './errors.ts';
export { countItems } from './countItems.ts';
export type { DeliveryMode, DeliveryState, PlacedRecord } from './delivery.ts';
