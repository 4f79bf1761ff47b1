// A log block: the rows of one segment (tenant, time block, partition) as compressed columns, the value of the
// compacted otlp.logs.blocks topic. Rows keep their order: a row's ordinal in the block is its index, which is what
// the segment's full-text index (segmentIndex.ts) points at.
//
// Layout: a small uncompressed header, so readers can skip a block by its time range without decompressing it,
// then one snappy block of columns:
//
//   header   version byte (1) · rows · min time ms (zigzag) · max − min · byte length of the columns
//   columns  time ms      per row: zigzag delta from the previous row (the first from the header's min)
//            time ns      per row: uvarint
//            severity     per row: zigzag severity number
//            sev. text    dictionary (count, strings) · per row: index
//            service      dictionary · per row: index
//            trace id     per row: kind (0 empty, 1 16 bytes, 2 text) and the bytes or the string
//            span id      same with 8 bytes
//            resource     dictionary of whole attribute sets (count; per set: pairs, key and value strings) · per row:
//                         index (a block's rows come from few resources)
//            attributes   key dictionary · value dictionary · per row: pair count, pairs of (key, value) indexes
//            body         per row: UTF-8 byte length · then all the bodies' bytes
//
// Integers are LEB128 varints, strings a varint byte length and UTF-8 (a lone surrogate comes back as U+FFFD).
// Ids are binary only when they are lowercase hex of the full length, so every id comes back as it was.
import { snappyCompress as compress, snappyUncompress } from '../kafka/snappyBlock.ts';
import { Reader, resourceSets, Writer } from './codecInternals.ts';
import type { LogRow } from './model.ts';

export const LOG_BLOCK_VERSION = 1;

/** A log block that cannot be written or read; the message names what is wrong. */
export class LogBlockError extends Error {
  override name = 'LogBlockError';
}

/** What `readLogBlockHeader` tells without decompressing. */
export interface LogBlockHeader {
  rows: number;
  minTimeMs: number;
  maxTimeMs: number;
}

// Times stay within ±2^50 ms (±35,000 years) so that a zigzag delta between two of them is a safe integer.
const MAX_TIME_MS = 2 ** 50;
// Every row takes at least this many bytes of columns (one per per-row field), which bounds a claimed row count.
const MIN_ROW_BYTES = 10;
// Snappy expands at most 64 bytes out of a 3-byte copy: a claimed column length beyond this is a lie.
const MAX_SNAPPY_RATIO = 22;

const ID_EMPTY = 0;
const ID_BINARY = 1;
const ID_TEXT = 2;

function blockError(message: string): LogBlockError {
  return new LogBlockError(`log block: ${message}`);
}

/** Rows → the block's bytes. */
export function encodeLogBlock(rows: readonly LogRow[]): Buffer {
  const n = rows.length;
  let minTimeMs = n === 0 ? 0 : Infinity;
  let maxTimeMs = n === 0 ? 0 : -Infinity;
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    checkRow(row, i);
    if (row.timeMs < minTimeMs) minTimeMs = row.timeMs;
    if (row.timeMs > maxTimeMs) maxTimeMs = row.timeMs;
  }

  const out = new Writer(n * 48 + 256);
  let previous = minTimeMs;
  for (let i = 0; i < n; i++) {
    out.zigzag(rows[i].timeMs - previous);
    previous = rows[i].timeMs;
  }
  for (let i = 0; i < n; i++) out.uvarint(rows[i].timeNanos);
  for (let i = 0; i < n; i++) out.zigzag(rows[i].severityNumber);
  writeDictionaryColumn(out, rows, (row) => row.severityText);
  writeDictionaryColumn(out, rows, (row) => row.service);
  for (let i = 0; i < n; i++) writeId(out, rows[i].traceId, 32);
  for (let i = 0; i < n; i++) writeId(out, rows[i].spanId, 16);
  writeResourceColumn(out, rows);
  writeAttributeColumn(out, rows);
  const texts = new Writer(n * 40 + 64);
  for (let i = 0; i < n; i++) out.uvarint(texts.utf8(rows[i].body));
  out.raw(texts.bytes());

  const columns = out.bytes();
  const compressed = compress(columns);
  const header = new Writer(32 + compressed.length);
  header.byte(LOG_BLOCK_VERSION);
  header.uvarint(n);
  header.zigzag(minTimeMs);
  header.uvarint(maxTimeMs - minTimeMs);
  header.uvarint(columns.length);
  header.raw(compressed);
  return Buffer.from(header.bytes());
}

