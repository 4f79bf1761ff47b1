import { describe, expect, it } from 'vitest';
import { classifyInfluxError, InfluxWriteError } from './influxSink.ts';

describe('classifyInfluxError', () => {
  it.each([
    [500, 'retryable'],
    [503, 'retryable'],
    [429, 'retryable'],
    [400, 'permanent'],
    [401, 'permanent'],
    [413, 'permanent'],
    [422, 'permanent'],
  ])('HTTP %i is %s', (status, kind) => {
    expect(classifyInfluxError(new InfluxWriteError('http://x/api/v2/write', status, 'why')).kind).toBe(kind);
  });

  it('answers with the status and the body; retries failures without an answer', () => {
    expect(classifyInfluxError(new InfluxWriteError('u', 400, '{"code":"invalid","message":"unable to parse"}'))).toEqual({ kind: 'permanent', answer: '400 {"code":"invalid","message":"unable to parse"}' });
    expect(classifyInfluxError(new TypeError('fetch failed')).kind).toBe('retryable');
  });
});
