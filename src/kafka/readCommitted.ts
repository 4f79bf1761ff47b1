// Read-committed filtering of a fetched partition, as the Java consumer does it. kafkajs 2.2.4's own filter
// takes the broker's aborted-transaction list in the order it arrives and opens at most one aborted transaction
// per record; the broker does not send that list in first-offset order, so with several transactional writers on
// one partition kafkajs hides committed records or passes aborted ones. It also treats any record whose key is
// 0x00000000 as an abort marker, control record or not.

/** A record as kafkajs' fetch decoder produces it (the fields the filter reads). */
export interface FetchedRecord {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

/** An entry of a fetch response's aborted-transaction list. */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

// A control record's key: int16 version, int16 type (0 = abort, 1 = commit).
const ABORT = 0;

function isAbortMarker(record: FetchedRecord): boolean {
  return record.isControlRecord === true && record.key !== null && record.key.length >= 4 && record.key.readInt16BE(2) === ABORT;
}

/**
 * Drops the records of aborted transactions. A transactional record of producer P is aborted when an aborted
 * transaction of P starts at or before its offset and P's abort marker has not been passed yet. Control records
 * are kept (the caller drops them), in offset order like the input.
 */
export function withoutAborted<R extends FetchedRecord>(records: R[], aborted: AbortedTransaction[] | null | undefined): R[] {
  if (!aborted || aborted.length === 0) return records;
  const starts = aborted
    .map((t) => ({ producerId: String(t.producerId), firstOffset: BigInt(t.firstOffset) }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<string>();
  let next = 0;
  const kept: R[] = [];
  for (const record of records) {
    const offset = BigInt(record.offset);
    while (next < starts.length && starts[next].firstOffset <= offset) abortedProducers.add(starts[next++].producerId);
    const { producerId, inTransaction } = record.batchContext;
    if (isAbortMarker(record)) abortedProducers.delete(producerId);
    else if (inTransaction && !record.isControlRecord && abortedProducers.has(producerId)) continue;
    kept.push(record);
  }
  return kept;
}

/** kafkajs' module shape: `({ messages, abortedTransactions }) => messages`. */
export function filterAbortedMessages<R extends FetchedRecord>({ messages, abortedTransactions }: { messages: R[]; abortedTransactions?: AbortedTransaction[] | null }): R[] {
  return withoutAborted(messages, abortedTransactions);
}