function checkRow(row: LogRow, i: number): void {
  if (!Number.isSafeInteger(row.timeMs) || Math.abs(row.timeMs) > MAX_TIME_MS) throw blockError(`row ${i}: timeMs ${row.timeMs} is not an integer within ±2^50`);
  if (!Number.isSafeInteger(row.timeNanos) || row.timeNanos < 0) throw blockError(`row ${i}: timeNanos ${row.timeNanos} is not a non-negative integer`);
  if (!Number.isSafeInteger(row.severityNumber) || Math.abs(row.severityNumber) > MAX_TIME_MS) throw blockError(`row ${i}: severityNumber ${row.severityNumber} is not an integer`);
}

/** Distinct values in order of first use, then an index per row (runs of one value skip the map). */
function writeDictionaryColumn(out: Writer, rows: readonly LogRow[], value: (row: LogRow) => string): void {
  const ids = new Map<string, number>();
  const order: string[] = [];
  const index = new Uint32Array(rows.length);
  let last: string | undefined;
  let lastId = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = value(rows[i]);
    if (v !== last) {
      let id = ids.get(v);
      if (id === undefined) {
        id = order.length;
        ids.set(v, id);
        order.push(v);
      }
      last = v;
      lastId = id;
    }
    index[i] = lastId;
  }
  out.uvarint(order.length);
  for (const v of order) out.string(v);
  for (let i = 0; i < index.length; i++) out.uvarint(index[i]);
}

