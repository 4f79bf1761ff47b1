import { describe, expect, it } from 'vitest';
import { backfillRange, parseTime } from './backfill.ts';

describe('parseTime', () => {
  it('reads ISO 8601 and epoch milliseconds', () => {
    expect(parseTime('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTime('1767225600000')).toBe(1767225600000);
  });
  it('says what it expected', () => {
    expect(() => parseTime('yesterday')).toThrow('expected an ISO 8601 time (2026-01-01T00:00:00Z) or epoch milliseconds, got "yesterday"');
  });
});

describe('backfillRange', () => {
  it('takes record-time and event-time ranges and the topic options, checked before anything connects', () => {
    expect(backfillRange({ fromEventTime: 5, toEventTime: 9, sinkTarget: {} })).toEqual({ from: undefined, to: undefined, fromEventTime: 5, toEventTime: 9, outputTopicSuffix: undefined, allowLiveTopics: false });
    expect(() => backfillRange({ sinkTarget: {} })).toThrow('backfill: give a range');
    expect(() => backfillRange({ from: 1, allowLiveTopics: true, outputTopicSuffix: '.x', sinkTarget: {} })).toThrow('exclude each other');
  });
});
