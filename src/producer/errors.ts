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
