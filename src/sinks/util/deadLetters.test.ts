import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '../../dlq/index.ts';
import { SINK_HEADER, sinkDeadLetterRecord } from './deadLetters.ts';

describe('sinkDeadLetterRecord', () => {
  it('carries the row as JSON, the server answer, the sink and the source partition and offset', () => {
    const m = sinkDeadLetterRecord(
      { sink: 'counts', row: { key: 'k', window_start: 1n, count: 'x' }, answer: '22P02 invalid input syntax for type bigint: "x"' },
      { topic: 'in', partition: 2, offset: '77' },
      Date.UTC(2026, 0, 1),
    );
    expect(m.key?.toString()).toBe('counts');
    expect(JSON.parse(m.value!.toString())).toEqual({ key: 'k', window_start: '1', count: 'x' });
    expect(m.headers).toMatchObject({
      [SINK_HEADER]: 'counts',
      [DLQ_HEADERS.error]: '22P02 invalid input syntax for type bigint: "x"',
      [DLQ_HEADERS.errorType]: 'SinkRejected',
      [DLQ_HEADERS.sourceTopic]: 'in',
      [DLQ_HEADERS.sourcePartition]: '2',
      [DLQ_HEADERS.sourceOffset]: '77',
    });
  });
});
