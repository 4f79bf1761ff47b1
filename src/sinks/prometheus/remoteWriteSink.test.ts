import { describe, expect, it } from 'vitest';
import { RemoteWriteError } from './remoteWrite.ts';
import { classifyRemoteWriteError } from './remoteWriteSink.ts';

describe('classifyRemoteWriteError', () => {
  it.each([
    [500, 'retryable'],
    [502, 'retryable'],
    [503, 'retryable'],
    [429, 'retryable'],
    [400, 'permanent'],
    [404, 'permanent'],
    [413, 'permanent'],
  ])('HTTP %i is %s', (status, kind) => {
    expect(classifyRemoteWriteError(new RemoteWriteError('http://x/api/v1/write', status, 'why')).kind).toBe(kind);
  });

  it('answers with the status and the body', () => {
    expect(classifyRemoteWriteError(new RemoteWriteError('u', 400, 'out of order sample'))).toEqual({ kind: 'permanent', answer: '400 out of order sample' });
  });

  it('retries failures without an answer (network errors, aborts)', () => {
    expect(classifyRemoteWriteError(new TypeError('fetch failed')).kind).toBe('retryable');
    expect(classifyRemoteWriteError(new DOMException('aborted', 'AbortError')).kind).toBe('retryable');
  });
});
