// Applying one record of otlp.traces or otlp.index to the store, inside the caller's LMDB transaction. Each
// function throws PoisonRecord for a record it cannot read (the caller counts it and goes on); anything else it
// throws is a store failure.
import { parseIndexKey, type TraceBlock, type TraceIndexCodec, type TraceSegment } from '../operators/traces/indexRecord.ts';
import { parseTraceRecordKey } from '../operators/traces/model.ts';
import { decodeTraceValue } from '../operators/traces/traceRecord.ts';
import { idOf, tenantOf, type Span } from '../otlp/index.ts';
import { invertedStart, keyText, MAX_KEY_TEXT, prefixEnd, storedSummary, type QueryStore, type StoredBlock, type StoredSegment, type StoredSummary } from './store.ts';

/** A record that cannot be read: counted and logged, never stops materialization. */
export class PoisonRecord extends Error {}

const TRACE_ID = /^[0-9a-f]{32}$/;

/** Names of OTLP span kinds as the index and Jaeger spell them. */
export const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

/** The service.name resource attribute of a span ('' without one). */
export function serviceOf(span: Span): string {
  for (const a of span.resource.attributes) if (a.key === 'service.name' && a.type === 'string') return a.value;
  return '';
}

/** Applies an otlp.traces record; returns the spans it held (0 for a tombstone). */
export function applyTraceRecord(store: QueryStore, key: string | null, value: Buffer | null): number {
  if (key === null) throw new PoisonRecord('otlp.traces record without a key');
  let traceKey: string;
  let fragment: number;
  try {
    ({ traceKey, fragment } = parseTraceRecordKey(key));
  } catch (err) {
    throw new PoisonRecord((err as Error).message);
  }
  const tenant = tenantOf(traceKey) ?? '';
  const traceId = idOf(traceKey);
  if (!TRACE_ID.test(traceId)) throw new PoisonRecord(`otlp.traces key "${key}": the trace id is not 32 lowercase hex digits`);
  const at = [tenant, traceId, fragment];
  if (value === null) {
    store.traces.removeSync(at);
    return 0;
  }
  let spans: Span[];
  try {
    spans = decodeTraceValue(value);
  } catch (err) {
    throw new PoisonRecord(`otlp.traces key "${key}": ${(err as Error).message}`);
  }
  store.traces.putSync(at, value);
  // Jaeger's operations per service come from the spans: the index has span names, but not whose they are.
  const seen = new Set<string>();
  for (const span of spans) {
    const service = keyText(serviceOf(span));
    const name = keyText(span.name);
    if (name.length > MAX_KEY_TEXT || service.length > MAX_KEY_TEXT) continue;
    const id = `${service}\0${name}\0${span.kind}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const opKey = [tenant, service, name, KIND_NAMES[span.kind] ?? 'unspecified'];
    if (store.operations.get(opKey) === undefined) store.operations.putSync(opKey, 1);
  }
  return spans.length;
}

/** What applying an index record did (for metrics and logs). */
export type IndexApplied = 'segment' | 'block' | 'tombstone';

/** Applies an otlp.index record of the trace index. */
export function applyIndexRecord(store: QueryStore, codec: TraceIndexCodec, key: string | null, value: Buffer | null): IndexApplied {
  if (key === null) throw new PoisonRecord('otlp.index record without a key');
  let place: ReturnType<typeof parseIndexKey>;
  try {
    place = parseIndexKey(key);
  } catch (err) {
    throw new PoisonRecord((err as Error).message);
  }
  const blockAt = [place.tenant, place.blockStart, place.partition];
  if (value === null) {
    if (place.entry === 'block') store.blocks.removeSync(blockAt);
    else removeSegment(store, key, true);
    return 'tombstone';
  }
  let entry: TraceSegment | TraceBlock;
  try {
    entry = codec.decode(value);
  } catch (err) {
    throw new PoisonRecord(`otlp.index key "${key}": ${(err as Error).message}`);
  }
  if ((entry.kind === 'block') !== (place.entry === 'block')) throw new PoisonRecord(`otlp.index key "${key}" holds a ${entry.kind} record`);
  if (entry.kind === 'block') {
    store.blocks.putSync(blockAt, storedBlock(entry));
    return 'block';
  }
  removeSegment(store, key, false);
  addSegment(store, key, { tenant: place.tenant, traces: entry.traces.map(storedSummary), postings: entry.postings });
  return 'segment';
}

function storedBlock(b: TraceBlock): StoredBlock {
  return {
    blockEnd: b.blockEnd,
    traces: b.traces,
    segments: b.segments,
    minDurationNanos: b.minDurationNanos,
    maxDurationNanos: b.maxDurationNanos,
    minStart: b.minStartUnixNano.toString(),
    maxStart: b.maxStartUnixNano.toString(),
    bloomBits: b.bloom.bits,
    bloomHashes: b.bloom.hashes,
  };
}

function increment(db: QueryStore['tagValues'], key: (string | number)[], by: number): void {
  const count = (db.get(key) ?? 0) + by;
  if (count > 0) db.putSync(key, count);
  else db.removeSync(key);
}

// Every derived entry of a segment, visited the same way when adding and removing so counts stay exact.
function forEachEntry(seg: StoredSegment, segKey: string, visit: {
  summary(key: (string | number)[], recentKey: (string | number)[], s: StoredSegment['traces'][number]): void;
  service(key: (string | number)[]): void;
  posting(key: (string | number)[], valueKey: (string | number)[]): void;
}): void {
  const t = seg.tenant;
  for (const s of seg.traces) {
    const inv = invertedStart(s.start);
    visit.summary([t, s.traceId, segKey], [t, inv, s.traceId, segKey], s);
    for (const svc of s.services) {
      const service = keyText(svc.service);
      if (service.length <= MAX_KEY_TEXT) visit.service([t, service]);
    }
  }
  for (const p of seg.postings) {
    const field = keyText(p.field);
    const value = keyText(p.value);
    if (field.length > MAX_KEY_TEXT || value.length > MAX_KEY_TEXT) continue;
    for (const i of p.traces) {
      const s = seg.traces[i];
      if (s === undefined) continue;
      visit.posting([t, field, value, invertedStart(s.start), s.traceId, segKey], [t, field, value]);
    }
  }
}

function addSegment(store: QueryStore, segKey: string, seg: StoredSegment): void {
  forEachEntry(seg, segKey, {
    summary: (key, recentKey, s) => {
      noteStartShift(store, seg.tenant, s);
      store.summaries.putSync(key, s);
      store.recent.putSync(recentKey, s.durationNanos);
    },
    service: (key) => increment(store.services, key, 1),
    posting: (key, valueKey) => {
      // A repeated posting counts once, as its removal will.
      if (store.postings.get(key) !== undefined) return;
      store.postings.putSync(key, 1);
      increment(store.tagValues, valueKey, 1);
    },
  });
  store.segments.putSync(segKey, seg);
}

// Postings and `recent` keys carry the start of their own segment's summary; a late fragment that starts earlier moves
// the trace's start, so its earlier segments' keys sit later than the trace now starts. The largest such move per
// tenant is kept, and a time-bounded search scans that much further (then filters by the trace's real start).
function noteStartShift(store: QueryStore, tenant: string, s: StoredSummary): void {
  const prefix = [tenant, s.traceId];
  const start = BigInt(s.start);
  let shift = 0n;
  for (const { value } of store.summaries.getRange({ start: prefix, end: prefixEnd(prefix) })) {
    const d = BigInt(value.start) - start;
    const moved = d < 0n ? -d : d;
    if (moved > shift) shift = moved;
  }
  if (shift > 0n && Number(shift) > (store.startShifts.get([tenant]) ?? 0)) store.startShifts.putSync([tenant], Number(shift));
}

// Removes what a stored segment derived. A tombstoned segment's traces that no other segment still indexes are past
// the index's retention: their stored spans go too.
function removeSegment(store: QueryStore, segKey: string, tombstone: boolean): void {
  const seg = store.segments.get(segKey);
  if (seg === undefined) return;
  forEachEntry(seg, segKey, {
    summary: (key, recentKey) => {
      store.summaries.removeSync(key);
      store.recent.removeSync(recentKey);
    },
    service: (key) => increment(store.services, key, -1),
    posting: (key, valueKey) => {
      if (store.postings.removeSync(key)) increment(store.tagValues, valueKey, -1);
    },
  });
  store.segments.removeSync(segKey);
  if (!tombstone) return;
  for (const s of seg.traces) {
    const prefix = [seg.tenant, s.traceId];
    const stillIndexed = store.summaries.getKeys({ start: prefix, end: prefixEnd(prefix), limit: 1 });
    if ([...stillIndexed].length > 0) continue;
    for (const key of [...store.traces.getKeys({ start: prefix, end: prefixEnd(prefix) })]) store.traces.removeSync(key);
  }
}
