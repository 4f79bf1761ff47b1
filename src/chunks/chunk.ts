// The chunk format (v2; v1 is still read): header, body, CRC32. Byte by byte in docs/chunks.md.
//
//   0  magic/version 0xC2
//   1  flags: bits 0-1 value encoding, bit 2 timestamp encoding, bits 3-4 body compression, bits 5-7 time unit exponent
//   …  uvarint count; when count > 0: zigzag varint min time, uvarint (max time - min time), both in time units
//   …  body: timestamps then values, one bit stream (possibly compressed as a whole)
//   4  CRC32 (little-endian) of every byte before it
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants, crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { BitReader, BitWriter } from './bits.ts';
import { ChunkError } from './errors.ts';
import { planTimestamps, readTimestamps, writeTimestamps, type TimestampEncoding, type TimestampPlan } from './timestamps.ts';
import { planValues, readValues, VALUE_ENCODING_CODES, VALUE_ENCODINGS, type ValueEncoding } from './values.ts';

/** Format version written. Version 1 (no variant bit before irregular timestamps) is still read. */
export const CHUNK_FORMAT_VERSION = 2;
/** First byte of every chunk written. High nibble 0xC marks a chunk; low nibble is the format version. */
export const CHUNK_MAGIC = 0xc0 | CHUNK_FORMAT_VERSION;
const READABLE_VERSIONS = [1, 2];
/** Most points one chunk may hold; bounds what a decoder allocates whatever the bytes claim. */
export const MAX_CHUNK_POINTS = 1 << 20;

export type ChunkCompression = 'none' | 'deflate' | 'brotli';
const COMPRESSIONS: readonly ChunkCompression[] = ['none', 'deflate', 'brotli'];
const TIMESTAMP_ENCODINGS: readonly TimestampEncoding[] = ['regular', 'dod'];

/** Points of one series in one block: timestamps in integer ms (|t| < 2^50), any float64 values. */
export interface ChunkPoints {
  timestamps: ArrayLike<number>;
  values: Float64Array;
}

export interface EncodeChunkOptions {
  /**
   * General-purpose compression of the body: `auto` tries deflate and brotli and keeps the body only if one is
   * smaller; `none` (default) skips the attempt, which costs more time than it usually saves on bit-packed bodies.
   */
  compression?: 'auto' | ChunkCompression;
  /** Forces a value encoding (tests and benchmarks); by default the smallest one is chosen. */
  valueEncoding?: ValueEncoding;
}

/** What the header of a chunk says. */
export interface ChunkInfo {
  version: number;
  valueEncoding: ValueEncoding;
  timestampEncoding: TimestampEncoding;
  compression: ChunkCompression;
  /** Timestamps are multiples of this many ms (1, 10, 100 or 1000). */
  timeUnitMs: number;
  count: number;
  /** Smallest and largest timestamp (ms); both 0 for an empty chunk. */
  minTime: number;
  maxTime: number;
  /** Offset of the body and its length in bytes (before decompression). */
  bodyOffset: number;
  bodyLength: number;
}

/** A decoded chunk. */
export interface DecodedChunk {
  timestamps: Float64Array;
  values: Float64Array;
  info: ChunkInfo;
}

/** Encodes the points of one series into one self-contained chunk. */
export function encodeChunk(points: ChunkPoints, options: EncodeChunkOptions = {}): Uint8Array {
  const { timestamps, values } = points;
  const count = values.length;
  if (timestamps.length !== count) throw new RangeError(`chunk has ${timestamps.length} timestamps but ${count} values`);
  if (count > MAX_CHUNK_POINTS) throw new RangeError(`chunk of ${count} points exceeds ${MAX_CHUNK_POINTS}`);
  const time = planTimestamps(timestamps);
  const valuePlan = planValues(values, options.valueEncoding);

  // One buffer for header, body and checksum, sized from the plan so that it rarely grows or needs a copy.
  const w = new BitWriter(40 + (valuePlan.bits >> 3) + (time.encoding === 'dod' ? count * 2 : 0));
  const unit = 10 ** time.unitExp;
  const flags = VALUE_ENCODING_CODES[valuePlan.encoding] | (TIMESTAMP_ENCODINGS.indexOf(time.encoding) << 2) | (time.unitExp << 5);
  w.writeBits(CHUNK_MAGIC, 8);
  w.writeBits(flags, 8);
  w.writeUvarint(count);
  if (count > 0) {
    w.writeSvarint(time.minTime / unit);
    w.writeUvarint((time.maxTime - time.minTime) / unit);
  }
  const headerLength = w.bitLength >> 3;
  writeTimestamps(w, timestamps, time);
  valuePlan.write(w);
  let chunk = w.finish();

  const wanted = options.compression ?? 'none';
  if (wanted !== 'none' && chunk.length - headerLength > 32) {
    const body = chunk.subarray(headerLength);
    let best: Uint8Array | undefined;
    let compression: ChunkCompression = 'none';
    for (const c of wanted === 'auto' ? (['deflate', 'brotli'] as const) : [wanted]) {
      const packed = compress(c, body);
      if (packed.length < (best ?? body).length) {
        best = packed;
        compression = c;
      }
    }
    if (best) {
      const out = new Uint8Array(headerLength + best.length + 4);
      out.set(chunk.subarray(0, headerLength));
      out[1] = flags | (COMPRESSIONS.indexOf(compression) << 3);
      out.set(best, headerLength);
      const end = out.length - 4;
      new DataView(out.buffer).setUint32(end, crc32(out.subarray(0, end)), true);
      return out;
    }
  }
  const crc = crc32(chunk);
  w.writeBits(crc & 0xff, 8);
  w.writeBits((crc >>> 8) & 0xff, 8);
  w.writeBits((crc >>> 16) & 0xff, 8);
  w.writeBits(crc >>> 24, 8);
  chunk = w.finish();
  // Do not keep a mostly unused buffer alive behind the chunk.
  return chunk.buffer.byteLength - chunk.length > 64 ? chunk.slice() : chunk;
}