function isLowerHex(text: string, length: number): boolean {
  if (text.length !== length) return false;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function writeId(out: Writer, id: string, hexLength: number): void {
  if (id === '') {
    out.byte(ID_EMPTY);
  } else if (isLowerHex(id, hexLength)) {
    out.byte(ID_BINARY);
    out.hex(id);
  } else {
    out.byte(ID_TEXT);
    out.string(id);
  }
}

type Attributes = ReadonlyArray<readonly [string, string]>;

function writeResourceColumn(out: Writer, rows: readonly LogRow[]): void {
  const { ids, sets } = resourceSets(rows);
  out.uvarint(sets.length);
  for (const set of sets) {
    out.uvarint(set.length);
    for (const [k, v] of set) {
      out.string(k);
      out.string(v);
    }
  }
  for (let i = 0; i < ids.length; i++) out.uvarint(ids[i]);
}

function writeAttributeColumn(out: Writer, rows: readonly LogRow[]): void {
  const keyIds = new Map<string, number>();
  const keys: string[] = [];
  const valueIds = new Map<string, number>();
  const values: string[] = [];
  const pairs = new Writer(rows.length * 4 + 64);
  for (let i = 0; i < rows.length; i++) {
    const attributes = rows[i].attributes;
    pairs.uvarint(attributes.length);
    for (const [k, v] of attributes) {
      let keyId = keyIds.get(k);
      if (keyId === undefined) {
        keyId = keys.length;
        keyIds.set(k, keyId);
        keys.push(k);
      }
      let valueId = valueIds.get(v);
      if (valueId === undefined) {
        valueId = values.length;
        valueIds.set(v, valueId);
        values.push(v);
      }
      pairs.uvarint(keyId);
      pairs.uvarint(valueId);
    }
  }
  out.uvarint(keys.length);
  for (const k of keys) out.string(k);
  out.uvarint(values.length);
  for (const v of values) out.string(v);
  out.raw(pairs.bytes());
}

interface HeaderParts extends LogBlockHeader {
  columnsLength: number;
  columnsStart: number;
}

function readHeader(bytes: Uint8Array): HeaderParts {
  const input = new Reader(bytes, blockError);
  const version = input.byte();
  if (version !== LOG_BLOCK_VERSION) throw input.error(`unknown format version ${version}`);
  const rows = input.uvarint();
  const minTimeMs = input.zigzag();
  const span = input.uvarint();
  const columnsLength = input.uvarint();
  if (Math.abs(minTimeMs) > MAX_TIME_MS || span > 2 * MAX_TIME_MS) throw input.error(`time range ${minTimeMs} + ${span} out of bounds`);
  if (columnsLength > input.left * MAX_SNAPPY_RATIO + 16) throw input.error(`columns length ${columnsLength} is more than ${input.left} compressed bytes can hold`);
  if (rows * MIN_ROW_BYTES > columnsLength) throw input.error(`${rows} rows do not fit in ${columnsLength} bytes of columns`);
  return { rows, minTimeMs, maxTimeMs: minTimeMs + span, columnsLength, columnsStart: input.at };
}

/** The row count and time range of a block, from its header (no decompression). */
export function readLogBlockHeader(bytes: Uint8Array): LogBlockHeader {
  const { rows, minTimeMs, maxTimeMs } = readHeader(bytes);
  return { rows, minTimeMs, maxTimeMs };
}

/** Every row of a block, in order. Decoded rows of one resource share its (readonly) attribute array. */
export function decodeLogBlock(bytes: Uint8Array): LogRow[] {
  return decodeRows(bytes, null);
}

/**
 * The rows at `ordinals` (in that order; repeats allowed). Cheaper than decodeLogBlock for few rows: the columns are
 * still decompressed and walked, but only the picked rows' strings are made.
 */
export function decodeLogBlockRows(bytes: Uint8Array, ordinals: readonly number[]): LogRow[] {
  return decodeRows(bytes, ordinals);
}

function decodeRows(bytes: Uint8Array, ordinals: readonly number[] | null): LogRow[] {
  const header = readHeader(bytes);
  const n = header.rows;
  let wanted: Uint8Array | null = null;
  if (ordinals !== null) {
    wanted = new Uint8Array(n);
    for (const o of ordinals) {
      if (!Number.isInteger(o) || o < 0 || o >= n) throw blockError(`ordinal ${o} outside the block's ${n} rows`);
      wanted[o] = 1;
    }
  }
  const isWanted = (i: number): boolean => wanted === null || wanted[i] === 1;

  let columns: Uint8Array;
  try {
    columns = snappyUncompress(bytes.subarray(header.columnsStart), header.columnsLength);
  } catch (err) {
    throw blockError(`columns are not a snappy block: ${(err as Error).message}`);
  }
  if (columns.length !== header.columnsLength) throw blockError(`columns are ${columns.length} bytes, the header says ${header.columnsLength}`);
  const input = new Reader(columns, (message) => blockError(`columns: ${message}`));

  const timeMs = new Float64Array(n);
  let time = header.minTimeMs;
  for (let i = 0; i < n; i++) {
    time += input.zigzag();
    if (time < header.minTimeMs || time > header.maxTimeMs) throw input.error(`row ${i}: time ${time} outside the header's range`);
    timeMs[i] = time;
  }
  const timeNanos = new Float64Array(n);
  for (let i = 0; i < n; i++) timeNanos[i] = input.uvarint();
  const severity = new Float64Array(n);
  for (let i = 0; i < n; i++) severity[i] = input.zigzag();
  const [severityTexts, severityIndex] = readDictionaryColumn(input, n, 'severity text');
  const [services, serviceIndex] = readDictionaryColumn(input, n, 'service');
  const traceIds = readIdColumn(input, n, 16, 'trace id', isWanted);
  const spanIds = readIdColumn(input, n, 8, 'span id', isWanted);
  const [resources, resourceIndex] = readResourceColumn(input, n);
  const attributes = readAttributeColumn(input, n, isWanted);
  const bodyEnds = new Float64Array(n);
  let bodyBytes = 0;
  for (let i = 0; i < n; i++) {
    bodyBytes += input.uvarint();
    bodyEnds[i] = bodyBytes;
  }
  if (bodyBytes !== input.left) throw input.error(`bodies take ${bodyBytes} bytes, ${input.left} are left`);
  const bodyStart = input.at;

  const rowAt = (i: number): LogRow => ({
    timeMs: timeMs[i],
    timeNanos: timeNanos[i],
    severityNumber: severity[i],
    severityText: severityTexts[severityIndex[i]],
    body: input.buf.toString('utf8', bodyStart + (i === 0 ? 0 : bodyEnds[i - 1]), bodyStart + bodyEnds[i]),
    traceId: traceIds[i],
    spanId: spanIds[i],
    service: services[serviceIndex[i]],
    resource: resources[resourceIndex[i]],
    attributes: attributes[i],
  });
  if (ordinals === null) {
    const out = new Array<LogRow>(n);
    for (let i = 0; i < n; i++) out[i] = rowAt(i);
    return out;
  }
  return ordinals.map(rowAt);
}

function readDictionaryColumn(input: Reader, n: number, field: string): [string[], Uint32Array] {
  const count = input.count(`${field} dictionary size`);
  const values = new Array<string>(count);
  for (let i = 0; i < count; i++) values[i] = input.string(field);
  const index = new Uint32Array(n);
  for (let i = 0; i < n; i++) index[i] = input.uvarintAtMost(count - 1, `${field} index`);
  return [values, index];
}

function readIdColumn(input: Reader, n: number, bytes: number, field: string, isWanted: (i: number) => boolean): string[] {
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const kind = input.byte();
    const want = isWanted(i);
    if (kind === ID_EMPTY) {
      ids[i] = '';
    } else if (kind === ID_BINARY) {
      if (want) ids[i] = input.hex(bytes, field);
      else input.skip(bytes, field);
    } else if (kind === ID_TEXT) {
      if (want) ids[i] = input.string(field);
      else input.skip(input.uvarint(), field);
    } else {
      throw input.error(`row ${i}: unknown ${field} kind ${kind}`);
    }
  }
  return ids;
}

