import { describe, expect, it } from 'vitest';
import kafkajs from './kafkajs.ts';
import { isRetriable } from './topics.ts';

const { KafkaJSProtocolError, KafkaJSNumberOfRetriesExceeded, KafkaJSConnectionError, KafkaJSAggregateError, KafkaJSNonRetriableError } = kafkajs as unknown as Record<string, new (...args: unknown[]) => Error>;
const protocol = (type: string, retriable: boolean) => new KafkaJSProtocolError({ type, retriable, message: type, code: 0 });

describe('isRetriable', () => {
  it('retries what a loading or restarting broker answers', () => {
    expect(isRetriable(protocol('UNKNOWN_TOPIC_OR_PARTITION', true))).toBe(true);
    expect(isRetriable(protocol('NOT_LEADER_FOR_PARTITION', true))).toBe(true);
    expect(isRetriable(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBe(true);
    // kafkajs' retrier gives up with a non-retriable wrapper around the last (retriable) error.
    expect(isRetriable(new KafkaJSNumberOfRetriesExceeded(protocol('LEADER_NOT_AVAILABLE', true), { retryCount: 5, retryTime: 100 }))).toBe(true);
    expect(isRetriable(new KafkaJSAggregateError('x', [protocol('NOT_CONTROLLER', true), protocol('REQUEST_TIMED_OUT', true)]))).toBe(true);
  });

  it('fails at once on what waiting cannot fix', () => {
    expect(isRetriable(protocol('INVALID_PARTITIONS', false))).toBe(false);
    expect(isRetriable(new KafkaJSNonRetriableError('bad request'))).toBe(false);
    expect(isRetriable(new KafkaJSNumberOfRetriesExceeded(protocol('TOPIC_AUTHORIZATION_FAILED', false), { retryCount: 5, retryTime: 100 }))).toBe(false);
    expect(isRetriable(new KafkaJSAggregateError('x', [protocol('NOT_CONTROLLER', true), protocol('INVALID_CONFIG', false)]))).toBe(false);
    expect(isRetriable(new Error('plain'))).toBe(false);
  });
});