/** Reads the header of a chunk without checking its checksum or decoding the body. */
export function chunkInfo(bytes: Uint8Array): ChunkInfo {
  if (bytes.length < 7) throw new ChunkError('truncated', `chunk of ${bytes.length} bytes is shorter than the smallest chunk (7 bytes)`);
  const magic = bytes[0];
  if (magic >>> 4 !== CHUNK_MAGIC >>> 4) throw new ChunkError('format', `not a chunk: first byte 0x${magic.toString(16).padStart(2, '0')}, expected 0xc1 or 0xc2`);
  if (!READABLE_VERSIONS.includes(magic & 15)) {
    throw new ChunkError('version', `chunk format version ${magic & 15} is not supported (this reader knows versions ${READABLE_VERSIONS.join(' and ')})`);
  }
  const end = bytes.length - 4;
  const r = new BitReader(bytes, 1, end);
  const flags = r.readBits(8);
  const compression = COMPRESSIONS[(flags >>> 3) & 3];
  const unitExp = flags >>> 5;
  if (compression === undefined || unitExp > 3) throw new ChunkError('format', `chunk flags 0x${flags.toString(16)} use reserved values`);
  const count = r.readUvarint();
  if (count > MAX_CHUNK_POINTS) throw new ChunkError('format', `chunk claims ${count} points, more than ${MAX_CHUNK_POINTS}`);
  const unit = 10 ** unitExp;
  let minTime = 0;
  let maxTime = 0;
  if (count > 0) {
    minTime = r.readSvarint() * unit;
    maxTime = minTime + r.readUvarint() * unit;
  }
  const bodyOffset = end - r.bitsLeft / 8;
  return {
    version: magic & 15,
    valueEncoding: VALUE_ENCODINGS[flags & 3],
    timestampEncoding: TIMESTAMP_ENCODINGS[(flags >>> 2) & 1],
    compression,
    timeUnitMs: unit,
    count,
    minTime,
    maxTime,
    bodyOffset,
    bodyLength: end - bodyOffset,
  };
}

/** Decodes a chunk; throws ChunkError when its checksum fails or it is truncated or malformed. */
export function decodeChunk(bytes: Uint8Array): DecodedChunk {
  if (bytes.length < 7) throw new ChunkError('truncated', `chunk of ${bytes.length} bytes is shorter than the smallest chunk (7 bytes)`);
  const end = bytes.length - 4;
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(end, true);
  const computed = crc32(bytes.subarray(0, end));
  if (stored !== computed) {
    throw new ChunkError(
      'checksum',
      `chunk checksum mismatch: stored CRC32 ${hex32(stored)}, computed ${hex32(computed)} over ${end} bytes (chunk corrupted or truncated)`,
    );
  }
  const info = chunkInfo(bytes);
  const { count } = info;
  let body = bytes.subarray(info.bodyOffset, end);
  if (info.compression !== 'none') body = decompress(info.compression, body, 64 + count * 32);
  const r = new BitReader(body);
  const timestamps = new Float64Array(count);
  const values = new Float64Array(count);
  const plan: TimestampPlan = { encoding: info.timestampEncoding, unitExp: [1, 10, 100, 1000].indexOf(info.timeUnitMs), minTime: info.minTime, maxTime: info.maxTime };
  if (info.version === 1) plan.bucketsOnly = true;
  if (plan.encoding === 'regular' && count > 0) {
    const span = info.maxTime - info.minTime;
    if (count === 1 ? span !== 0 : span % ((count - 1) * info.timeUnitMs) !== 0) {
      throw new ChunkError('format', `regular timestamps: span ${span} ms does not split into ${count - 1} equal steps`);
    }
  }
  readTimestamps(r, timestamps, plan);
  readValues(r, info.valueEncoding, values);
  if (r.bitsLeft >= 8) throw new ChunkError('format', `chunk body has ${r.bitsLeft >> 3} bytes after its last point`);
  if (plan.encoding === 'dod') checkRange(timestamps, info);
  return { timestamps, values, info };
}

function checkRange(ts: Float64Array, info: ChunkInfo): void {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (t < min) min = t;
    if (t > max) max = t;
  }
  if (min !== info.minTime || max !== info.maxTime) {
    throw new ChunkError('format', `chunk timestamps span ${min}..${max}, header says ${info.minTime}..${info.maxTime}`);
  }
}

function compress(c: ChunkCompression, body: Uint8Array): Uint8Array {
  if (c === 'deflate') return deflateRawSync(body, { level: 9 });
  return brotliCompressSync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length } });
}

function decompress(c: ChunkCompression, body: Uint8Array, maxOutputLength: number): Uint8Array {
  try {
    return c === 'deflate' ? inflateRawSync(body, { maxOutputLength }) : brotliDecompressSync(body, { maxOutputLength });
  } catch (err) {
    throw new ChunkError('format', `chunk body does not decompress (${c}): ${(err as Error).message}`);
  }
}

const hex32 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