function readResourceColumn(input: Reader, n: number): [Attributes[], Uint32Array] {
  const count = input.count('resource set count');
  const sets = new Array<Attributes>(count);
  for (let s = 0; s < count; s++) {
    const pairs = input.count('resource attribute count', 2);
    const set = new Array<readonly [string, string]>(pairs);
    for (let p = 0; p < pairs; p++) set[p] = [input.string('resource attribute key'), input.string('resource attribute value')];
    sets[s] = set;
  }
  const index = new Uint32Array(n);
  for (let i = 0; i < n; i++) index[i] = input.uvarintAtMost(count - 1, 'resource set index');
  return [sets, index];
}

function readAttributeColumn(input: Reader, n: number, isWanted: (i: number) => boolean): Attributes[] {
  const keyCount = input.count('attribute key count');
  const keys = new Array<string>(keyCount);
  for (let i = 0; i < keyCount; i++) keys[i] = input.string('attribute key');
  const valueCount = input.count('attribute value count');
  const values = new Array<string>(valueCount);
  for (let i = 0; i < valueCount; i++) values[i] = input.string('attribute value');
  const out = new Array<Attributes>(n);
  for (let i = 0; i < n; i++) {
    const pairs = input.count('attribute count', 2);
    const want = isWanted(i);
    const row = want ? new Array<readonly [string, string]>(pairs) : [];
    for (let p = 0; p < pairs; p++) {
      const k = input.uvarintAtMost(keyCount - 1, 'attribute key index');
      const v = input.uvarintAtMost(valueCount - 1, 'attribute value index');
      if (want) row[p] = [keys[k], values[v]];
    }
    out[i] = row;
  }
  return out;
}
