// Producer library: OTLP requests to Kafka with the collector's keys, size splitting and acknowledged delivery.
export {
  createOtlpProducer, DEFAULT_TOPICS, RECORD_MEMORY_OVERHEAD, type OtlpProducer, type OtlpProducerOptions, type PartitionerName, type PlanOptions,
  type PreparedRequest, type RequestFormat, type RequestPlan,
} from './otlpProducer.ts';
export { KafkaUnavailableError, NoRoomError, ProducerClosedError, RecordsTooLargeError } from './errors.ts';
export { countItems } from '../otlp/countItems.ts';
export type { DeliveryMode, DeliveryState, PlacedRecord } from './delivery.ts';
