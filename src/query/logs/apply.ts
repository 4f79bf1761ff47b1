// Applying one record of otlp.logs.blocks or a log record of otlp.index to the store, inside the caller's LMDB
// transaction. Throws PoisonRecord for a record it cannot read (the caller counts it and goes on).
import { snappyCompress as compress, snappyUncompress } from '../../kafka/snappyBlock.ts';

/** A stored segment index or term list never expands past this. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;
import { readLogBlockHeader } from '../../logs/block.ts';
import { parseLogSegmentKey, type LogIndexCodec, type LogSegmentEntry, type LogSegmentPlace } from '../../logs/indexRecord.ts';
import { decodeSegmentIndex } from '../../logs/segmentIndex.ts';
import { PoisonRecord } from '../apply.ts';
import { keyText, MAX_KEY_TEXT } from '../store.ts';
import { invertedTime, splitTerm, type LogStore, type SegmentKey } from './store.ts';

function placeOf(key: string | null, topic: string): LogSegmentPlace {
  if (key === null) throw new PoisonRecord(`${topic} record without a key`);
  try {
    return parseLogSegmentKey(key);
  } catch (err) {
    throw new PoisonRecord(`${topic}: ${(err as Error).message}`);
  }
}

const segmentKeyOf = (p: LogSegmentPlace): SegmentKey => [p.tenant, p.blockStart, p.partition, p.seq];

/** Applies an otlp.logs.blocks record (a segment's rows, or a tombstone). */
export function applyLogBlockRecord(logs: LogStore, key: string | null, value: Buffer | null): void {
  const at = segmentKeyOf(placeOf(key, 'otlp.logs.blocks'));
  if (value === null) {
    logs.blocks.removeSync(at);
    return;
  }
  try {
    readLogBlockHeader(value);
  } catch (err) {
    throw new PoisonRecord(`otlp.logs.blocks key "${key}": ${(err as Error).message}`);
  }
  logs.blocks.putSync(at, value);
}

/** Applies a log segment record of otlp.index (or its tombstone); returns the records the segment indexes. */
export function applyLogIndexRecord(logs: LogStore, codec: LogIndexCodec, key: string | null, value: Buffer | null): number {
  const place = placeOf(key, 'otlp.index');
  const at = segmentKeyOf(place);
  let entry: LogSegmentEntry | undefined;
  let terms: Array<[string, Buffer]> = [];
  if (value !== null) {
    try {
      entry = codec.decode(value);
      terms = [...decodeSegmentIndex(snappyUncompress(entry.terms, MAX_INDEX_BYTES))];
    } catch (err) {
      throw new PoisonRecord(`otlp.index key "${key}": ${(err as Error).message}`);
    }
    if (entry.tenant !== place.tenant || entry.blockStart !== place.blockStart || entry.partition !== place.partition || entry.seq !== place.seq) {
      throw new PoisonRecord(`otlp.index key "${key}" holds the segment of another key`);
    }
  }
  // A key written again (a replay) replaces what the earlier value derived.
  removeSegment(logs, at);
  if (entry === undefined) return 0;
  const [t] = at;
  const inv = invertedTime(entry.maxTimeMs);
  const kept: string[] = [];
  for (const [term, postings] of terms) {
    const [rawField, rawValue] = splitTerm(term);
    const field = keyText(rawField);
    const text = keyText(rawValue);
    // LMDB keys are bounded: terms that long are not searchable (the tokenizer and the segment index cut earlier).
    if (field.length > MAX_KEY_TEXT || text.length > MAX_KEY_TEXT) continue;
    logs.postings.putSync([t, field, text, inv, ...at.slice(1)], postings);
    const count = logs.terms.get([t, field, text]) ?? 0;
    logs.terms.putSync([t, field, text], count + 1);
    if (count === 0) logs.fields.putSync([t, field], (logs.fields.get([t, field]) ?? 0) + 1);
    kept.push(`${field}\0${text}`);
  }
  logs.segments.putSync(at, { records: entry.records, minTimeMs: entry.minTimeMs, maxTimeMs: entry.maxTimeMs, counts: entry.counts, patterns: entry.patterns });
  logs.byTime.putSync([t, inv, ...at.slice(1)], 1);
  logs.segmentTerms.putSync(at, Buffer.from(compress(Buffer.from(JSON.stringify(kept), 'utf8'))));
  return entry.records;
}

/** Removes what a segment's index record derived (nothing if it has none). */
function removeSegment(logs: LogStore, at: SegmentKey): void {
  const meta = logs.segments.get(at);
  if (meta === undefined) return;
  const [t] = at;
  const inv = invertedTime(meta.maxTimeMs);
  const stored = logs.segmentTerms.get(at);
  const terms = stored === undefined ? [] : (JSON.parse(Buffer.from(snappyUncompress(stored, MAX_INDEX_BYTES)).toString('utf8')) as string[]);
  for (const term of terms) {
    const [field, text] = splitTerm(term);
    logs.postings.removeSync([t, field, text, inv, ...at.slice(1)]);
    const count = (logs.terms.get([t, field, text]) ?? 1) - 1;
    if (count > 0) {
      logs.terms.putSync([t, field, text], count);
      continue;
    }
    logs.terms.removeSync([t, field, text]);
    const fieldCount = (logs.fields.get([t, field]) ?? 1) - 1;
    if (fieldCount > 0) logs.fields.putSync([t, field], fieldCount);
    else logs.fields.removeSync([t, field]);
  }
  logs.byTime.removeSync([t, inv, ...at.slice(1)]);
  logs.segments.removeSync(at);
  logs.segmentTerms.removeSync(at);
}
