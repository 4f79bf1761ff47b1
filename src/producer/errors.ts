// Errors the producer raises to its callers; the gateway maps them to HTTP and gRPC status codes.

/** Kafka cannot take records right now (broker down, producer reconnecting, delivery timed out); retry later. */
export class KafkaUnavailableError extends Error {
  override name = 'KafkaUnavailableError';
  /** Seconds after which a retry has a fair chance. */
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds = 5, options?: { cause?: unknown }) {
    super(message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The producer was closed; nothing more can be sent. */
export class ProducerClosedError extends Error {
  override name = 'ProducerClosedError';
}

/** The records a request would become hold more bytes than allowed; found while planning, before any is built. */
export class RecordsTooLargeError extends Error {
  override name = 'RecordsTooLargeError';
  /** Bytes planned when the limit was passed (planning stops there). */
  readonly heldBytes: number;
  /** Records planned by then. */
  readonly records: number;
  readonly limit: number;

  constructor(heldBytes: number, records: number, limit: number) {
    super(`the request would become more than ${limit} bytes of records (${records} records, ${heldBytes} bytes when planning stopped)`);
    this.heldBytes = heldBytes;
    this.records = records;
    this.limit = limit;
  }
}

/** The memory budget had no room for a request's records while they were planned; retry later. */
export class NoRoomError extends Error {
  override name = 'NoRoomError';

  constructor(wanted: number) {
    super(`no room in the in-flight budget for ${wanted} bytes of records now`);
  }
}
