import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withoutAborted, type AbortedTransaction, type FetchedRecord } from './readCommitted.ts';

interface LogRecord extends FetchedRecord {
  /** Index of the transaction the record belongs to (-1: not transactional or a marker). */
  txn: number;
}

const marker = (type: 0 | 1) => Buffer.from([0, 0, 0, type]);

// 'fence': the producer's next owner (same transactional id, so the same producer id) takes over: the coordinator
// aborts the open transaction, or, when the producer had only added this partition without writing to it, writes
// an abort marker that no aborted-transaction entry refers to. Then the same producer id writes and commits again.
type Step = { producer: number; action: 'record' | 'plain' | 'commit' | 'abort' | 'fence' };

/** Builds a partition log from steps of several producers, ending every open transaction at the end. */
function buildLog(steps: Step[]): { log: LogRecord[]; aborted: Array<AbortedTransaction & { last: number }>; abortedTxns: Set<number> } {
  const log: LogRecord[] = [];
  const open = new Map<number, { txn: number; firstOffset: number }>();
  const aborted: Array<AbortedTransaction & { last: number }> = [];
  const abortedTxns = new Set<number>();
  let txns = 0;
  const end = (producer: number, type: 0 | 1, bare = false) => {
    const t = open.get(producer);
    if (!t && bare) log.push({ offset: String(log.length), key: marker(type), isControlRecord: true, batchContext: { producerId: String(producer), inTransaction: true }, txn: -1 });
    if (!t) return;
    open.delete(producer);
    const offset = log.length;
    log.push({ offset: String(offset), key: marker(type), isControlRecord: true, batchContext: { producerId: String(producer), inTransaction: true }, txn: -1 });
    if (type === 0) {
      aborted.push({ producerId: String(producer), firstOffset: String(t.firstOffset), last: offset });
      abortedTxns.add(t.txn);
    }
  };
  for (const { producer, action } of steps) {
    if (action === 'commit') end(producer, 1);
    else if (action === 'abort') end(producer, 0);
    else if (action === 'fence') end(producer, 0, true);
    else if (action === 'plain') {
      // A non-transactional record whose key looks like an abort marker must not end anything.
      log.push({ offset: String(log.length), key: marker(0), batchContext: { producerId: String(100 + producer), inTransaction: false }, txn: -1 });
    } else {
      let t = open.get(producer);
      if (!t) open.set(producer, (t = { txn: txns++, firstOffset: log.length }));
      log.push({ offset: String(log.length), key: Buffer.from(`r${log.length}`), batchContext: { producerId: String(producer), inTransaction: true }, txn: t.txn });
    }
  }
  for (const producer of [...open.keys()]) end(producer, producer % 2 === 0 ? 0 : 1);
  return { log, aborted, abortedTxns };
}

const steps = fc.array(
  fc.record({ producer: fc.integer({ min: 1, max: 4 }), action: fc.constantFrom<Step['action']>('record', 'record', 'record', 'plain', 'commit', 'abort', 'fence') }),
  { maxLength: 80 },
);

describe('read committed (withoutAborted)', () => {
  it('equals a brute-force oracle for any interleaving of writers, fetch range and list order', () => {
    fc.assert(
      fc.property(steps, fc.nat(), fc.nat(), fc.infiniteStream(fc.nat()), (s, a, b, order) => {
        const { log, aborted, abortedTxns } = buildLog(s);
        if (log.length === 0) return;
        const from = a % log.length;
        const to = from + (b % (log.length - from));
        const fetched = log.slice(from, to + 1);
        // The broker returns the aborted transactions that overlap the range, in no promised order.
        const overlapping = aborted.filter((t) => t.last >= from && Number(t.firstOffset) <= to).map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));
        const shuffled = overlapping.map((t) => ({ t, k: order.next().value })).sort((x, y) => x.k - y.k).map((x) => x.t);
        const expected = fetched.filter((r) => !r.isControlRecord && !abortedTxns.has(r.txn)).map((r) => r.offset);
        const actual = withoutAborted(fetched, shuffled).filter((r) => !r.isControlRecord).map((r) => r.offset);
        expect(actual).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('handles the case kafkajs 2.2.4 gets wrong: two aborted transactions listed in abort order', () => {
    // A opens at 0, B at 1; B aborts first (marker 3), then A (marker 5); C's committed record at 4.
    const rec = (offset: number, producer: string, control?: 0 | 1): FetchedRecord => ({
      offset: String(offset),
      key: control === undefined ? Buffer.from('k') : marker(control),
      isControlRecord: control !== undefined,
      batchContext: { producerId: producer, inTransaction: true },
    });
    const fetched = [rec(0, 'A'), rec(1, 'B'), rec(2, 'A'), rec(3, 'B', 0), rec(4, 'C'), rec(5, 'A', 0), rec(6, 'C', 1)];
    const kept = withoutAborted(fetched, [{ producerId: 'B', firstOffset: '1' }, { producerId: 'A', firstOffset: '0' }]).filter((r) => !r.isControlRecord);
    expect(kept.map((r) => r.offset)).toEqual(['4']);
  });

  it('returns the records unchanged when nothing was aborted', () => {
    const records: FetchedRecord[] = [{ offset: '7', key: null, batchContext: { producerId: '1', inTransaction: true } }];
    expect(withoutAborted(records, [])).toBe(records);
    expect(withoutAborted(records, undefined)).toBe(records);
  });
});
