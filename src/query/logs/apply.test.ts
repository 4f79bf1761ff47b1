// Applying log records to the store: a segment written again (a replay) replaces what it derived, and tombstones of
// every key leave the log databases empty — postings, dictionary and fields included.
import { describe, expect, it } from 'vitest';
import { Traffic } from '../../gen/traffic.ts';
import { applyLogs, indexLogs, tempLogStore, type Records } from './testing.ts';
import type { LogStore } from './store.ts';

const count = (logs: LogStore) => ({
  blocks: logs.blocks.getKeysCount(),
  segments: logs.segments.getKeysCount(),
  byTime: logs.byTime.getKeysCount(),
  postings: logs.postings.getKeysCount(),
  terms: logs.terms.getKeysCount(),
  fields: logs.fields.getKeysCount(),
  segmentTerms: logs.segmentTerms.getKeysCount(),
});

describe('log records applied to the store', () => {
  const input = new Traffic({ seed: 3, startMs: Date.UTC(2026, 11, 4) }).traces(800).logs.map((record, i) => ({ tenant: i % 3 === 0 ? 'acme' : undefined, record }));
  const written = indexLogs(input);

  it('replaces what a segment derived when its key comes again, and removes it all on tombstones', async () => {
    const { store, logs, close } = tempLogStore();
    try {
      applyLogs(store, logs, written);
      const once = count(logs);
      expect(once.segments).toBeGreaterThan(2);
      applyLogs(store, logs, written);
      expect(count(logs)).toEqual(once);
      const tombstones = (records: Records) => records.map((r) => ({ key: r.key, value: null }));
      applyLogs(store, logs, { blocks: tombstones(written.blocks), index: tombstones(written.index) });
      expect(count(logs)).toEqual({ blocks: 0, segments: 0, byTime: 0, postings: 0, terms: 0, fields: 0, segmentTerms: 0 });
    } finally {
      await close();
    }
  });
});
