// Dead-letter handling shared by every consumer: bad records go to otlp.dlq with headers, are counted, and are skipped.
export {
  createDeadLetterQueue, deadLetterRecord, DLQ_HEADERS, DLQ_TOPIC,
  type DeadLetterQueue, type DeadLetterQueueOptions, type DeadLetterSource, type RecordSender,
} from './deadLetter.ts';
