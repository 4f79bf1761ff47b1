import { describe, expect, it } from 'vitest';
import { classifyPostgresError, describePostgresError } from './classify.ts';

const pgError = (code: string, message = 'boom', detail?: string) => Object.assign(new Error(message), { code, detail });

describe('classifyPostgresError', () => {
  it.each([
    ['ECONNREFUSED', 'retryable'],
    ['ECONNRESET', 'retryable'],
    ['ETIMEDOUT', 'retryable'],
    ['EPIPE', 'retryable'],
    ['ENOTFOUND', 'retryable'],
    ['57P01', 'retryable'], // admin shutdown (pg_ctl stop -m fast)
    ['57P03', 'retryable'], // cannot connect now (starting up)
    ['57014', 'retryable'], // statement timeout
    ['08006', 'retryable'], // connection failure
    ['08001', 'retryable'],
    ['53300', 'retryable'], // too many connections
    ['53100', 'retryable'], // disk full
    ['40001', 'retryable'], // serialization failure
    ['40P01', 'retryable'], // deadlock
    ['42P01', 'retryable'], // undefined table: the sink creates it again
    ['XX000', 'retryable'],
    ['22P02', 'permanent'], // invalid text representation
    ['22003', 'permanent'], // numeric value out of range
    ['23505', 'permanent'], // unique violation
    ['23502', 'permanent'], // not null violation
    ['42703', 'permanent'], // undefined column
    ['42804', 'permanent'], // datatype mismatch
    ['0A000', 'permanent'], // feature not supported
  ])('%s is %s', (code, kind) => {
    expect(classifyPostgresError(pgError(code)).kind).toBe(kind);
  });

  it('retries errors without a code (connection terminated, client timeouts) and non-errors', () => {
    expect(classifyPostgresError(new Error('Connection terminated unexpectedly')).kind).toBe('retryable');
    expect(classifyPostgresError(new Error('Query read timeout')).kind).toBe('retryable');
    expect(classifyPostgresError('weird').kind).toBe('retryable');
    expect(classifyPostgresError(undefined).kind).toBe('retryable');
  });

  it('answers with the SQLSTATE, the message and the detail', () => {
    expect(describePostgresError(pgError('22P02', 'invalid input syntax for type bigint: "x"'))).toBe('22P02 invalid input syntax for type bigint: "x"');
    expect(classifyPostgresError(pgError('23505', 'duplicate key', 'Key (id)=(1) already exists.'))).toEqual({ kind: 'permanent', answer: '23505 duplicate key (Key (id)=(1) already exists.)' });
  });
});
