// Dead-letter handling shared by every consumer: bad records go to otlp.dlq with headers, are counted, and are skipped.
export {
  createDeadLetterQueue, deadLetterRecord, DEFAULT_DEAD_LETTER_MAX_BYTES, DLQ_HEADERS, DLQ_TOPIC,
  type DeadLetterOptions, type DeadLetterQueue, type DeadLetterQueueOptions, type DeadLetterSource, type RecordSender,
} from './deadLetter.ts';
